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
