"""`karto-smtp demo`: the whole job, end to end, on the built-in sandbox.

It starts the sandbox, then runs the real commands a user would type, as separate
processes pointed at it: validate, plan, apply, (the sender clicks its link), plan again
(No changes.), and check --via-supabase, which makes Supabase Auth send a sign-up mail
that lands in the sandbox mailbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

DEMO_RECIPIENT = "new.user@example.com"


def _run(step: str, args: list[str], env: dict[str, str], expect: tuple[int, ...] = (0,)) -> str:
    click.secho(f"\n$ karto-smtp {' '.join(args)}", bold=True)
    # One stream, so progress and warnings print where they happened, as in a terminal.
    completed = subprocess.run(
        [sys.executable, "-m", "karto_smtp", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    click.echo(completed.stdout, nl=False)
    if completed.returncode not in expect:
        raise click.ClickException(f"demo step '{step}' exited {completed.returncode}")
    return completed.stdout


@click.command()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=Path("examples/karto.yaml"),
    show_default=True,
)
def demo(config_path: Path) -> None:
    """Run validate, plan, apply, plan and check on the built-in sandbox."""
    from karto_smtp.config.load import load_config
    from karto_smtp.sandbox.sandbox import Sandbox

    with Sandbox(seed_from=config_path) as sandbox:
        env = {**os.environ, **sandbox.env, "NO_COLOR": "1"}
        loaded = load_config(config_path, env, check=False)
        smtp2go = loaded.config.smtp2go
        senders = [s.address for s in smtp2go.senders.emails] if smtp2go else []
        click.secho(
            "Sandbox running: local SMTP2GO API, Supabase API, Supabase Auth and SMTP relay.",
            bold=True,
        )
        config = ["-c", str(config_path)]
        _run("validate", ["validate", *config], env)
        _run("plan", ["plan", *config], env)
        _run("apply", ["apply", "--auto-approve", *config], env)
        for address in senders:
            click.secho(
                f"\n(sandbox) {address} clicks the verification link SMTP2GO emailed to it",
                bold=True,
            )
            _run("verify sender", ["sandbox", "verify-sender", address], env)
        output = _run("plan again", ["plan", "--detailed-exitcode", *config], env)
        if "No changes." not in output:
            raise click.ClickException("the second plan still shows changes")
        _run("check", ["check", *config, "--via-supabase", DEMO_RECIPIENT], env)
        _run("mailbox", ["sandbox", "mail", "--to", DEMO_RECIPIENT], env)
    click.secho(
        "\nDemo complete: karto.yaml applied, no drift left, sign-up mail delivered.", fg="green"
    )
