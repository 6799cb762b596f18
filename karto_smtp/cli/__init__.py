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
from collections.abc import Mapping
from typing import Any, NoReturn

import click

from karto_smtp import __version__
from karto_smtp.cli import collector
from karto_smtp.errors import KartoError
from karto_smtp.log import LOG_ENV, debug_enabled, debug_requested, setup_logging
from karto_smtp.redaction import redact

# An unexpected error's text is shown up to this length; --debug shows all of it.
MAX_DETAIL = 200

# name -> "module:attribute"; each module owns one concept's commands. The attribute is a
# click command, or a function that returns one (for a command that may not be installed).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("karto_smtp.cli.init:init", "Write a starter karto.yaml (asks, or from flags)."),
    "import": (
        "karto_smtp.cli.import_:import_",
        "Write a karto.yaml that declares what the live services hold now.",
    ),
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
    "show": ("karto_smtp.cli.show:show", "Show a saved plan (text, JSON or Markdown)."),
    "dns": (
        "karto_smtp.cli.dns:dns",
        "Print the DNS records each sender domain needs, for your DNS tool.",
    ),
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

NO_COLOR_META = "karto_smtp.no_color"


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name][0].split(":")
        found = getattr(importlib.import_module(module_name), attribute)
        command: click.Command = found if isinstance(found, click.Command) else found()
        collector.command_found(command.callback)
        if command.epilog is None:
            from karto_smtp.cli.examples import examples_for

            command.epilog = examples_for(cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import every command module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Run `karto-smtp COMMAND --help` for a command's options and examples.",
)
@click.version_option(__version__, prog_name="karto-smtp")
@click.option(
    "--no-color",
    is_flag=True,
    help="No colour, even on a terminal (also: NO_COLOR=1; FORCE_COLOR=1 forces it).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Show what karto-smtp does on stderr, and a traceback on an unexpected error "
    f"(also: {LOG_ENV}=debug).",
)
@click.pass_context
def cli(ctx: click.Context, no_color: bool, debug: bool) -> None:
    """Manage SMTP2GO users and senders and Supabase Auth SMTP settings as code."""
    ctx.meta[NO_COLOR_META] = no_color
    # click.echo strips or keeps escape codes by ctx.color: forced either way here, else
    # click decides per stream (a terminal keeps them).
    if not color_enabled(_Terminal()):
        ctx.color = False
    elif color_enabled(_Pipe()):
        ctx.color = True
    if debug:
        setup_logging(True)
    logging.getLogger(__name__).debug(
        "karto-smtp %s, Python %s, command %s",
        __version__,
        sys.version.split()[0],
        ctx.invoked_subcommand,
    )


class Terminated(BaseException):
    """SIGTERM outside an apply's own handling: stop like Ctrl-C, exit 143."""


_SIGTERM_SEEN = {"seen": False}


def _terminate(signum: int, frame: object) -> None:
    """Stop like Ctrl-C does, so asyncio stops cleanly too, then exit 143.

    An exception raised straight from a signal handler can land inside any task's step,
    where asyncio keeps it as that task's result and the run carries on; Python's SIGINT
    path (asyncio cancels its main task, then raises KeyboardInterrupt) is the one that
    always reaches main().
    """
    import signal

    _SIGTERM_SEEN["seen"] = True
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        raise Terminated  # SIGINT ignored (a background job): raise it here instead
    os.kill(os.getpid(), signal.SIGINT)


