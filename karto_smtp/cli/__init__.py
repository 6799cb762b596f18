"""The `karto-smtp` entry point: a click group whose subcommands are imported on first use.

Start-up stays light: `karto-smtp validate` never imports httpx, deepdiff or the sandbox.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from karto_smtp import __version__
from karto_smtp.errors import KartoError

# name -> "module:attribute"; each module owns one concept's commands. The attribute is a
# click command, or a function that returns one (for a command that may not be installed).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "karto_smtp.cli.validate:validate",
        "Check karto.yaml offline: schema and lint rules.",
    ),
    "schema": ("karto_smtp.cli.validate:schema", "Print the JSON Schema of karto.yaml."),
    "plan": (
        "karto_smtp.cli.plan_apply:plan",
        "Show what apply would change, read from the live services.",
    ),
    "apply": ("karto_smtp.cli.plan_apply:apply", "Change the live services to match karto.yaml."),
    "check": (
        "karto_smtp.cli.check:check",
        "Prove that mail flows: reach, TLS, auth, sender, send.",
    ),
    "sandbox": (
        "karto_smtp.cli.sandbox:command",
        "Run local SMTP2GO, Supabase and SMTP servers.",
    ),
    "demo": (
        "karto_smtp.cli.demo:demo",
        "Run validate, plan, apply, plan and check on the sandbox.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name][0].split(":")
        found = getattr(importlib.import_module(module_name), attribute)
        return found if isinstance(found, click.Command) else found()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import every command module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="karto-smtp")
def cli() -> None:
    """Manage SMTP2GO users and senders and Supabase Auth SMTP settings as code."""


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; expected failures print one line on stderr and exit 1."""
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
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


def color_enabled(stream: Any = None) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
