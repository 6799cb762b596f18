"""The `karto-smtp` entry point: a click group whose subcommands are imported on first use.

Start-up stays light: `karto-smtp validate` never imports httpx, deepdiff or the sandbox.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import warnings
from typing import Any, NoReturn

import click

from karto_smtp import __version__
from karto_smtp.errors import KartoError

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
def cli() -> None:
    """Manage SMTP2GO users and senders and Supabase Auth SMTP settings as code."""


class Terminated(BaseException):
    """SIGTERM outside an apply's own handling: stop like Ctrl-C, exit 143."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; expected failures print one line on stderr and exit 1."""
    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return cli.main(args=argv, prog_name="karto-smtp", standalone_mode=False)
    except KartoError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
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


def run() -> NoReturn:
    """The `karto-smtp` program: `main`, then an immediate exit once output is flushed.

    By then every connection is closed and every file written; what is left is the
    interpreter's teardown (freeing each module and object one by one), which costs a
    no-change plan about a fifth of its time and does nothing a user needs. In-process
    callers (tests) use `main`, which returns or raises SystemExit as usual.
    """
    try:
        main()
        status: object = 0
    except SystemExit as exc:
        status = exc.code
    _exit_now(status)


def _exit_now(status: object) -> NoReturn:
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:  # sys.exit("message"), as Python itself treats it
        print(status, file=sys.stderr)
        code = 1
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if (
        sys.gettrace() is not None
        or sys.getprofile() is not None
        or any(not t.daemon for t in others)
    ):
        # A profiler or coverage tool reports at exit; a thread still working must finish.
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be said
        code = code or 1
    os._exit(code)


def color_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