def _stopped_by() -> tuple[str, int]:
    """What stopped the run, and its exit code (128 + the signal's number)."""
    return ("Terminated.", 143) if _SIGTERM_SEEN["seen"] else ("Interrupted.", 130)


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; every failure prints one line on stderr and exits non-zero.

    With `--format json`, a failure also prints the JSON envelope on stdout (status
    "error" or "interrupted"), so a pipeline always gets one document to read.
    """
    import signal

    setup_logging(debug_requested())
    _SIGTERM_SEEN["seen"] = False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    args = sys.argv[1:] if argv is None else list(argv)
    as_json = json_command(args, list(COMMANDS))
    try:
        return cli.main(args=args, prog_name="karto-smtp", standalone_mode=False)
    except KartoError as exc:
        _fail(as_json, _error_code(exc), str(exc), exc.exit_code)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C into Abort; the shell convention for SIGINT is 128 + 2.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            _fail(as_json, "interrupted", *_stopped_by(), prefix="")
        _fail(as_json, "aborted", "Aborted.", 1, prefix="")
    except click.ClickException as exc:
        if as_json:
            _print_json_error(as_json, "usage", redact(exc.format_message()))
        exc.show()
        sys.exit(1 if exc.exit_code == 2 else exc.exit_code)
    except (KeyboardInterrupt, Terminated) as stopped:
        # Work cut short leaves coroutines unawaited and tasks pending; what Python and
        # asyncio say about them at exit is noise after the one line below.
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
        if isinstance(stopped, Terminated):
            _SIGTERM_SEEN["seen"] = True
        _fail(as_json, "interrupted", *_stopped_by(), prefix="")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if as_json:
            _print_json_error(as_json, "unexpected", f"unexpected {type(exc).__name__}")
        _unexpected(exc)


def json_command(argv: list[str], commands: list[str]) -> str | None:
    """The command a command line runs with `--format json`, or None.

    Read from the arguments themselves so that even a usage error (before any command
    code runs) still answers in JSON.
    """
    wants_json = "--format=json" in argv or any(
        arg == "--format" and after == "json" for arg, after in zip(argv, argv[1:], strict=False)
    )
    if not wants_json:
        return None
    return next((arg for arg in argv if arg in commands), None)


def _error_code(exc: KartoError) -> str:
    from karto_smtp.errors import ApiError, ConfigError, StalePlanError

    for kind, code in ((StalePlanError, "stale-plan"), (ConfigError, "config"), (ApiError, "api")):
        if isinstance(exc, kind):
            return code
    return "error"


def _print_json_error(command: str, code: str, message: str) -> None:
    from karto_smtp.views.envelope import dumps, envelope, error

    status = "interrupted" if code == "interrupted" else "error"
    click.echo(dumps(envelope(command, status, errors=[error(code, message)])), nl=False)


def _fail(
    as_json: str | None, code: str, message: str, exit_code: int, prefix: str = "Error: "
) -> NoReturn:
    # Services' words can carry what was sent to them: no secret reaches any output.
    message = redact(message)
    if as_json:
        _print_json_error(as_json, code, message)
    click.echo(f"{prefix}{message}", err=True)
    sys.exit(exit_code)


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


def run() -> NoReturn:
    """The `karto-smtp` program: `main`, then an immediate exit once output is flushed.

    By then every connection is closed and every file written; what is left is the
    interpreter's teardown (freeing each module and object one by one), which costs a
    no-change plan about a fifth of its time and does nothing a user needs. In-process
    callers (tests) use `main`, which returns or raises SystemExit as usual.
    """
    collector.pause()
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


class _Terminal:
    def isatty(self) -> bool:
        return True


class _Pipe:
    def isatty(self) -> bool:
        return False


def _flag_set(environ: Mapping[str, str], name: str) -> bool:
    # FORCE_COLOR=0 and FORCE_COLOR=false are common ways of saying "no".
    return environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def color_enabled(stream: Any = None, environ: Mapping[str, str] | None = None) -> bool:
    """The one colour decision, in this order (first match wins):

    1. `--no-color` on the command line: no colour;
    2. NO_COLOR set to anything but empty (https://no-color.org): no colour;
    3. FORCE_COLOR set and not 0/false (https://force-color.org): colour, even in a pipe;
    4. otherwise colour only when `stream` (default stdout) is a terminal.
    """
    env = os.environ if environ is None else environ
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get(NO_COLOR_META):
        return False
    if env.get("NO_COLOR"):
        return False
    if _flag_set(env, "FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
