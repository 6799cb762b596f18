"""`karto-smtp show PLANFILE`: render a saved plan for review, without reading any service."""

from __future__ import annotations

from pathlib import Path

import click

from karto_smtp.cli.collector import short_start
from karto_smtp.cli.options import PLAN_FORMATS, format_option


@click.command()
@click.argument("planfile", type=click.Path(path_type=Path))
@format_option(*PLAN_FORMATS)
@short_start
def show(planfile: Path, fmt: str) -> None:
    """Show a plan saved by `plan --out`, as text, JSON or Markdown."""
    from karto_smtp.cli import color_enabled
    from karto_smtp.cli.session import render
    from karto_smtp.engine.planfile import read_plan

    plan = read_plan(planfile)
    click.echo(render(plan, fmt, color_enabled()), nl=False)
