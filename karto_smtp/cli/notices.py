"""Lint findings outside `validate`: said once, in one line, pointing at validate.

`validate` prints every finding in full. Commands that run on every push and every night
(check, plan and apply) print one line with the codes instead:
the same warning in full on each run is noise, and a new kind of warning still stands out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from karto_smtp.wording import counted

if TYPE_CHECKING:
    from karto_smtp.config.findings import LintFinding


def warnings_line(findings: Sequence[LintFinding], config: str) -> str | None:
    """`karto.yaml: 1 warning (rate-limit-exceeds-quota); ...`, or None without warnings."""
    warnings = [f for f in findings if f.severity == "warning"]
    if not warnings:
        return None
    codes = ", ".join(dict.fromkeys(f.code for f in warnings))
    return (
        f"{config}: {counted(len(warnings), 'warning')} ({codes}); "
        f"`karto-smtp validate -c {config}` shows them in full"
    )
