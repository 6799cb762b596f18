"""`karto-smtp apply`: change the live services to match karto.yaml.

With a PLANFILE it carries out that reviewed plan, and only if deriving the plan again
from karto.yaml and the live services gives exactly the same one. Exit codes: 0 success,
1 error or a partial apply, 130/143 when SIGINT/SIGTERM stopped it at a safe point.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from karto_smtp.cli.collector import short_start
from karto_smtp.cli.options import bounded_by_timeout, config_option, format_option
from karto_smtp.errors import KartoError

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.engine.executor import ApplyResult
    from karto_smtp.engine.plan import Plan, PlanOptions
    from karto_smtp.engine.planner import Planned
    from karto_smtp.engine.provider import Provider

SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}
# What the executor records as the reason it stopped when --timeout passes.
TIMEOUT_STOP = "timeout"


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


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


async def _execute(planned: Planned, providers: dict[str, Provider]) -> ApplyResult:
    """Run the executor with SIGINT/SIGTERM, and --timeout, asking it to stop at a safe point.

    From here on the deadline no longer cuts requests short: a change that started runs to
    its end, and a password already set is still delivered (the executor's stop rules).
    """
    import asyncio
    import signal

    from karto_smtp import deadline
    from karto_smtp.cli.session import progress
    from karto_smtp.engine.executor import StopRequest, execute

    stop = StopRequest()
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    clock = deadline.current()

    def on_deadline() -> None:
        if stop.signal is None:
            progress(
                f"--timeout of {clock.seconds:g} s reached: stopping at a safe point (running "
                "changes finish, and a password already set is still delivered)"
            )
        stop.request(TIMEOUT_STOP)

    def on_signal(name: str) -> None:
        if stop.signal is not None and task is not None:
            progress(f"{name} again: stopping now; changes in flight may or may not be applied")
            task.cancel()
            return
        stop.request(name)
        progress(
            f"{name}: stopping at a safe point (running changes finish, and a password already "
            "set is still delivered); send it again to stop at once"
        )

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread: no handlers
            pass
    left = clock.until_end()
    timer = None if left is None else loop.call_later(left, on_deadline)
    try:
        with clock.relaxed():
            return await execute(planned, providers, progress, stop)
    finally:
        if timer is not None:
            timer.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)


def _report_text(result: ApplyResult) -> None:
    from karto_smtp.engine.executor import Outcome
    from karto_smtp.redaction import redact

    applied = [r for r in result.results if r.outcome is Outcome.APPLIED]
    counts = {a: sum(1 for r in applied if r.action == a) for a in ("create", "update", "delete")}
    if result.status == "success":
        click.echo(
            f"Apply complete! Resources: {counts['create']} added, {counts['update']} changed, "
            f"{counts['delete']} destroyed."
        )
    else:
        if result.interrupted == TIMEOUT_STOP:
            click.echo("Apply stopped by --timeout at a safe point.")
        elif result.interrupted:
            click.echo(f"Apply interrupted by {result.interrupted}: stopped at a safe point.")
        else:
            click.echo("Apply failed." if result.status == "error" else "Apply incomplete.")
        for r in result.results:
            line = f"  {r.outcome.value}: {r.address} ({r.action})"
            click.echo(line + (f": {redact(r.message)}" if r.message else ""))
        for delivery in result.deliveries:
            if delivery.delivered or delivery.missed:
                click.echo(
                    f"  {delivery.label}: reached {', '.join(delivery.delivered) or 'nothing'}"
                    + (f"; did not reach {', '.join(delivery.missed)}" if delivery.missed else "")
                )
        click.echo(
            "Run `karto-smtp plan` to see what remains; one `karto-smtp apply` finishes the job."
        )
    for warning in result.warnings:
        click.echo(f"Warning: {redact(warning)}", err=True)


def _report_json(plan: Plan, result: ApplyResult | None) -> None:
    from karto_smtp.redaction import redact
    from karto_smtp.views.apply_json import apply_document
    from karto_smtp.views.envelope import dumps

    click.echo(redact(dumps(apply_document(plan, result))), nl=False)


def _exit_for(result: ApplyResult) -> None:
    if result.interrupted:
        sys.exit(SIGNAL_EXIT.get(result.interrupted, 1))
    if result.status != "success":
        sys.exit(1)


async def _apply(
    loaded: LoadedConfig,
    options: PlanOptions,
    saved: Plan | None,
    auto_approve: bool,
    fmt: str,
) -> tuple[Plan, ApplyResult | None]:
    from karto_smtp.cli import color_enabled
    from karto_smtp.cli.session import derive, prepare, progress, render, services
    from karto_smtp.redaction import redact

    state = prepare(loaded, options)
    async with services(loaded, state) as providers:
        planned = await derive(loaded, state, providers, options)
        plan = planned.plan
        if saved is not None:
            from karto_smtp.engine.planfile import check_promise

            check_promise(saved, plan)
            progress("The saved plan matches karto.yaml and the live services; applying it.")
        text = render(plan, "text", color_enabled(sys.stderr if fmt == "json" else None))
        click.echo(redact(text), nl=False, err=fmt == "json")
        if not plan.summary.has_changes:
            return plan, None
        if saved is None and not auto_approve:
            from karto_smtp import deadline

            # Time a person takes to answer does not count against --timeout.
            with deadline.current().paused():
                _ask_approval()
        return plan, await _execute(planned, providers)


@click.command()
@click.argument("planfile", required=False, type=click.Path(path_type=Path))
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Apply only this address (or prefix, kind, project ref or name) and what it needs.",
)
@click.option(
    "--rotate-password",
    "rotate",
    multiple=True,
    metavar="USER",
    help="Set a new password for this SMTP2GO user on both sides.",
)
@format_option(help="Format of the apply result on stdout.")
@bounded_by_timeout
@short_start
def apply(
    planfile: Path | None,
    config_path: Path | None,
    auto_approve: bool,
    targets: tuple[str, ...],
    rotate: tuple[str, ...],
    fmt: str,
) -> None:
    """Change the live services to match karto.yaml (or carry out a saved plan)."""
    import asyncio

    from karto_smtp.cli.session import load
    from karto_smtp.engine.plan import PlanOptions

    saved = None
    if planfile is not None:
        if targets or rotate:
            raise KartoError(
                "a saved plan is applied as it is: --target and --rotate-password belong to `plan`"
            )
        from karto_smtp.engine.planfile import read_plan

        saved = read_plan(planfile)
        options = saved.options
        loaded = load(config_path or Path(saved.config.path))
    else:
        options = PlanOptions(targets=list(targets), rotate_passwords=list(rotate))
        loaded = load(config_path)
    plan, result = asyncio.run(_apply(loaded, options, saved, auto_approve, fmt))
    if fmt == "json":
        _report_json(plan, result)
    elif result is not None:
        _report_text(result)
    if result is not None:
        _exit_for(result)
