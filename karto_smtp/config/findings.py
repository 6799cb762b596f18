"""One problem found in karto.yaml (or a file it names): what, where, how bad, and the fix."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class LintFinding:
    """One problem: `location` is `file:line:col`, `path` the dotted key path."""

    severity: Severity
    code: str
    location: str
    message: str
    hint: str
    path: str = ""

    def format(self, severity: bool = True) -> str:
        """`file:L:C: error: path: message; hint [code]` on one line."""
        parts = [self.location]
        if severity:
            parts.append(self.severity)
        if self.path:
            parts.append(self.path)
        text = ": ".join(parts) + ": " + self.message
        if self.hint:
            text += f"; {self.hint}"
        if self.code and self.hint:
            text += f" [{self.code}]"
        return text

    def as_error(self) -> LintFinding:
        return replace(self, severity="error")

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """File order; findings about the environment (no `:line:col`) come first."""
        parts = self.location.rsplit(":", 2)
        try:
            return int(parts[-2]), int(parts[-1]), self.path
        except (ValueError, IndexError):
            return 0, 0, self.path
