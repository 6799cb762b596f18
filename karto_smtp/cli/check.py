"""`karto-smtp check`: prove each link of the mail path, from this machine and via Supabase.

Exit codes: 0 when every row passes or is skipped, 1 otherwise (and on bad input).
The table goes to stdout; nothing here ever prints a password.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import click

from karto_smtp.cli.options import bounded_by_timeout, config_option, format_option
from karto_smtp.errors import KartoError

# The SMTP2GO API key is not needed; a missing Supabase token shows in the Supabase rows.
_CREDENTIALS_CHECK_DOES_NOT_USE = frozenset({"smtp2go.api_key", "supabase.access_token"})
_ADDRESS_RE = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


def _address(option: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not _ADDRESS_RE.fullmatch(value):
        raise KartoError(f"{option}: '{value}' is not an email address")
    return value


@click.command()
@config_option
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Check only this SMTP user or project (ref or name). Repeatable.",
)
@click.option(
    "--send-test-to",
    metavar="ADDRESS",
    help="Send a real test message through each project's relay and From address.",
)
@click.option(
    "--via-supabase",
    metavar="ADDRESS",
    help="Have each project's Supabase Auth send a magic-link (or sign-up) mail to ADDRESS.",
)
@click.option(
    "--step-timeout",
    type=click.FloatRange(min=0.1, max=120),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds to wait for each connection and SMTP reply.",
)
@click.option(
    "--wait-delivery",
    type=click.FloatRange(min=0, max=600),
    default=30.0,
    show_default=True,
    help="Seconds to wait for SMTP2GO's activity to show what became of the mail sent.",
)
@bounded_by_timeout
@format_option()
def check(
    config_path: Path | None,
    targets: tuple[str, ...],
    send_test_to: str | None,
    via_supabase: str | None,
    step_timeout: float,
    wait_delivery: float,
    fmt: str,
) -> None:
    """Prove that mail flows and lands: reach, TLS, AUTH, sender, send, Supabase's side,
    delivery, DMARC, SPF and alignment per project, each sender domain's DNS, and the
    SMTP2GO account's quota, bounce and spam rates.

    Nothing is sent unless --send-test-to or --via-supabase asks for it.
    """
    from karto_smtp.check.report import exit_code, render_json, render_text
    from karto_smtp.check.runner import Checker, CheckOptions
    from karto_smtp.check.targets import select
    from karto_smtp.config.lint import lint
    from karto_smtp.config.load import config_path as default_config_path
    from karto_smtp.config.load import load_config
    from karto_smtp.redaction import redact

    options = CheckOptions(
        step_timeout=step_timeout,
        send_test_to=_address("--send-test-to", send_test_to),
        via_supabase=_address("--via-supabase", via_supabase),
        wait_delivery=wait_delivery,
    )
    # Lint problems do not stop a check: a live check is how a user confirms what they mean
    # (an email as username, an undeclared sender). Schema errors still do.
    from karto_smtp.cli.notices import warnings_line

    loaded = load_config(default_config_path(config_path), check=False)
    findings = [f for f in lint(loaded) if f.path not in _CREDENTIALS_CHECK_DOES_NOT_USE]
    for finding in findings:
        if finding.severity == "error":
            click.echo(f"note: {finding.format()}", err=True)
    summary_line = warnings_line(findings, loaded.display)
    if summary_line:
        click.echo(f"note: {summary_line}", err=True)
    selected = select(loaded, list(targets))
    rows = Checker(loaded, selected, options, os.environ).run()
    # Rows quote what relays and services said; none of it may carry a secret.
    if fmt == "json":
        click.echo(redact(render_json(rows, loaded.display)), nl=False)
    else:
        from karto_smtp.cli import color_enabled

        width = shutil.get_terminal_size().columns
        click.echo(redact(render_text(rows, colour=color_enabled(), width=width)), nl=False)
    sys.exit(exit_code(rows))
