"""The `karto-smtp` entry point: a click group whose subcommands are imported on first use.

Start-up stays light: `karto-smtp validate` never imports httpx, deepdiff or the sandbox.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import traceback
import warnings
from typing import Any, NoReturn

import click

from karto_smtp import __version__
from karto_smtp.errors import KartoError
from karto_smtp.log import LOG_ENV, debug_enabled, debug_requested, setup_logging
from karto_smtp.redaction import redact

# An unexpected error's text is shown up to this length; --debug shows all of it.
MAX_DETAIL = 200

# name -> "module:attribute"; each module owns one concept's commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "karto_smtp.cli.validate:validate",
        "Check karto.yaml offline: schema and lint rules.",
    ),
    "schema": ("karto_smtp.cli.validate:schema", "Print the JSON Schema of karto.yaml."),
    "plan": (
        "karto_smtp.cli.plan:plan",
        "Show what apply would change, read from the live services.",
    ),
    "apply": ("karto_smtp.cli.apply:apply", "Change the live services to match karto.yaml."),
    "check": (
        "karto_smtp.cli.check:check",
        "Prove that mail flows: reach, TLS, auth, sender, send.",
    ),
    "sandbox": (
        "karto_smtp.sandbox.commands:sandbox",
        "Run local SMTP2GO, Supabase and SMTP servers.",
    ),
    "demo": ("karto_smtp.demo:demo", "Run validate, plan, apply, plan and check on the sandbox."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name][0].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import every command module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="karto-smtp")
@click.option(
    "--debug",
    is_flag=True,
    help="Show what karto-smtp does on stderr, and a traceback on an unexpected error "
    f"(also: {LOG_ENV}=debug).",
)
def cli(debug: bool) -> None:
    """Manage SMTP2GO users and senders and Supabase Auth SMTP settings as code."""
    if debug:
        setup_logging(True)
    ctx = click.get_current_context()
    logging.getLogger(__name__).debug(
        "karto-smtp %s, Python %s, command %s",
        __version__,
        sys.version.split()[0],
        ctx.invoked_subcommand,
    )


class Terminated(BaseException):
    """SIGTERM outside an apply's own handling: stop like Ctrl-C, exit 143."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; every failure prints one line on stderr and exits non-zero."""
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    setup_logging(debug_requested())
    try:
        return cli.main(args=argv, prog_name="karto-smtp", standalone_mode=False)
    except KartoError as exc:
        click.echo(f"Error: {redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C into Abort; the shell convention for SIGINT is 128 + 2.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1 if exc.exit_code == 2 else exc.exit_code)
    except (KeyboardInterrupt, Terminated) as stopped:
        # Work cut short leaves coroutines unawaited; their warnings are noise now.
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        interrupted = isinstance(stopped, KeyboardInterrupt)
        click.echo("Interrupted." if interrupted else "Terminated.", err=True)
        sys.exit(130 if interrupted else 143)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        _unexpected(exc)


def _unexpected(exc: Exception) -> NoReturn:
    """A bug or an unforeseen condition: one line, or the traceback with --debug."""
    if debug_enabled():
        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    else:
        detail = " ".join(redact(str(exc)).split())
        if len(detail) > MAX_DETAIL:
            detail = detail[: MAX_DETAIL - 1] + "…"
        name = type(exc).__name__
        click.echo(
            f"Error: unexpected {name}{': ' + detail if detail else ''}; "
            "run with --debug for details",
            err=True,
        )
    sys.exit(1)


def color_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
