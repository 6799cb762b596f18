"""`Sandbox`: every emulator running at once, plus the environment that points clients at it.

    with Sandbox() as sandbox:
        os.environ.update(sandbox.env)     # SMTP2GO_API_URL, SUPABASE_API_URL, ...
        ...                                # karto-smtp plan/apply/check against it
        sandbox.mailbox.wait_for(lambda m: m.subject == "Magic link")

Seeded state: one SMTP2GO API key allowed every endpoint and no SMTP users, senders or
domains; one Supabase access token; each project named in the karto.yaml it seeds from
(`supabase.projects[*].ref` / `name`), or `DEFAULT_PROJECT_REF`, in a new project's default
Auth configuration.

Rate limits: `rate_limit` switches the Supabase Management API's documented limit. SMTP2GO's
account stays unlimited, since SMTP2GO publishes no general API limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import string
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from karto_smtp.relay_map import CA_FILE_ENV, RELAY_MAP_ENV, RelayMap, client_ssl_context
from karto_smtp.sandbox.http_server import HttpApp, HttpServer, Request, RequestLog, Response
from karto_smtp.sandbox.mailbox import DeliveredMessage, Mailbox
from karto_smtp.sandbox.relay import SmtpRelay
from karto_smtp.sandbox.smtp2go_api import Smtp2goAccount, Smtp2goApp
from karto_smtp.sandbox.supabase_api import SupabaseAccount, SupabaseApp
from karto_smtp.sandbox.supabase_auth import SupabaseAuthApp
from karto_smtp.sandbox.tls import RELAY_HOSTS, SandboxTls

DEFAULT_CONFIG = Path("examples/karto.yaml")
# A syntactically valid ref (exactly 20 lowercase letters) that no real project has.
DEFAULT_PROJECT_REF = "kartosandboxprojecta"
DEFAULT_PROJECT_NAME = "karto-sandbox"
PROJECT_REF_RE = re.compile(r"[a-z]{20}")

STARTTLS_PORTS = (25, 2525, 8025, 587, 80)
IMPLICIT_TLS_PORTS = (465, 8465, 443)
PORT_NAMES = ("api", "supabase", "auth", "starttls", "tls")
STATE_VERSION = 1
MAX_MAIL_WAIT = 60.0

BlockMode = Literal["refused", "timeout"]


def new_api_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "api-" + "".join(secrets.choice(alphabet) for _ in range(32))


def new_access_token() -> str:
    return "sbp_" + secrets.token_hex(20)


def projects_from_config(path: Path) -> list[tuple[str, str]]:
    """(ref, name) of each `supabase.projects[*]` with a valid literal ref in a karto.yaml."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    supabase = data.get("supabase") if isinstance(data, dict) else None
    projects = supabase.get("projects") if isinstance(supabase, dict) else None
    if isinstance(projects, dict):  # also accept a mapping keyed by project name
        projects = [{"name": k, **v} for k, v in projects.items() if isinstance(v, dict)]
    found: list[tuple[str, str]] = []
    for project in projects if isinstance(projects, list) else []:
        if not isinstance(project, dict):
            continue
        ref = project.get("ref")
        if isinstance(ref, str) and PROJECT_REF_RE.fullmatch(ref):
            name = project.get("name")
            found.append((ref, name if isinstance(name, str) and name else ref))
    return found


class BlockedPort:
    """A loopback address where a relay port looks firewalled.

    "refused": a bound socket that never listens, so connecting fails at once (RST).
    "timeout": a listening socket with a full accept queue that is never drained; Linux
    then drops new SYNs, so a client's connect hangs until its own timeout, like a port
    behind a DROP rule.
    """

    def __init__(self, mode: BlockMode) -> None:
        if mode not in ("refused", "timeout"):
            raise ValueError(f"a blocked port's mode is 'refused' or 'timeout', not {mode!r}")
        self.mode = mode
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        if mode == "timeout":
            self._fill_accept_queue()

    def _fill_accept_queue(self) -> None:
        self._listener.listen(0)
        for _ in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self._sockets.append(filler)
        time.sleep(0.02)
        try:
            probe = socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
        except OSError:
            return  # the SYN was dropped: connects now time out
        probe.close()
        self.close()
        raise RuntimeError("this system accepts connections past a full backlog; use 'refused'")

    def close(self) -> None:
        for sock in [*self._sockets, self._listener]:
            sock.close()
        self._sockets = []


