"""The sandbox's command line: run the stack; `verify-sender` and `mail` talk to a running one.

`karto-smtp sandbox` is this group; so is `python -m karto_sandbox`.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from karto_sandbox.stack import Stack

SANDBOX_URL_ENV = "KARTO_SANDBOX_URL"
DEFAULT_CONFIG = Path("karto.yaml")
HTTP_TIMEOUT = 10.0
# The last line on stdout once every export line is out: a shell comment, so sourcing the
# output still works, and a marker for programs that wait for the sandbox to be up.
READY_LINE = "# karto-smtp sandbox ready"


class SandboxError(click.ClickException):
    """A failure to report in one line and exit 1."""


@click.group(invoke_without_command=True)
@click.option(
    "-c",
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="karto.yaml whose Supabase projects to serve [default: ./karto.yaml, if present].",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load the sandbox state from FILE at start (when it exists) and save it at stop.",
)
@click.option(
    "--port-base",
    type=click.IntRange(1, 65530),
    help="Fixed ports: SMTP2GO API N, Supabase API N+1, Auth N+2, SMTP STARTTLS N+3, TLS N+4, "
    "DNS N+5 (UDP).",
)
@click.option(
    "--auto-verify-senders", is_flag=True, help="Verify single sender emails as they are added."
)
@click.option("--no-rate-limit", is_flag=True, help="Turn off the Supabase API rate limit.")
@click.option(
    "--block-port",
    "block_ports",
    multiple=True,
    metavar="PORT[=refused|timeout]",
    help="Make a relay port (e.g. 587) look firewalled: connections time out (default) or are "
    "refused. Repeatable.",
)
@click.pass_context
def sandbox(
    ctx: click.Context,
    config_file: Path | None,
    state_file: Path | None,
    port_base: int | None,
    auto_verify_senders: bool,
    no_rate_limit: bool,
    block_ports: tuple[str, ...],
) -> None:
    """Run local SMTP2GO, Supabase and SMTP relay emulators until Ctrl-C.

    Prints `export NAME=value` lines on stdout, then a `# ... ready` comment line (flushed at
    once, so `karto-smtp sandbox > sandbox.env &` then `. ./sandbox.env` works), and a
    summary on stderr.
    """
    if ctx.invoked_subcommand is not None:
        return
    from karto_sandbox.stack import PORT_NAMES, Stack

    if config_file is not None and not config_file.is_file():
        raise SandboxError(f"no such file: {config_file}")
    if config_file is None and DEFAULT_CONFIG.is_file():
        config_file = DEFAULT_CONFIG
    ports = {name: port_base + i for i, name in enumerate(PORT_NAMES)} if port_base else None
    blocked = _parse_blocked_ports(block_ports)
    # aiosmtpd logs client mistakes (bad commands, dropped connections) as warnings.
    logging.getLogger("mail.log").addHandler(logging.NullHandler())
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            running = Stack(
                config=config_file,
                state_file=state_file,
                ports=ports,
                auto_verify_senders=auto_verify_senders,
                rate_limit=not no_rate_limit,
                blocked_ports=blocked,
            ).start()
        except (OSError, RuntimeError) as exc:
            raise SandboxError(f"cannot start the sandbox: {exc}") from exc
        except ValueError as exc:
            raise SandboxError(str(exc)) from exc
        try:
            for name, value in running.env.items():
                click.echo(f"export {name}={shlex.quote(value)}")
            click.echo(READY_LINE)
            sys.stdout.flush()
            _summary(running, config_file)
            while not stop.wait(0.5):
                pass
        finally:
            running.stop()
        click.echo(
            "Sandbox stopped." + (f" State saved to {state_file}." if state_file else ""), err=True
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _parse_blocked_ports(values: tuple[str, ...]) -> dict[int, Any]:
    blocked: dict[int, Any] = {}
    for value in values:
        port, _, mode = value.partition("=")
        if not port.isdigit() or mode not in ("", "refused", "timeout"):
            raise click.BadParameter(
                f"{value!r}: expected PORT, PORT=refused or PORT=timeout", param_hint="--block-port"
            )
        blocked[int(port)] = mode or "timeout"
    return blocked


def _summary(running: Stack, config_file: Path | None) -> None:
    ports = running.ports
    projects = running.supabase_account.project_summaries()
    if projects:
        source = f" (from {config_file})" if config_file is not None else ""
        served = [f"  Supabase projects{source}:"] + [
            f"    {p['ref']}  {p['name']}" for p in projects
        ]
    else:
        served = [
            "  Supabase projects: none (no karto.yaml here; pass -c FILE, or add one with "
            "POST /_sandbox/projects on the Supabase API)"
        ]
    lines = [
        "karto-smtp sandbox running:",
        f"  SMTP2GO API       {running.smtp2go_url}/v3",
        f"  sandbox admin     {running.smtp2go_url}/_sandbox/",
        f"  Supabase API      {running.supabase_url}",
        f"  Supabase Auth     {running.auth_url}/<ref>",
        *served,
        f"  SMTP STARTTLS     127.0.0.1:{ports['starttls']}  (relay ports 25, 2525, 8025, 587, 80)",
        f"  SMTP implicit TLS 127.0.0.1:{ports['tls']}  (relay ports 465, 8465, 443)",
        f"  CA certificate    {running.tls.cert_file if running.tls else '-'}",
        f"  DNS resolver      127.0.0.1:{ports['dns']}  (UDP; `karto-smtp sandbox dns` fills it)",
        *(f"  blocked port      {port} ({mode})" for port, mode in running.blocked.items()),
        *(f"  note: {note}" for note in running.notes),
        "Press Ctrl-C to stop.",
    ]
    click.echo("\n".join(lines), err=True)


def _sandbox_url() -> str:
    url = os.environ.get(SANDBOX_URL_ENV, "").strip().rstrip("/")
    if not url:
        raise SandboxError(
            f"{SANDBOX_URL_ENV} is not set: start `karto-smtp sandbox` and export the variables "
            "it prints"
        )
    return url


def _request(method: str, path: str, timeout: float = HTTP_TIMEOUT, **kwargs: Any) -> Any:
    import httpx

    url = _sandbox_url() + path
    try:
        response = httpx.request(method, url, timeout=timeout, **kwargs)
    except httpx.HTTPError as exc:
        raise SandboxError(
            f"the sandbox at {url} is not reachable ({exc}); is it running?"
        ) from exc
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        raise SandboxError(
            f"sandbox: {method} {path} answered {response.status_code}: {message or response.text}"
        )
    return body


@sandbox.command("verify-sender")
@click.argument("address")
def verify_sender(address: str) -> None:
    """Mark a single sender email ADDRESS as verified (as if its link had been clicked)."""
    _request("POST", "/_sandbox/senders/verify", json={"email_address": address})
    click.echo(f"Verified sender {address}.")


@sandbox.command("mail")
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
@click.option(
    "--wait",
    type=click.FloatRange(0, 60),
    default=0,
    help="Wait up to SECONDS for a (matching) message; exit 1 if none arrives.",
)
@click.option("--to", "recipient", help="Only messages to this recipient.")
@click.option(
    "--body",
    "show_body",
    is_flag=True,
    help="Print each message's body too (decoded HTML or text).",
)
def mail(as_json: bool, wait: float, recipient: str | None, show_body: bool) -> None:
    """List the messages the sandbox relay accepted: time, SMTP user, sender, recipients and
    subject (with --body, the text of each; --json has everything, the raw message too)."""
    params: dict[str, Any] = {}
    if recipient:
        params["to"] = recipient
    if wait:
        params["wait"] = wait
    body = _request("GET", "/_sandbox/mail", timeout=HTTP_TIMEOUT + wait, params=params)
    messages: list[dict[str, Any]] = body.get("messages", []) if isinstance(body, dict) else []
    if as_json:
        click.echo(json.dumps({"messages": messages}, indent=2))
    else:
        for message in messages:
            rejected = (
                "  [not delivered: sandbox user]" if message.get("status") == "rejected" else ""
            )
            click.echo(
                f"{message['received_at']}  {message['smtp_user']}  {message.get('from_header')}"
                f" -> {', '.join(message['rcpt_tos'])}  {message.get('subject')!r}{rejected}"
            )
            if show_body:
                body = message.get("body")
                click.echo((body if body is not None else "(no text part)").rstrip("\n") + "\n")
        if not messages:
            click.echo("No messages.", err=True)
    if wait and not messages:
        raise SandboxError(f"no message{' to ' + recipient if recipient else ''} within {wait:g}s")


@sandbox.command("dns")
@click.argument("zone_file", required=False, type=click.File("r"), metavar="[ZONEFILE|-]")
def dns(zone_file: Any) -> None:
    """Publish BIND zone-file lines in the sandbox's DNS, or list what it holds.

    `karto-smtp dns | karto-smtp sandbox dns -` publishes a sender domain's records, as a
    team pastes them into its DNS.
    """
    if zone_file is None:
        body = _request("GET", "/_sandbox/dns")
        records = body.get("records", []) if isinstance(body, dict) else []
        for record in records:
            value = record["value"]
            if record["type"] == "TXT":
                value = '"' + value.replace('"', '\\"') + '"'
            elif record["type"] in ("CNAME", "MX"):
                value += "."
            click.echo(f"{record['name']}. IN {record['type']} {value}")
        if not records:
            click.echo("No records.", err=True)
        return
    body = _request("POST", "/_sandbox/dns", json={"zone": zone_file.read()})
    added = body.get("added", []) if isinstance(body, dict) else []
    click.echo(f"Published {len(added)} record{'' if len(added) == 1 else 's'}.")
