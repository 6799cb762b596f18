"""`karto-smtp plan`: what apply would change, read from the live services.

Exit codes: 0 success (with --detailed-exitcode: and no changes), 1 error, 2 success with
changes (only with --detailed-exitcode). The plan goes to stdout, progress to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from karto_smtp.cli.collector import short_start
from karto_smtp.cli.options import PLAN_FORMATS, bounded_by_timeout, config_option, format_option

if TYPE_CHECKING:
    from karto_smtp.engine.plan import Plan


@click.command()
@config_option
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes, 0 when none."
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Save the plan to a file for `apply PLANFILE`.",
)
@format_option(*PLAN_FORMATS)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Plan only this address (or prefix, kind, project ref or name), what it depends on "
    "and its password hand-off. Repeatable.",
)
@click.option(
    "--rotate-password",
    "rotate",
    multiple=True,
    metavar="USER",
    help="Plan a new password for this SMTP2GO user, set on both sides.",
)
@bounded_by_timeout
@short_start
def plan(
    config_path: Path | None,
    detailed_exitcode: bool,
    out: Path | None,
    fmt: str,
    targets: tuple[str, ...],
    rotate: tuple[str, ...],
) -> None:
    """Show what apply would change, read from the live services."""
    import asyncio

    from karto_smtp.cli import color_enabled
    from karto_smtp.cli.session import derive, load, prepare, progress, render, services
    from karto_smtp.engine.plan import PlanOptions
    from karto_smtp.redaction import redact

    loaded = load(config_path)
    options = PlanOptions(targets=list(targets), rotate_passwords=list(rotate))
    state = prepare(loaded, options)
    if out is not None:
        from karto_smtp.engine.planfile import check_destination

        check_destination(out, loaded.path)

    async def run() -> Plan:
        async with services(loaded, state) as providers:
            return (await derive(loaded, state, providers, options)).plan

    result = asyncio.run(run())
    click.echo(redact(render(result, fmt, color_enabled())), nl=False)
    if out is not None:
        from karto_smtp.engine.planfile import write_plan

        write_plan(render(result, "json", False), out, loaded.path)
        progress(f"Saved the plan to {out}; apply it with `karto-smtp apply {out}`.")
    if detailed_exitcode and result.summary.has_changes:
        sys.exit(2)
