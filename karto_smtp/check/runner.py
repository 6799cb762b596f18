"""Run every check of `karto-smtp check` and turn the outcomes into rows.

Order: each relay's SMTP session (reach, TLS, AUTH, then each project's sender and test
send), then one Auth config read per project, then the optional Auth mails. The Supabase
rows come last because judging Supabase's password digest needs the AUTH outcome.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from karto_smtp.check import hints
from karto_smtp.check.report import Row
from karto_smtp.check.smtp_probe import (
    ProbeError,
    SmtpSession,
    dial,
    dial_alternatives,
    elapsed_ms,
    test_message,
)
from karto_smtp.check.targets import CheckTargets, ProjectTarget, RelayTarget
from karto_smtp.errors import ConfigError
from karto_smtp.relay_map import RelayMap, ca_file_from_env, client_ssl_context

if TYPE_CHECKING:
    from karto_smtp.check.smtp2go_probe import Smtp2goState
    from karto_smtp.check.supabase_probe import AuthConfigRead, OtpResult
    from karto_smtp.config.load import LoadedConfig
    from karto_smtp.secrets import Secret

# What AUTH proved about the declared password, for judging Supabase's copy of it.
AuthOutcome = Literal["accepted", "rejected", "untested"]

GENERATED_SKIP = (
    "skipped: the password is `generate`: SMTP2GO never returns it and Supabase returns only "
    "an HMAC digest of it, so AUTH cannot be tried from here"
)


@dataclass
class CheckOptions:
    timeout: float = 5.0
    send_test_to: str | None = None
    via_supabase: str | None = None


@dataclass
class RelayOutcome:
    auth: AuthOutcome = "untested"
    password: Secret | None = None
    password_error: str | None = None
    project_rows: dict[str, list[Row]] = field(default_factory=dict)


class Checker:
    def __init__(
        self,
        loaded: LoadedConfig,
        targets: CheckTargets,
        options: CheckOptions,
        environ: Mapping[str, str],
    ) -> None:
        self.loaded = loaded
        self.targets = targets
        self.options = options
        self.environ = environ
        self.relay_map = RelayMap.from_env(environ)
        self._context = client_ssl_context(ca_file_from_env(environ))
        self._smtp2go: Smtp2goState | None = None
        self._smtp2go_problem = ""

    # -- the whole run ---------------------------------------------------------------------
    def run(self) -> list[Row]:
        if any(_generated(r) and r.declared_user is not None for r in self.targets.relays):
            self._read_smtp2go()
        relay_rows: list[tuple[RelayTarget, list[Row], RelayOutcome]] = []
        for relay in self.targets.relays:
            outcome = RelayOutcome()
            rows = self.check_relay(relay, outcome)
            relay_rows.append((relay, rows, outcome))
        supabase = self.check_supabase([(r, o) for r, _rows, o in relay_rows])
        out: list[Row] = []
        for relay, rows, outcome in relay_rows:
            out += rows
            for project in relay.projects:
                out += outcome.project_rows.get(project.ref, [])
                out += supabase.get(project.ref, [])
        return out

    def _read_smtp2go(self) -> None:
        account = self.loaded.config.smtp2go
        assert account is not None
        key_ref = account.api_key_ref()
        try:
            key = key_ref.resolve(self.environ, self.loaded.base_dir)
        except ConfigError:
            self._smtp2go_problem = (
                f"{key_ref.text} is not set, so SMTP2GO's view of the user and sender was not read"
            )
            return
        from karto_smtp.check.smtp2go_probe import read_state

        state = read_state(account.resolved_api_url(self.environ), key.reveal())
        if state.error is not None:
            self._smtp2go_problem = f"SMTP2GO's API was not readable: {state.error}"
            return
        self._smtp2go = state

    # -- SMTP ------------------------------------------------------------------------------
    def check_relay(self, relay: RelayTarget, outcome: RelayOutcome) -> list[Row]:
        rows: list[Row] = []
        subject = relay.label
        session = self._reach(relay, rows)
        if session is None:
            self._skip_rest(relay, rows, outcome, "the relay is not reachable from here")
            return rows

        start = time.perf_counter()
        try:
            tls = session.open()
        except ProbeError as exc:
            rows.append(
                Row(
                    "tls",
                    subject,
                    "fail",
                    elapsed_ms(start),
                    exc.detail,
                    self._tls_fix(relay, session, exc),
                )
            )
            session.close()
            self._skip_rest(relay, rows, outcome, "no TLS connection")
            return rows
        via = "" if session.port == relay.port else f" (on port {session.port})"
        rows.append(Row("tls", subject, "pass", elapsed_ms(start), tls + via))
        try:
            authed = self._auth(relay, session, rows, outcome)
            for project in relay.projects:
                outcome.project_rows[project.ref] = self._project_smtp(
                    relay, project, session if authed else None, outcome
                )
        finally:
            session.close()
        return rows

    def _reach(self, relay: RelayTarget, rows: list[Row]) -> SmtpSession | None:
        timeout = self.options.timeout
        first = dial(self.relay_map, relay.host, relay.port, timeout)
        mapped = self.relay_map.resolve(relay.host, relay.port)
        where = (
            f" (at {mapped[0]}:{mapped[1]} per KARTO_SMTP_RELAY_MAP)"
            if self.relay_map.is_mapped(relay.host, relay.port)
            else ""
        )
        if first.sock is not None:
            rows.append(
                Row(
                    "reach",
                    relay.label,
                    "pass",
                    first.ms,
                    f"TCP connect to {relay.host}:{relay.port}{where}",
                )
            )
            return SmtpSession(relay.host, relay.port, first.sock, self._context, timeout)
        detail = f"{relay.host}:{relay.port}: {first.error}"
        if first.kind == "dns":
            rows.append(
                Row("reach", relay.label, "fail", first.ms, detail, hints.host_unknown(relay.host))
            )
            return None
        if not relay.via_smtp2go:
            rows.append(
                Row(
                    "reach",
                    relay.label,
                    "fail",
                    first.ms,
                    detail,
                    hints.host_unreachable(relay.host, relay.port),
                )
            )
            return None
        others = dial_alternatives(self.relay_map, relay.host, relay.port, timeout)
        working = [d for d in others if d.sock is not None]
        closed = [d.port for d in others if d.sock is None]
        if working:
            detail += (
                f"; other SMTP2GO ports that answer: {', '.join(str(d.port) for d in working)}"
            )
        if closed:
            detail += f"; not answering: {', '.join(map(str, closed))}"
        rows.append(
            Row(
                "reach",
                relay.label,
                "fail",
                first.ms,
                detail,
                hints.port_blocked(relay.port, [d.port for d in working], relay.port_setting),
            )
        )
        if not working:
            return None
        # Carry on over the first port that works, so AUTH and senders are still checked.
        for extra in working[1:]:
            assert extra.sock is not None
            extra.sock.close()
        chosen = working[0]
        assert chosen.sock is not None
        return SmtpSession(relay.host, chosen.port, chosen.sock, self._context, timeout)

    def _tls_fix(self, relay: RelayTarget, session: SmtpSession, exc: ProbeError) -> str:
        if exc.kind == "certificate":
            return hints.certificate_untrusted(relay.host)
        if exc.kind == "no_starttls":
            return hints.no_starttls(session.port)
        if exc.kind == "handshake":
            return hints.tls_handshake(session.port, session.implicit)
        return hints.not_smtp(relay.host, session.port)

    def _auth(
        self, relay: RelayTarget, session: SmtpSession, rows: list[Row], outcome: RelayOutcome
    ) -> bool:
        subject = relay.label
        user = relay.username
        if not user:
            rows.append(
                Row("auth", subject, "skip", None, "skipped: karto.yaml declares no SMTP user")
            )
            return True
        if relay.password is None:
            rows.append(
                Row(
                    "auth",
                    subject,
                    "fail",
                    None,
                    f"karto.yaml declares no password for {user}",
                    "declare the password as env(NAME) or file(PATH)",
                )
            )
            return False
        if relay.password.is_generated:
            rows.append(self._generated_auth_row(relay, user))
            return False
        try:
            secret = relay.password.resolve(self.environ, self.loaded.base_dir)
        except ConfigError as exc:
            outcome.password_error = str(exc)
            rows.append(Row("auth", subject, "fail", None, str(exc), hints.password_unresolved()))
            return False
        outcome.password = secret
        start = time.perf_counter()
        try:
            reply = session.login(user, secret.reveal())
        except ProbeError as exc:
            ms = elapsed_ms(start)
            status = relay.declared_user.status if relay.declared_user else None
            if exc.kind == "blocked":
                outcome.auth = "untested"
                rows.append(
                    Row(
                        "auth",
                        subject,
                        "fail",
                        ms,
                        f"SMTP user is blocked: {exc.detail}",
                        hints.user_blocked(user, status),
                    )
                )
            elif exc.kind == "rejected":
                outcome.auth = "rejected"
                value = secret.reveal()
                rows.append(
                    Row(
                        "auth",
                        subject,
                        "fail",
                        ms,
                        f"Authentication failed: {exc.detail}",
                        hints.auth_failed(
                            user,
                            relay.password.text,
                            value != value.strip(),
                            relay.declared_user is not None,
                        ),
                    )
                )
            else:
                rows.append(
                    Row(
                        "auth",
                        subject,
                        "fail",
                        ms,
                        exc.detail,
                        hints.not_smtp(relay.host, session.port),
                    )
                )
            return False
        outcome.auth = "accepted"
        ms = elapsed_ms(start)
        if relay.declared_user is not None and relay.declared_user.status == "sandbox":
            rows.append(Row("auth", subject, "warn", ms, reply, hints.user_sandboxed(user)))
        else:
            rows.append(Row("auth", subject, "pass", ms, reply))
        return True

    def _generated_auth_row(self, relay: RelayTarget, user: str) -> Row:
        subject = relay.label
        tail = (
            "; the Supabase mail row tests the password Supabase holds"
            if self.options.via_supabase
            else "; --via-supabase ADDRESS tests the password Supabase holds end to end, and "
            f"`karto-smtp apply --rotate-password {user}` sets a new one on both sides"
        )
        state = self._smtp2go
        if state is None or relay.declared_user is None:
            problem = f"; {self._smtp2go_problem}" if self._smtp2go_problem else ""
            return Row("auth", subject, "skip", None, GENERATED_SKIP + problem + tail)
        live = state.users.get(user)
        if live is None:
            return Row(
                "auth",
                subject,
                "fail",
                None,
                f"SMTP2GO has no SMTP user {user}",
                f"{hints.APPLY} creates it and gives Supabase its new password",
            )
        status = str(live.get("status") or "allowed")
        declared = relay.declared_user.status
        if status == "blocked":
            return Row(
                "auth",
                subject,
                "fail",
                None,
                f"SMTP2GO lists {user} with status blocked (AUTH not tried: generated password)",
                hints.user_blocked(user, declared),
            )
        if status == "sandbox":
            return Row(
                "auth",
                subject,
                "warn",
                None,
                f"SMTP2GO lists {user} with status sandbox (AUTH not tried: generated password)",
                hints.user_sandboxed(user),
            )
        return Row(
            "auth",
            subject,
            "skip",
            None,
            GENERATED_SKIP + f"; SMTP2GO lists {user} with status {status}" + tail,
        )

    def _api_sender_row(self, project: ProjectTarget, sender: str) -> Row | None:
        """The sender row from SMTP2GO's API, when AUTH (so MAIL FROM) cannot be tried."""
        state = self._smtp2go
        if state is None:
            return None
        if state.sender_verified(sender):
            return Row(
                "sender",
                project.label,
                "pass",
                None,
                f"{sender} is a verified sender per SMTP2GO's API (MAIL FROM not tried: "
                "it needs AUTH)",
            )
        return Row(
            "sender",
            project.label,
            "fail",
            None,
            f"{sender} is not a verified sender per SMTP2GO's API: its mail is refused "
            "with 550 From header sender domain not verified",
            hints.sender_unverified(sender, self.targets.sender_declared(sender)),
        )

    def _project_smtp(
        self,
        relay: RelayTarget,
        project: ProjectTarget,
        session: SmtpSession | None,
        outcome: RelayOutcome,
    ) -> list[Row]:
        subject = project.label
        sender = project.smtp.admin_email
        rows: list[Row] = []
        if session is None or not sender:
            why = "no admin_email declared" if not sender else "MAIL FROM needs a successful AUTH"
            api_row = (
                self._api_sender_row(project, sender) if sender and _generated(relay) else None
            )
            rows.append(api_row or Row("sender", subject, "skip", None, f"skipped: {why}"))
            rows.append(self._send_skip(subject, why))
            return rows
        start = time.perf_counter()
        try:
            code, reply = session.try_sender(sender)
        except ProbeError as exc:
            rows.append(Row("sender", subject, "fail", elapsed_ms(start), exc.detail))
            rows.append(self._send_skip(subject, "the session broke"))
            return rows
        ms = elapsed_ms(start)
        sender_ok = code == 250
        if sender_ok:
            rows.append(
                Row(
                    "sender",
                    subject,
                    "pass",
                    ms,
                    f"MAIL FROM:<{sender}>: {code} {reply} (then RSET)",
                )
            )
        else:
            rows.append(
                Row(
                    "sender",
                    subject,
                    "fail",
                    ms,
                    f"MAIL FROM:<{sender}>: {code} {reply}",
                    hints.sender_unverified(sender, self.targets.sender_declared(sender))
                    if code == 550
                    else None,
                )
            )
        if self.options.send_test_to is None:
            rows.append(self._send_skip(subject, None))
            return rows
        if not sender_ok:
            rows.append(self._send_skip(subject, "the sender was refused"))
            return rows
        rows.append(self._send(project, session))
        return rows

    def _send_skip(self, subject: str, why: str | None) -> Row:
        if self.options.send_test_to is None:
            return Row(
                "send",
                subject,
                "skip",
                None,
                "not asked: --send-test-to ADDRESS sends a test message",
            )
        return Row("send", subject, "skip", None, f"skipped: {why}")

    def _send(self, project: ProjectTarget, session: SmtpSession) -> Row:
        recipient = self.options.send_test_to
        sender = project.smtp.admin_email
        assert recipient is not None and sender is not None
        message = test_message(sender, project.smtp.sender_name, recipient, project.label)
        start = time.perf_counter()
        try:
            code, reply = session.send(message, sender, recipient)
        except ProbeError as exc:
            return Row("send", project.label, "fail", elapsed_ms(start), exc.detail)
        ms = elapsed_ms(start)
        sent = f"to {recipient} from {message['From']}, Message-ID {message['Message-ID']}"
        if code == 250:
            return Row("send", project.label, "pass", ms, f"sent {sent}: {code} {reply}")
        fix = (
            hints.sender_unverified(sender, self.targets.sender_declared(sender))
            if code == 550
            else None
        )
        return Row("send", project.label, "fail", ms, f"not sent {sent}: {code} {reply}", fix)

    def _skip_rest(
        self, relay: RelayTarget, rows: list[Row], outcome: RelayOutcome, why: str
    ) -> None:
        if not any(r.link == "tls" for r in rows):
            rows.append(Row("tls", relay.label, "skip", None, f"skipped: {why}"))
        rows.append(Row("auth", relay.label, "skip", None, f"skipped: {why}"))
        if relay.password is not None and not relay.password.is_generated:
            try:
                outcome.password = relay.password.resolve(self.environ, self.loaded.base_dir)
            except ConfigError as exc:
                outcome.password_error = str(exc)
        for project in relay.projects:
            outcome.project_rows[project.ref] = [
                Row("sender", project.label, "skip", None, f"skipped: {why}"),
                self._send_skip(project.label, why),
            ]

    # -- Supabase --------------------------------------------------------------------------
    def check_supabase(
        self, relays: list[tuple[RelayTarget, RelayOutcome]]
    ) -> dict[str, list[Row]]:
        projects = [(p, r, o) for r, o in relays for p in r.projects]
        if not projects:
            return {}
        from karto_smtp.check import supabase_probe

        config = self.loaded.config
        assert config.supabase is not None
        token_ref = config.supabase.access_token_ref()
        api_url = config.supabase.resolved_api_url(self.environ)
        token: str | None = None
        token_problem = ""
        try:
            token = token_ref.resolve(self.environ, self.loaded.base_dir).reveal()
        except ConfigError:
            token_problem = f"{token_ref.text} is not set"
        refs = [p.ref for p, _r, _o in projects]
        reads = supabase_probe.read_configs(api_url, token, refs) if token else {}

        smtp_rows: dict[str, Row] = {}
        mail_refs: list[str] = []
        for project, relay, outcome in projects:
            read = reads.get(project.ref)
            if read is None:
                smtp_rows[project.ref] = Row(
                    "supabase_smtp",
                    project.label,
                    "skip",
                    None,
                    f"not checked: {token_problem} (the Management API token that reads the project's Auth settings)",
                )
            else:
                smtp_rows[project.ref] = self._supabase_smtp_row(project, relay, outcome, read)
            if read is not None and read.config is not None and not read.config.get("smtp_host"):
                continue
            mail_refs.append(project.ref)

        mails: dict[str, OtpResult | str] = {}
        address = self.options.via_supabase
        if address is not None and mail_refs:
            mails = supabase_probe.send_magic_links(
                api_url, token, mail_refs, address, self.environ, self.options.timeout
            )
        out: dict[str, list[Row]] = {}
        for project, _relay, _outcome in projects:
            out[project.ref] = [smtp_rows[project.ref], self._supabase_mail_row(project, mails)]
        return out

    def _supabase_smtp_row(
        self,
        project: ProjectTarget,
        relay: RelayTarget,
        outcome: RelayOutcome,
        read: AuthConfigRead,
    ) -> Row:
        from karto_smtp.providers.supabase import password_digest

        subject = project.label
        if read.config is None:
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                f"cannot read the Auth config of {project.ref}: {read.error}",
                hints.supabase_no_access(read.status, project.ref),
            )
        live = read.config
        if not live.get("smtp_host"):
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                "custom SMTP is off: Auth sends with Supabase's built-in mailer "
                "(team addresses only, a few mails an hour)",
                hints.supabase_smtp_off(),
            )
        smtp = project.smtp
        wanted = {
            "smtp_host": smtp.host,
            "smtp_port": None if smtp.port is None else str(smtp.port),
            "smtp_user": smtp.user,
            "smtp_admin_email": smtp.admin_email,
            "smtp_sender_name": smtp.sender_name,
        }
        differs = []
        for name, want in wanted.items():
            have = live.get(name)
            have = None if have is None else str(have)
            if want is not None and (have or "").lower() != want.lower():
                differs.append(f"{name} is {have!r}, karto.yaml says {want!r}")
        if differs:
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                "Supabase's SMTP settings differ: " + "; ".join(differs),
                hints.supabase_differs(),
            )
        if live.get("hook_send_email_enabled"):
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                "the Send Email hook is on: Auth does not use SMTP",
                hints.send_hook_on(),
            )
        settings = (
            f"custom SMTP on, {smtp.host}:{smtp.port} as {smtp.user}, from {smtp.admin_email}"
        )
        digest = live.get("smtp_pass")
        if not digest or digest == "****":
            if not digest:
                return Row(
                    "supabase_smtp",
                    subject,
                    "fail",
                    read.ms,
                    f"{settings}, but no SMTP password is set",
                    hints.supabase_stale_password(),
                )
        ref_text = smtp.password.text if smtp.password is not None else "karto.yaml"
        if smtp.password is None or smtp.password.is_generated:
            return Row(
                "supabase_smtp",
                subject,
                "pass",
                read.ms,
                f"{settings}; a password is set (generated by karto-smtp: Supabase shows only "
                "its digest and the plaintext was never kept, so it cannot be compared; "
                "--via-supabase tests it)",
            )
        if outcome.password is None:
            return Row(
                "supabase_smtp",
                subject,
                "warn",
                read.ms,
                f"{settings}; password not compared: {outcome.password_error}",
                hints.password_unresolved(),
            )
        if digest == "****":
            return Row(
                "supabase_smtp",
                subject,
                "warn",
                read.ms,
                f"{settings}; Supabase masks the password, so it cannot be compared",
                None,
            )
        matches = hmac.compare_digest(
            password_digest(project.ref, outcome.password.reveal()), str(digest)
        )
        if matches and outcome.auth == "rejected":
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                f"{settings}; Supabase holds the password of {ref_text}, which SMTP2GO rejected "
                "(see auth): its mail fails too",
                hints.supabase_same_rejected_password(ref_text),
            )
        if matches:
            return Row(
                "supabase_smtp",
                subject,
                "pass",
                read.ms,
                f"{settings}; password matches {ref_text} (HMAC digest)",
            )
        if outcome.auth == "accepted":
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                f"Supabase holds a stale password: it differs from {ref_text}, which SMTP2GO "
                "just accepted (changed in SMTP2GO, or in karto.yaml, since the last apply?)",
                hints.supabase_stale_password(),
            )
        if outcome.auth == "rejected":
            return Row(
                "supabase_smtp",
                subject,
                "fail",
                read.ms,
                f"Supabase holds a password other than {ref_text}, and SMTP2GO rejected "
                f"{ref_text} (see auth): Supabase's may be the current one",
                hints.supabase_wrong_password(ref_text),
            )
        return Row(
            "supabase_smtp",
            subject,
            "fail",
            read.ms,
            f"Supabase holds a password other than {ref_text}",
            hints.supabase_stale_password(),
        )

    def _supabase_mail_row(
        self, project: ProjectTarget, mails: Mapping[str, OtpResult | str]
    ) -> Row:
        subject = project.label
        address = self.options.via_supabase
        if address is None:
            return Row(
                "supabase_mail",
                subject,
                "skip",
                None,
                "not asked: --via-supabase ADDRESS has Supabase Auth send a real mail",
            )
        result = mails.get(project.ref)
        if result is None:
            return Row(
                "supabase_mail",
                subject,
                "skip",
                None,
                "skipped: custom SMTP is off, so Auth would not use the relay",
            )
        if isinstance(result, str):
            return Row(
                "supabase_mail",
                subject,
                "fail",
                None,
                result,
                "set SUPABASE_ANON_KEY to the project's anon key",
            )
        if result.status is None:
            return Row(
                "supabase_mail",
                subject,
                "fail",
                result.ms,
                result.message,
                "check SUPABASE_PROJECT_URL (the project URL, {ref} replaced)",
            )
        said = f"Auth answered {result.status}: {result.message}"
        if 200 <= result.status < 300:
            smtp = project.smtp
            return Row(
                "supabase_mail",
                subject,
                "pass",
                result.ms,
                f"{said}; it sent a sign-up or magic-link mail to {address} through "
                f"{smtp.host}:{smtp.port}: look for it from {smtp.admin_email}",
            )
        return Row(
            "supabase_mail",
            subject,
            "fail",
            result.ms,
            said,
            hints.supabase_mail_failed(result.status),
        )


def _generated(relay: RelayTarget) -> bool:
    return relay.password is not None and relay.password.is_generated
