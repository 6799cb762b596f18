"""`Stack`: every emulator running at once, and the environment that points clients at it.

This is the object `karto-smtp sandbox` runs, and the one tests run in-process:

    with Stack(config=Path("karto.yaml")) as stack:
        os.environ.update(stack.env)     # SMTP2GO_API_URL, SUPABASE_API_URL, ...
        ...                              # clients against it
        stack.reset()                    # back to the state at start

Seeded state: one SMTP2GO API key allowed every endpoint and no SMTP users, senders or
domains; one Supabase access token; each project the config file names, in a new
project's default state. No file, no projects: nothing is invented.

Rate limits: `rate_limit` switches the Supabase Management API's documented limit. SMTP2GO's
account stays unlimited, since SMTP2GO publishes no general API limit.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from karto_sandbox.clock import Clock
from karto_sandbox.dns.server import DnsServer
from karto_sandbox.dns.zone import DnsZone
from karto_sandbox.http import HttpApp, Request, RequestLog, Response
from karto_sandbox.http_server import HttpServer
from karto_sandbox.relay.blocked import BlockedPort, BlockMode, normalise_blocked
from karto_sandbox.relay.mailbox import DeliveredMessage, Mailbox
from karto_sandbox.relay.routing import CA_FILE_ENV, RELAY_ENV, RelayRoutes, RelayRule
from karto_sandbox.relay.server import SmtpRelay
from karto_sandbox.relay.tls import SandboxTls
from karto_sandbox.seed import projects_in
from karto_sandbox.smtp2go.activity import Activity
from karto_sandbox.smtp2go.models import Smtp2goAccount
from karto_sandbox.smtp2go.responses import Smtp2goApp
from karto_sandbox.supabase.auth import SupabaseAuthApp
from karto_sandbox.supabase.management import SupabaseApp
from karto_sandbox.supabase.models import SupabaseAccount

# One pattern for every SMTP2GO relay name (mail, mail-us, mail-eu, mail-eu2, mail-au).
RELAY_PATTERN = "mail*.smtp2go.com"
PORT_NAMES = ("api", "supabase", "auth", "starttls", "tls", "dns")
# Where `karto-smtp check` asks DNS questions: the sandbox's resolver, on loopback.
DNS_RESOLVER_ENV = "KARTO_DNS_RESOLVER"
STATE_VERSION = 2
READABLE_STATE_VERSIONS = (1, 2)  # 1: before the Supabase project settings were kept
MAX_MAIL_WAIT = 60.0

T = TypeVar("T")


def new_api_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "api-" + "".join(secrets.choice(alphabet) for _ in range(32))


def new_access_token() -> str:
    return "sbp_" + secrets.token_hex(20)


class Stack:
    """Starts the SMTP2GO API, Supabase Management API, Supabase Auth and SMTP relay emulators.

    config       the karto.yaml whose Supabase projects exist at start (None: no projects).
    state_file   JSON loaded at start when it exists and written at stop: both accounts,
                 the seeded key and token, the ports and the certificate, so `env` stays
                 the same across restarts.
    ports        fixed ports by name ("api", "supabase", "auth", "starttls", "tls"); others
                 are the state file's (when still free) or ephemeral.
    blocked_ports  relay ports (587, 465, ...) that look firewalled: {port: "refused" |
                 "timeout"}, or a set of ports meaning "timeout".
    """

    def __init__(
        self,
        config: Path | None = None,
        state_file: Path | None = None,
        ports: Mapping[str, int] | None = None,
        auto_verify_senders: bool = False,
        rate_limit: bool = True,
        blocked_ports: Mapping[int, BlockMode] | Iterable[int] | None = None,
    ) -> None:
        unknown = set(ports or {}) - set(PORT_NAMES)
        if unknown:
            raise ValueError(f"unknown port names {sorted(unknown)}; use {', '.join(PORT_NAMES)}")
        self.config = config
        self.state_file = state_file.resolve() if state_file is not None else None
        self.requested_ports = dict(ports or {})
        self.auto_verify_senders = auto_verify_senders
        self.rate_limit = rate_limit
        self.blocked = normalise_blocked(blocked_ports)
        self.notes: list[str] = []  # things a user should know, e.g. a saved port was taken

        self.clock = Clock()
        self.request_log = RequestLog()
        self.mailbox = Mailbox()
        self.zone = DnsZone()
        self.activity = Activity(self.mailbox)
        self.smtp2go_account = Smtp2goAccount(
            auto_verify_senders=auto_verify_senders, clock=self.clock.monotonic, zone=self.zone
        )
        self.supabase_account = SupabaseAccount(rate_limit=rate_limit, clock=self.clock.time)
        self.api_key = ""
        self.access_token = ""
        self.project_refs: list[str] = []  # the projects seeded at first start
        self._seed_state: dict[str, Any] = {}
        self._servers: dict[str, HttpServer] = {}
        self._blocked_sockets: list[BlockedPort] = []
        self._started = False
        self._used = False
        self.tls: SandboxTls | None = None
        self.relay: SmtpRelay | None = None
        self.relays = RelayRoutes()
        self.dns: DnsServer | None = None
        self.smtp2go_app = Smtp2goApp(
            self.smtp2go_account, request_log=self.request_log, activity=self.activity
        )
        self._add_stack_routes(self.smtp2go_app)
        self.supabase_app = SupabaseApp(self.supabase_account, request_log=self.request_log)
        # Made at start: it needs the relay's ports (in `relays`) and the certificate.
        self.auth_app: SupabaseAuthApp | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> Stack:
        if self._used:
            raise RuntimeError("a Stack starts once; make a new one (with the same state_file)")
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
        self.dns = self._start_dns(saved_ports)
        self.relays = self._relay_routes(self.relay)
        self.auth_app = SupabaseAuthApp(
            self.supabase_account,
            self.relays,
            self.tls.client_context(system_store=True),
            request_log=self.request_log,
        )
        self._start_http("auth", self.auth_app, saved_ports)
        self.smtp2go_app.see_also = {
            "supabase": f"{self.supabase_url}/_sandbox/",
            "supabase-auth": f"{self.auth_url}/_sandbox/",
        }

    def _port_for(self, name: str, saved_ports: Mapping[str, int]) -> tuple[int, bool]:
        """The port to try and whether it came from the state file (so may fall back)."""
        if name in self.requested_ports:
            return int(self.requested_ports[name]), False
        if name in saved_ports:
            return int(saved_ports[name]), True
        return 0, False

    def _on_port(self, name: str, saved_ports: Mapping[str, int], start: Callable[[int], T]) -> T:
        """`start(port)` on the port for `name`; a saved port that is taken gives way to a
        free one."""
        port, from_state = self._port_for(name, saved_ports)
        try:
            return start(port)
        except OSError:
            if not from_state:
                raise
            self.notes.append(f"saved {name} port {port} is taken; using another one")
            return start(0)

    def _start_http(self, name: str, app: HttpApp, saved_ports: Mapping[str, int]) -> None:
        self._servers[name] = self._on_port(
            name, saved_ports, lambda port: HttpServer(app, port=port).start()
        )

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

    def _start_dns(self, saved_ports: Mapping[str, int]) -> DnsServer:
        return self._on_port(
            "dns", saved_ports, lambda port: DnsServer(self.zone, port=port).start()
        )

    def _relay_routes(self, relay: SmtpRelay) -> RelayRoutes:
        rules = [RelayRule(RELAY_PATTERN, None, relay.host, relay.starttls_port, relay.tls_port)]
        for port, mode in self.blocked.items():
            blocked = BlockedPort(mode)
            self._blocked_sockets.append(blocked)
            rules.append(RelayRule(RELAY_PATTERN, port, "127.0.0.1", blocked.port, blocked.port))
        return RelayRoutes(rules)

    def stop(self, save: bool = True) -> None:
        """Stop everything; with a state file, save the state first."""
        if save and self._started and self.state_file is not None:
            self.save_state()
        for server in self._servers.values():
            server.stop()
        self._servers = {}
        if self.relay is not None:
            self.relay.stop()
        if self.dns is not None:
            self.dns.stop()
        for blocked in self._blocked_sockets:
            blocked.close()
        self._blocked_sockets = []
        if self.tls is not None:
            self.tls.cleanup()
        self._started = False

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- seeding and state ----------------------------------------------------------
    def _seed(self) -> None:
        self.api_key = new_api_key()
        self.access_token = new_access_token()
        self.smtp2go_account.add_api_key(self.api_key, ["*"])
        self.supabase_account.add_token(self.access_token)
        if self.config is None:
            return
        seed = projects_in(self.config)
        self.notes.extend(f"{self.config}: {why}; no project made for it" for why in seed.skipped)
        for ref, name in seed.projects:
            self.supabase_account.add_project(ref, name)
        self.project_refs = [ref for ref, _name in seed.projects]

    def _accounts_state(self) -> dict[str, Any]:
        return {
            "dns": self.zone.to_state(),
            "smtp2go": self.smtp2go_account.to_state(),
            "smtp2go_activity": self.activity.to_state(),
            "supabase": self.supabase_account.to_state(),
            "supabase_projects": self.supabase_app.project_configs.to_state(),
        }

    def _load_accounts(self, state: Mapping[str, Any]) -> None:
        """Load what `_accounts_state` returns (a state file's parts may be missing)."""
        # The zone first: a state from before it existed republishes from the account.
        self.zone.load_state(state.get("dns", {}))
        self.activity.load_state(state.get("smtp2go_activity", {}))
        self.smtp2go_account.load_state(state["smtp2go"])
        self.supabase_account.load_state(state["supabase"])
        self.supabase_app.project_configs.load_state(state.get("supabase_projects", {}))

    def _load(self, saved: Mapping[str, Any]) -> None:
        try:
            self._load_accounts(saved)
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
            or saved.get("version") not in READABLE_STATE_VERSIONS
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
        """Back to the state at start: accounts, options, project settings, mailbox, request
        log, faults and the clock."""
        self._load_accounts(self._seed_state)
        self.mailbox.clear()
        self.request_log.clear()
        self.clock.reset()
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
            "dns": self.dns.port if self.dns is not None else 0,
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

    @property
    def env(self) -> dict[str, str]:
        tls, _relay = self._require_running()
        return {
            "SMTP2GO_API_URL": f"{self.smtp2go_url}/v3",
            "SMTP2GO_API_KEY": self.api_key,
            "SUPABASE_API_URL": self.supabase_url,
            "SUPABASE_ACCESS_TOKEN": self.access_token,
            "SUPABASE_PROJECT_URL": f"{self.auth_url}/{{ref}}",
            RELAY_ENV: str(self.relays),
            CA_FILE_ENV: str(tls.cert_file),
            DNS_RESOLVER_ENV: f"127.0.0.1:{self.ports['dns']}",
            "KARTO_SANDBOX_URL": self.smtp2go_url,
        }

    # -- admin routes of the whole stack, on the SMTP2GO app (KARTO_SANDBOX_URL) -------
    def _add_stack_routes(self, app: HttpApp) -> None:
        app.admin_route(
            "POST",
            "/_sandbox/reset",
            self._reset,
            "back to the state at start: both accounts and their switches, project "
            "settings, mailbox, request logs, faults, clock",
        )
        app.admin_route("GET", "/_sandbox/clock", self._get_clock, "the clock's offset")
        app.admin_route(
            "POST",
            "/_sandbox/clock",
            self._advance_clock,
            "move the clock of every emulator forward (rate-limit windows, Auth's mail "
            "interval, link expiry)",
            '{"advance": seconds}',
        )
        app.admin_route(
            "GET",
            "/_sandbox/mail",
            self._get_mail,
            "what the relay accepted; ?to=ADDRESS filters by recipient, ?wait=SECONDS waits "
            "for a first match",
            waits=True,
        )
        app.admin_route("DELETE", "/_sandbox/mail", self._clear_mail, "empty the mailbox")
        app.admin_route(
            "GET",
            "/_sandbox/dns",
            self._get_dns,
            "the DNS zone the sandbox's resolver answers from",
        )
        app.admin_route(
            "POST",
            "/_sandbox/dns",
            self._add_dns,
            "publish records (what `karto-smtp check` and SMTP2GO's domain verification see); "
            "zone: BIND zone-file lines, as `karto-smtp dns` prints them",
            '{"records"?: [{"name", "type": "A"|"AAAA"|"CNAME"|"MX"|"TXT", "value"}], '
            '"zone"?: string}',
        )
        app.admin_route(
            "DELETE",
            "/_sandbox/dns",
            self._remove_dns,
            "remove records: ?name=NAME (and &type=TYPE), or all records and faults",
        )
        app.admin_route(
            "POST",
            "/_sandbox/dns/faults",
            self._dns_fault,
            "make questions about one name fail: SERVFAIL, or no answer at all",
            '{"name": string, "fault": "servfail"|"timeout"|null}',
        )

    def _reset(self, request: Request) -> Response:
        self.reset()
        return Response(204)

    def _get_clock(self, request: Request) -> Response:
        return Response(200, {"offset": self.clock.offset})

    def _advance_clock(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError as exc:
            return Response(400, {"message": f"body is not JSON: {exc}"})
        seconds = body.get("advance") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return Response(400, {"message": "expected {advance: seconds >= 0}"})
        return Response(200, {"offset": self.clock.advance(float(seconds))})

    def _get_mail(self, request: Request) -> Response:
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

    def _get_dns(self, request: Request) -> Response:
        return Response(200, self.zone.to_state())

    def _add_dns(self, request: Request) -> Response:
        try:
            body = request.json()
            if not isinstance(body, dict):
                raise ValueError("expected {records: [...]} or {zone: text}")
            records = body.get("records", [])
            zone_text = body.get("zone", "")
            if not isinstance(records, list) or not isinstance(zone_text, str):
                raise ValueError("records must be a list and zone text")
            added = [
                self.zone.add(str(r["name"]), str(r["type"]), str(r["value"]))
                for r in records
                if isinstance(r, dict)
            ]
            if len(added) != len(records):
                raise ValueError("each record is {name, type, value}")
            added += self.zone.load_lines(zone_text)
        except (ValueError, KeyError) as exc:
            return Response(400, {"message": str(exc)})
        return Response(200, {"added": [r.as_json() for r in added]})

    def _remove_dns(self, request: Request) -> Response:
        name = next(iter(request.query.get("name") or []), None)
        kind = next(iter(request.query.get("type") or []), None)
        return Response(200, {"removed": self.zone.remove(name, kind)})

    def _dns_fault(self, request: Request) -> Response:
        try:
            body = request.json()
            name = body.get("name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name:
                raise ValueError("expected {name: string, fault: servfail|timeout|null}")
            self.zone.set_fault(name, body.get("fault"))
        except ValueError as exc:
            return Response(400, {"message": str(exc)})
        return Response(200, self.zone.to_state())
