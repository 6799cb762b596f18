"""Options that several commands share, declared once."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="karto.yaml to read (default: $KARTO_CONFIG or ./karto.yaml).",
)

timeout_option = click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0, min_open=True, max=86400),
    default=None,
    metavar="SECONDS",
    help="Give up after this long overall (default: no limit; each request still waits at "
    "most 15 s for an answer).",
)