def _normalise_blocked(
    blocked: Mapping[int, BlockMode] | Iterable[int] | None,
) -> dict[int, BlockMode]:
    if blocked is None:
        return {}
    if not isinstance(blocked, Mapping):
        # A bare port means a firewall that drops, the usual way providers block SMTP ports.
        return {int(port): "timeout" for port in blocked}
    for port, mode in blocked.items():
        if mode not in ("refused", "timeout"):
            raise ValueError(f"blocked port {port}: mode is 'refused' or 'timeout', not {mode!r}")
    return {int(port): mode for port, mode in blocked.items()}


class Sandbox:
    """Starts the SMTP2GO API, Supabase Management API, Supabase Auth and SMTP relay emulators.

    state_file   JSON loaded at start when it exists and written at stop: both accounts,
                 the seeded key and token, the ports and the certificate, so `env` stays
                 the same across restarts.
    ports        fixed ports by name ("api", "supabase", "auth", "starttls", "tls"); others
                 are the state file's (when still free) or ephemeral.
    seed_from    the karto.yaml whose Supabase projects exist at start (None: the default).
    blocked_ports  relay ports (587, 465, ...) that look firewalled: {port: "refused" |
                 "timeout"}, or a set of ports meaning "timeout".
    """

    def __init__(
        self,
        state_file: Path | None = None,
        ports: Mapping[str, int] | None = None,
        seed_from: Path | None = DEFAULT_CONFIG,
        auto_verify_senders: bool = False,
        rate_limit: bool = True,
        blocked_ports: Mapping[int, BlockMode] | Iterable[int] | None = None,
    ) -> None:
        unknown = set(ports or {}) - set(PORT_NAMES)
        if unknown:
            raise ValueError(f"unknown port names {sorted(unknown)}; use {', '.join(PORT_NAMES)}")
        self.state_file = state_file.resolve() if state_file is not None else None
        self.requested_ports = dict(ports or {})
        self.seed_from = seed_from
        self.auto_verify_senders = auto_verify_senders
        self.rate_limit = rate_limit
        self.blocked = _normalise_blocked(blocked_ports)
        self.notes: list[str] = []  # things a user should know, e.g. a saved port was taken

        self.request_log = RequestLog()
        self.mailbox = Mailbox()
        self.smtp2go_account = Smtp2goAccount(auto_verify_senders=auto_verify_senders)
        self.supabase_account = SupabaseAccount(rate_limit=rate_limit)
        self.api_key = ""
        self.access_token = ""
        self.project_refs: list[str] = []
        self._seed_state: dict[str, Any] = {}
        self._servers: dict[str, HttpServer] = {}
        self._blocked_sockets: list[BlockedPort] = []
        self._started = False
        self._used = False
        self.tls: SandboxTls | None = None
        self.relay: SmtpRelay | None = None
        self.relay_map = RelayMap()
        self.smtp2go_app = Smtp2goApp(self.smtp2go_account, request_log=self.request_log)
        self._add_mail_routes(self.smtp2go_app)
        self.supabase_app = SupabaseApp(self.supabase_account, request_log=self.request_log)
        # Made at start: it needs the relay's ports (in `relay_map`) and the certificate.
        self.auth_app: SupabaseAuthApp | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._used:
            raise RuntimeError("a Sandbox starts once; make a new one (with the same state_file)")
        self._used = True
        saved = self._read_state_file()
        try:
            self._start(saved)
        except BaseException:
            self.stop(save=False)
            raise
        self._started = True
        return self

    def _start(self, saved: dict[str, Any] | None) -> None:
        tls_pem = None
        if saved and saved.get("tls"):
            tls_pem = (saved["tls"]["cert_pem"].encode(), saved["tls"]["key_pem"].encode())
        tls_dir = None if self.state_file is None else self.state_file.with_suffix(".tls")
        self.tls = SandboxTls(tls_dir, tls_pem)
        if saved:
            self._load(saved)
        else:
            self._seed()
        self._seed_state = self._accounts_state()

        saved_ports: dict[str, int] = dict(saved.get("ports", {})) if saved else {}
        self._start_http("api", self.smtp2go_app, saved_ports)
        self._start_http("supabase", self.supabase_app, saved_ports)

        self.relay = self._start_relay(saved_ports)
        self.relay_map = self._build_relay_map(self.relay)
        self.auth_app = SupabaseAuthApp(
            self.supabase_account,
            self.relay_map,
            client_ssl_context(str(self.tls.cert_file)),
            request_log=self.request_log,
        )
        self._start_http("auth", self.auth_app, saved_ports)

    def _port_for(self, name: str, saved_ports: Mapping[str, int]) -> tuple[int, bool]:
        """The port to try and whether it came from the state file (so may fall back)."""
        if name in self.requested_ports:
            return int(self.requested_ports[name]), False
        if name in saved_ports:
            return int(saved_ports[name]), True
        return 0, False

    def _start_http(self, name: str, app: HttpApp, saved_ports: Mapping[str, int]) -> None:
        port, from_state = self._port_for(name, saved_ports)
        try:
            server = HttpServer(app, port=port)
        except OSError:
            if not from_state:
                raise
            self.notes.append(f"saved {name} port {port} is taken; using another one")
            server = HttpServer(app, port=0)
        self._servers[name] = server.start()

    def _start_relay(self, saved_ports: Mapping[str, int]) -> SmtpRelay:
        assert self.tls is not None
        (starttls, s_saved), (implicit, t_saved) = (
            self._port_for("starttls", saved_ports),
            self._port_for("tls", saved_ports),
        )
        relay = SmtpRelay(
            self.smtp2go_account, self.mailbox, self.tls, starttls_port=starttls, tls_port=implicit
        )
        try:
            return relay.start()
        except OSError:
            if not (s_saved or t_saved):
                raise
            self.notes.append(f"saved SMTP ports {starttls}/{implicit} are taken; using others")
            relay = SmtpRelay(
                self.smtp2go_account,
                self.mailbox,
                self.tls,
                starttls_port=0 if s_saved else starttls,
                tls_port=0 if t_saved else implicit,
            )
            return relay.start()

    def _build_relay_map(self, relay: SmtpRelay) -> RelayMap:
        targets: dict[int, tuple[str, int]] = {}
        for port in STARTTLS_PORTS:
            targets[port] = (relay.host, relay.starttls_port)
        for port in IMPLICIT_TLS_PORTS:
            targets[port] = (relay.host, relay.tls_port)
        for port, mode in self.blocked.items():
            blocked = BlockedPort(mode)
            self._blocked_sockets.append(blocked)
            targets[port] = ("127.0.0.1", blocked.port)
        return RelayMap(
            [((host, port), target) for host in RELAY_HOSTS for port, target in targets.items()]
        )

    def stop(self, save: bool = True) -> None:
        """Stop everything; with a state file, save the state first."""
        if save and self._started and self.state_file is not None:
            self.save_state()
        # Each HttpServer takes up to its poll interval to stop; stop them side by side.
        stoppers = [
            threading.Thread(target=server.stop, name=f"stop-{name}")
            for name, server in self._servers.items()
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        self._servers = {}
        if self.relay is not None:
            self.relay.stop()
        for blocked in self._blocked_sockets:
            blocked.close()
        self._blocked_sockets = []
        if self.tls is not None:
            self.tls.cleanup()
        self._started = False

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- seeding and state ----------------------------------------------------------
    def _seed(self) -> None:
        self.api_key = new_api_key()
        self.access_token = new_access_token()
        self.smtp2go_account.add_api_key(self.api_key, ["*"])
        self.supabase_account.add_token(self.access_token)
        projects: list[tuple[str, str]] = []
        if self.seed_from is not None:
            if self.seed_from.exists():
                projects = projects_from_config(self.seed_from)
            elif self.seed_from != DEFAULT_CONFIG:
                raise FileNotFoundError(f"no such karto.yaml: {self.seed_from}")
        for ref, name in projects or [(DEFAULT_PROJECT_REF, DEFAULT_PROJECT_NAME)]:
            self.supabase_account.add_project(ref, name)
        self.project_refs = [ref for ref, _name in projects] or [DEFAULT_PROJECT_REF]

    def _accounts_state(self) -> dict[str, Any]:
        return {
            "smtp2go": self.smtp2go_account.to_state(),
            "supabase": self.supabase_account.to_state(),
        }

    def _load(self, saved: Mapping[str, Any]) -> None:
        try:
            self.smtp2go_account.load_state(saved["smtp2go"])
            self.supabase_account.load_state(saved["supabase"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{self.state_file}: invalid sandbox state ({exc!r})") from exc
        # Flags given now win over the saved account options.
        self.smtp2go_account.configure(auto_verify_senders=self.auto_verify_senders)
        self.supabase_account.set_options(rate_limit_enabled=self.rate_limit)
        self.api_key = saved["api_key"]
        self.access_token = saved["access_token"]
        self.project_refs = list(saved.get("project_refs", []))

    def _read_state_file(self) -> dict[str, Any] | None:
        if self.state_file is None or not self.state_file.exists():
            return None
        try:
            saved = json.loads(self.state_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{self.state_file}: not valid JSON ({exc})") from exc
        required = {"api_key": str, "access_token": str, "smtp2go": dict, "supabase": dict}
        if (
            not isinstance(saved, dict)
            or saved.get("version") != STATE_VERSION
            or not all(isinstance(saved.get(k), t) for k, t in required.items())
        ):
            raise ValueError(
                f"{self.state_file}: not a karto-smtp sandbox state file (version {STATE_VERSION})"
            )
        tls = saved.get("tls")
        if tls is not None and not (
            isinstance(tls, dict)
            and isinstance(tls.get("cert_pem"), str)
            and isinstance(tls.get("key_pem"), str)
        ):
            saved["tls"] = None  # a new certificate is made; the accounts are still good
        return saved

    def state(self) -> dict[str, Any]:
        """Everything `state_file` holds (clear-text secrets: it is the emulators' storage)."""
        assert self.tls is not None
        return {
            "version": STATE_VERSION,
            "api_key": self.api_key,
            "access_token": self.access_token,
            "project_refs": self.project_refs,
            "ports": self.ports,
            "tls": {"cert_pem": self.tls.cert_pem.decode(), "key_pem": self.tls.key_pem.decode()},
            **self._accounts_state(),
        }

    def save_state(self) -> None:
        if self.state_file is None:
            raise ValueError("this sandbox has no state file")
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_name(self.state_file.name + ".tmp")
        temporary.touch(mode=0o600)
        temporary.write_text(json.dumps(self.state(), indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.state_file)

    def reset(self) -> None:
        """Back to the state at start: accounts, mailbox, request log and faults."""
        self.smtp2go_account.load_state(self._seed_state["smtp2go"])
        self.supabase_account.load_state(self._seed_state["supabase"])
        self.mailbox.clear()
        self.request_log.clear()
        for server in self._servers.values():
            server.app.clear_faults()

    # -- what clients see -----------------------------------------------------------
    def _require_running(self) -> tuple[SandboxTls, SmtpRelay]:
        if not self._started or self.tls is None or self.relay is None:
            raise RuntimeError("the sandbox is not running")
        return self.tls, self.relay

    @property
    def ports(self) -> dict[str, int]:
        _tls, relay = self._require_running()
        return {
            "api": self._servers["api"].port,
            "supabase": self._servers["supabase"].port,
            "auth": self._servers["auth"].port,
            "starttls": relay.starttls_port,
            "tls": relay.tls_port,
        }

    @property
    def smtp2go_url(self) -> str:
        """The SMTP2GO emulator's base URL, also the sandbox admin URL (no /v3)."""
        return self._servers["api"].url

    @property
    def supabase_url(self) -> str:
        return self._servers["supabase"].url

    @property
    def auth_url(self) -> str:
        return self._servers["auth"].url

    def project_url(self, ref: str | None = None) -> str:
        return f"{self.auth_url}/{ref or self.project_refs[0]}"

    @property
    def env(self) -> dict[str, str]:
        tls, _relay = self._require_running()
        return {
            "SMTP2GO_API_URL": f"{self.smtp2go_url}/v3",
            "SMTP2GO_API_KEY": self.api_key,
            "SUPABASE_API_URL": self.supabase_url,
            "SUPABASE_ACCESS_TOKEN": self.access_token,
            "SUPABASE_PROJECT_URL": f"{self.auth_url}/{{ref}}",
            RELAY_MAP_ENV: self.relay_map.to_env(),
            CA_FILE_ENV: str(tls.cert_file),
            "KARTO_SANDBOX_URL": self.smtp2go_url,
        }

    # -- mailbox routes on the SMTP2GO app (one admin URL for the whole sandbox) ------
    def _add_mail_routes(self, app: HttpApp) -> None:
        app.route("GET", "/_sandbox/mail", self._get_mail)
        app.route("DELETE", "/_sandbox/mail", self._clear_mail)

    def _get_mail(self, request: Request) -> Response:
        """?to=ADDRESS filters by recipient; ?wait=SECONDS waits for a first match."""
        to = (request.query.get("to") or [""])[0].lower()
        try:
            wait = min(float((request.query.get("wait") or ["0"])[0]), MAX_MAIL_WAIT)
        except ValueError:
            return Response(400, {"message": "wait must be a number of seconds"})

        def matches(message: DeliveredMessage) -> bool:
            return not to or to in (r.lower() for r in message.rcpt_tos)

        if wait > 0:
            self.mailbox.wait_for(matches, wait, include_rejected=True)
        messages = [m.as_dict() for m in self.mailbox.messages(include_rejected=True) if matches(m)]
        return Response(200, {"messages": messages})

    def _clear_mail(self, request: Request) -> Response:
        self.mailbox.clear()
        return Response(204)
