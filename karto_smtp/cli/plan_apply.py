"""`karto-smtp plan` and `karto-smtp apply`: the CLI contract around one Plan.

Exit codes: 0 success (no changes), 1 error, 2 success with changes (plan, only with
--detailed-exitcode). The plan goes to stdout, progress and errors to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import click

from karto_smtp.cli.options import config_option
from karto_smtp.errors import KartoError

FORMATS = ("text", "json", "markdown")


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _load(config_path: Path | None) -> Any:
    """Load and lint karto.yaml; warnings go to stderr, errors stop the run before any call."""
    from karto_smtp.config.load import config_path as default_config_path
    from karto_smtp.config.load import load_config

    loaded = load_config(default_config_path(config_path))
    for warning in loaded.warnings:
        click.echo(warning.format(), err=True)
    return loaded


def _render(plan: Any, fmt: str) -> str:
    if fmt == "json":
        from karto_smtp.views.json import render_json

        return render_json(plan)
    if fmt == "markdown":
        from karto_smtp.views.markdown import render_markdown

        return render_markdown(plan)
    from karto_smtp.cli import color_enabled
    from karto_smtp.views.text import render_text

    return render_text(plan, colour=color_enabled())


@asynccontextmanager
async def _planning(
    loaded: Any, targets: list[str], rotate: list[str]
) -> AsyncIterator[tuple[Any, Any]]:
    """Plan against live state; the services stay open for an apply of that same plan."""
    from karto_smtp.engine.desired import build_desired
    from karto_smtp.engine.planner import make_plan, select_targets
    from karto_smtp.engine.services import open_services

    desired = select_targets(build_desired(loaded, os.environ), targets)
    services = open_services(loaded, os.environ, desired)
    try:
        yield await make_plan(loaded, desired, services.providers, targets, rotate), services
    finally:
        await services.aclose()


async def _make_plan(loaded: Any, targets: list[str], rotate: list[str]) -> Any:
    async with _planning(loaded, targets, rotate) as (result, _):
        return result


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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Plan only this address (or prefix) and what it depends on. Repeatable.",
)
@click.option(
    "--rotate-password",
    "rotate",
    multiple=True,
    metavar="USER",
    help="Plan a new password for this SMTP2GO user, set on both sides.",
)
def plan(
    config_path: Path | None,
    detailed_exitcode: bool,
    out: Path | None,
    fmt: str,
    targets: tuple[str, ...],
    rotate: tuple[str, ...],
) -> None:
    """Show what apply would change, read from the live services."""
    loaded = _load(config_path)
    _progress("Reading live state from SMTP2GO and Supabase...")
    result = asyncio.run(_make_plan(loaded, list(targets), list(rotate)))
    click.echo(_render(result.plan, fmt), nl=False)
    if out is not None:
        from karto_smtp.engine.planfile import write_plan

        write_plan(result.plan, out)
        _progress(f"Saved the plan to {out}; apply it with `karto-smtp apply {out}`.")
    if detailed_exitcode and result.plan.summary.has_changes:
        sys.exit(2)


async def _apply_saved(plan_path: Path, config_path: Path | None) -> tuple[Any, Any]:
    from karto_smtp.engine.desired import build_desired
    from karto_smtp.engine.executor import execute
    from karto_smtp.engine.planfile import check_fresh, read_plan
    from karto_smtp.engine.planner import read_live, select_targets
    from karto_smtp.engine.services import open_services

    saved = read_plan(plan_path)
    loaded = _load(config_path or Path(saved.config_path))
    environ = os.environ
    desired = {d.address: d for d in select_targets(build_desired(loaded, environ), saved.targets)}
    touched = [desired[c.address] for c in saved.actionable if c.address in desired]
    if len(touched) != len(saved.actionable):
        raise KartoError("saved plan is stale: it names objects that karto.yaml no longer declares")
    services = open_services(loaded, environ, list(desired.values()))
    try:
        _progress("Checking that the saved plan is still current...")
        live = await read_live(services.providers, touched)
        check_fresh(saved, loaded.digest, live, services.providers)
        result = await execute(saved, desired, services.providers, _progress)
    finally:
        await services.aclose()
    return saved, result


def _report(result: Any, fmt: str) -> None:
    from karto_smtp.engine.executor import Outcome

    if fmt == "json":
        document = {
            "format_version": "1.0",
            "status": result.status,
            "results": [
                {
                    "address": r.address,
                    "action": r.action,
                    "outcome": r.outcome.value,
                    "message": r.message,
                }
                for r in result.results
            ],
            "warnings": result.warnings,
        }
        click.echo(json.dumps(document, indent=2))
    else:
        applied = [r for r in result.results if r.outcome is Outcome.APPLIED]
        counts = {
            a: sum(1 for r in applied if r.action == a) for a in ("create", "update", "delete")
        }
        if result.status == "success":
            click.echo(
                f"Apply complete! Resources: {counts['create']} added, {counts['update']} changed, "
                f"{counts['delete']} destroyed."
            )
        else:
            click.echo("Apply failed.")
            for r in result.results:
                line = f"  {r.outcome.value}: {r.address} ({r.action})"
                click.echo(line + (f": {r.message}" if r.message else ""))
            click.echo(
                "Run `karto-smtp plan` to see what remains; a re-run of apply finishes the job."
            )
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)


@click.command()
@click.argument("planfile", required=False, type=click.Path(path_type=Path))
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Apply only this address (or prefix) and what it depends on.",
)
@click.option(
    "--rotate-password",
    "rotate",
    multiple=True,
    metavar="USER",
    help="Set a new password for this SMTP2GO user on both sides.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Format of the apply result.",
)
def apply(
    planfile: Path | None,
    config_path: Path | None,
    auto_approve: bool,
    targets: tuple[str, ...],
    rotate: tuple[str, ...],
    fmt: str,
) -> None:
    """Change the live services to match karto.yaml (or carry out a saved plan)."""
    if planfile is not None:
        if targets or rotate:
            raise KartoError(
                "a saved plan is applied as it is: --target and --rotate-password belong to `plan`"
            )
        _, result = asyncio.run(_apply_saved(planfile, config_path))
        _report(result, fmt)
        if result.status != "success":
            sys.exit(1)
        return

    loaded = _load(config_path)
    _progress("Reading live state from SMTP2GO and Supabase...")
    result = asyncio.run(_plan_and_apply(loaded, list(targets), list(rotate), auto_approve, fmt))
    if result is None:
        return
    _report(result, fmt)
    if result.status != "success":
        sys.exit(1)


async def _plan_and_apply(
    loaded: Any, targets: list[str], rotate: list[str], auto_approve: bool, fmt: str
) -> Any:
    from karto_smtp.engine.executor import execute

    async with _planning(loaded, targets, rotate) as (planned, services):
        click.echo(_render(planned.plan, "text"), nl=False, err=fmt == "json")
        if not planned.plan.summary.has_changes:
            return None
        if not auto_approve:
            _ask_approval()
        return await execute(planned.plan, planned.desired, services.providers, _progress)


def _ask_approval() -> None:
    if not _stdin_is_terminal():
        raise KartoError(
            "apply needs approval: run it in a terminal and answer yes, or pass --auto-approve"
        )
    answer = click.prompt(
        "\nDo you want to perform these actions?\n"
        "  Only 'yes' will be accepted to approve.\n\n  Enter a value",
        default="",
        show_default=False,
        err=True,
    )
    if answer.strip() != "yes":
        raise KartoError("Apply cancelled.")
