"""Options that several commands share, declared once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="karto.yaml to read (default: $KARTO_CONFIG or ./karto.yaml).",
)

_timeout_option = click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0, min_open=True, max=86400),
    default=None,
    metavar="SECONDS",
    help="Give up after this long overall (default: no limit; each request still waits at "
    "most 15 s for an answer).",
)

# The views of a plan (plan, show).
PLAN_FORMATS = ("text", "json", "markdown")


def format_option(
    *formats: str, help: str = "json prints the one envelope every command uses."
) -> Callable[[Any], Any]:
    """`--format` with these choices (text first, the default); the value arrives as `fmt`."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(formats or ("text", "json")),
        default="text",
        show_default=True,
        help=help,
    )


def bounded_by_timeout(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--timeout SECONDS`: the whole command runs under one deadline (karto_smtp.deadline)."""

    @functools.wraps(command)
    def bounded(*args: Any, timeout: float | None, **kwargs: Any) -> Any:
        from karto_smtp import deadline
        from karto_smtp.cli.session import progress

        with deadline.limit(timeout, notify=progress):
            return command(*args, **kwargs)

    return _timeout_option(bounded)
