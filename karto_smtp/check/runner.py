"""Run every check of `karto-smtp check` and turn the outcomes into rows.

Order: each relay's SMTP session (reach, TLS, AUTH, then each project's sender and test
send), then one Auth config read per project, then the optional Auth mails. The Supabase
rows come last because judging Supabase's password digest needs the AUTH outcome.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from karto_smtp import deadline
from karto_smtp.check import hints
from karto_smtp.check.delivery import Sent, email_id
from karto_smtp.check.relay_map import RELAY_ENV, RelayMap, ca_file_from_env, client_ssl_context
from karto_smtp.check.report import Row
from karto_smtp.check.smtp_probe import (
    ProbeError,
    SendReply,
    SmtpSession,
    dial,
    dial_alternatives,
    elapsed_ms,
    implicit_tls,
    test_message,
)
from karto_smtp.check.supabase_rows import AuthOutcome
from karto_smtp.check.targets import CheckTargets, ProjectTarget, RelayTarget
from karto_smtp.errors import ConfigError

if TYPE_CHECKING:
    from karto_smtp.check.smtp2go_probe import Smtp2goState
    from karto_smtp.check.supabase_probe import AuthConfigRead, OtpResult
    from karto_smtp.check.supabase_rows import Handoff
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.secrets import Secret

T = TypeVar("T")

GENERATED_SKIP = (
    "skipped: the password is `generate`: SMTP2GO never returns it and Supabase returns only "
    "an HMAC digest of it, so AUTH cannot be tried from here"
)
NOT_ASKED_SEND = "not asked: --send-test-to ADDRESS sends a test message"


@dataclass
class CheckOptions:
    # Each connection and SMTP reply; the run's --timeout (deadline.current()) may cut it.
    step_timeout: float = 5.0
    send_test_to: str | None = None
    via_supabase: str | None = None
    wait_delivery: float = 30.0


@dataclass
class RelayOutcome:
    """One relay's rows, its projects' SMTP rows, and what AUTH proved about the password."""

    rows: list[Row] = field(default_factory=list)
    project_rows: dict[str, list[Row]] = field(default_factory=dict)
    auth: AuthOutcome = "untested"
    password: Secret | None = None
    password_error: str | None = None


def _config_of(read: AuthConfigRead | None) -> dict[str, Any] | None:
    return None if read is None else read.config


def _smtp_maybe_on(read: AuthConfigRead | None) -> bool:
    return read is None or read.config is None or bool(read.config.get("smtp_host"))


def _generated(relay: RelayTarget) -> bool:
    return relay.password is not None and relay.password.is_generated


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
        self._started = dt.datetime.now(dt.UTC)
        # project ref -> the messages this check sent for it, to look up in the activity
        self._sent: dict[str, list[Sent]] = {}

    def run(self) -> list[Row]:
        if self._smtp2go_view_needed():
            self._read_smtp2go()
        outcomes = [(relay, self.check_relay(relay)) for relay in self.targets.relays]
        supabase = self.check_supabase(outcomes)
        key, key_problem = self._api_key
        view = None
        if key is not None:
            from karto_smtp.check.smtp2go_probe import read_account

            read = self._smtp2go.domain_entries if self._smtp2go is not None else None
            view = read_account(self._api_url(), key, read)
        from karto_smtp.check.deliverability import Deliverability

        inbox = Deliverability(self.targets, view, key_problem, self.environ, self._step_timeout())
        delivery = self._delivery_rows(key, key_problem)
        rows: list[Row] = []
        for relay, outcome in outcomes:
            rows += outcome.rows
            for project in relay.projects:
                rows += outcome.project_rows[project.ref] + supabase.get(project.ref, [])
                rows.append(delivery[project.ref])
                rows += inbox.project_rows(project)
        rows += inbox.domain_rows()
        if self.loaded.config.smtp2go is not None:
            from karto_smtp.check import account_rows

            if view is None:
                rows += account_rows.skipped(key_problem)
            else:
                rows += [
                    account_rows.quota_row(view.cycle, view.errors.get("cycle")),
                    account_rows.bounces_row(view.bounces, view.errors.get("bounces")),
                    account_rows.spam_row(view.spam, view.errors.get("spam")),
                ]
        return rows

    # -- SMTP2GO's account: quota, reputation, what became of the mail sent --------------
    def _api_url(self) -> str:
        account = self.loaded.config.smtp2go
        assert account is not None
        return account.resolved_api_url(self.environ)

    @functools.cached_property
    def _api_key(self) -> tuple[str | None, str]:
        """The SMTP2GO API key, or None and why there is none (read once per run)."""
        account = self.loaded.config.smtp2go
        if account is None:
            return None, "karto.yaml declares no SMTP2GO account (its API key reads SMTP2GO)"
        key_ref = account.api_key_ref()
        try:
            return key_ref.resolve(self.environ, self.loaded.base_dir).reveal(), ""
        except ConfigError:
            return None, f"{key_ref.text} is not set, so SMTP2GO's API was not read"

    def _delivery_rows(self, key: str | None, key_problem: str) -> dict[str, Row]:
        projects = self.targets.projects
        asked = self.options.send_test_to or self.options.via_supabase
        if not asked:
            why = (
                "not asked: --send-test-to or --via-supabase sends a message whose delivery "
                "SMTP2GO's activity shows"
            )
            return {p.ref: Row.skipped("delivery", p.label, why) for p in projects}
        if key is None:
            why = f"skipped: {key_problem}"
            return {p.ref: Row.skipped("delivery", p.label, why) for p in projects}
        from karto_smtp.check.delivery import delivery_rows
        from karto_smtp.check.smtp2go_probe import search_activity

        api_url = self._api_url()
        found = delivery_rows(
            self._sent,
            {p.ref: p.label for p in projects},
            lambda bodies: search_activity(api_url, key, bodies),
            self.options.wait_delivery,
        )
        for project in projects:
            if project.ref not in found:
                found[project.ref] = Row.skipped(
                    "delivery", project.label, "skipped: no message was sent for this project"
                )
        return found

    def _secret(self, relay: RelayTarget, outcome: RelayOutcome) -> Secret | None:
        if relay.password is None or relay.password.is_generated:
            return None
        try:
            outcome.password = relay.password.resolve(self.environ, self.loaded.base_dir)
        except ConfigError as exc:
            outcome.password_error = str(exc)
        return outcome.password

    # -- SMTP2GO's API, for what SMTP cannot show without sending -------------------------
    def _smtp2go_view_needed(self) -> bool:
        """AUTH cannot be tried (a generated password), or no test message will prove the
        senders: SMTP2GO's API is then the only other witness."""
        if self.loaded.config.smtp2go is None:
            return False
        if any(_generated(r) and r.declared_user is not None for r in self.targets.relays):
            return True
        return self.options.send_test_to is None and any(
            p.smtp.admin_email for r in self.targets.relays for p in r.projects
        )

    def _read_smtp2go(self) -> None:
        account = self.loaded.config.smtp2go
        assert account is not None
        key, _ = self._api_key
        if key is None:
            self._smtp2go_problem = (
                f"{account.api_key_ref().text} is not set, so SMTP2GO's view of the user and "
                "sender was not read"
            )
            return
        from karto_smtp.check.smtp2go_probe import read_state

        state = read_state(self._api_url(), key, account.api_key)
        if state.error is not None:
            self._smtp2go_problem = f"SMTP2GO's API was not readable: {state.error}"
        else:
            self._smtp2go = state

    def _handoff(self, project: ProjectTarget, read: AuthConfigRead) -> Handoff:
        from karto_smtp.check.supabase_rows import handoff_state

        user = project.smtp.relay_user
        state = self._smtp2go
        if user is None or state is None or read.config is None:
            return "unknown"
        description = (state.users.get(user) or {}).get("description")
        return handoff_state(description, project.ref, read.config.get("smtp_pass"))

    # -- one relay: reach, TLS, AUTH, then each project's sender and test send ------------
    def check_relay(self, relay: RelayTarget) -> RelayOutcome:
        outcome = RelayOutcome()
        self._secret(relay, outcome)
        session = self._reach(relay, outcome.rows)
        if session is None:
            self._skip_rest(relay, outcome, "the relay is not reachable from here")
            return outcome
        try:
            start = time.perf_counter()
            try:
                tls = self._timed(session, f"the TLS handshake with {relay.host}", session.open)
            except ProbeError as exc:
                fix = self._tls_fix(relay, session, exc)
                outcome.rows.append(
                    Row("tls", relay.label, "fail", elapsed_ms(start), exc.detail, fix)
                )
                self._skip_rest(relay, outcome, "no TLS connection")
                return outcome
            via = "" if session.port == relay.port else f"on port {session.port}: "
            outcome.rows.append(Row("tls", relay.label, "pass", elapsed_ms(start), via + tls))
            authed = self._auth(relay, session, outcome)
            for project in relay.projects:
                outcome.project_rows[project.ref] = self._project_smtp(
                    relay, project, session if authed else None
                )
        finally:
            session.close()
        return outcome

    # -- the run's --timeout around each SMTP step ----------------------------------------
    def _step_timeout(self) -> float:
        return deadline.current().cap(self.options.step_timeout)

    @staticmethod
    def _in_time(doing: str) -> None:
        """A step cut short by the deadline ends the check with one line, not a row."""
        deadline.current().check(doing)

    def _timed(self, session: SmtpSession, doing: str, step: Callable[[], T]) -> T:
        session.set_timeout(self._step_timeout())
        try:
            return step()
        finally:
            self._in_time(doing)

    def _reach(self, relay: RelayTarget, rows: list[Row]) -> SmtpSession | None:
        timeout = self._step_timeout()
        first = dial(self.relay_map, relay.host, relay.port, timeout)
        self._in_time(f"connecting to {relay.host}:{relay.port}")
        if first.sock is not None:
            target = self.relay_map.resolve(relay.host, relay.port, implicit_tls(relay.port))
            mapped = self.relay_map.is_mapped(relay.host, relay.port)
            where = f" (at {target[0]}:{target[1]} per {RELAY_ENV})" if mapped else ""
            detail = f"TCP connect to {relay.host}:{relay.port}{where}"
            rows.append(Row("reach", relay.label, "pass", first.ms, detail))
            return SmtpSession(relay.host, relay.port, first.sock, self._context, timeout)

        detail = f"{relay.host}:{relay.port}: {first.error}"
        if first.kind == "dns" or not relay.via_smtp2go:
            fix = (
                hints.host_unknown(relay.host)
                if first.kind == "dns"
                else hints.host_unreachable(relay.host, relay.port)
            )
            rows.append(Row("reach", relay.label, "fail", first.ms, detail, fix))
            return None
        others = dial_alternatives(self.relay_map, relay.host, relay.port, self._step_timeout())
        self._in_time(f"trying the other ports of {relay.host}")
        working = [d for d in others if d.sock is not None]
        closed = [str(d.port) for d in others if d.sock is None]
        if working:
            detail += "; other SMTP2GO ports that answer: " + ", ".join(
                str(d.port) for d in working
            )
        if closed:
            detail += "; not answering: " + ", ".join(closed)
        fix = hints.port_blocked(relay.port, [d.port for d in working], relay.port_setting)
        rows.append(Row("reach", relay.label, "fail", first.ms, detail, fix))
        if not working:
            return None
        # Carry on over the first port that works, so AUTH and senders are still proved.
        for extra in working[1:]:
            assert extra.sock is not None
            extra.sock.close()
        chosen = working[0]
        assert chosen.sock is not None
        return SmtpSession(relay.host, chosen.port, chosen.sock, self._context, timeout)

    @staticmethod
    def _tls_fix(relay: RelayTarget, session: SmtpSession, exc: ProbeError) -> str:
        if exc.kind == "certificate":
            return hints.certificate_untrusted(relay.host)
        if exc.kind == "no_starttls":
            return hints.no_starttls(session.port)
        if exc.kind == "handshake":
            return hints.tls_handshake(session.port, session.implicit)
        return hints.not_smtp(relay.host, session.port)

    def _auth(self, relay: RelayTarget, session: SmtpSession, outcome: RelayOutcome) -> bool:
        """The auth row; True when the session may go on to MAIL FROM."""
        subject, user = relay.label, relay.username
        if not user:
            outcome.rows.append(
                Row.skipped("auth", subject, "skipped: karto.yaml declares no SMTP user")
            )
            return True
        if relay.password is None:
            outcome.rows.append(
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
            outcome.rows.append(self._generated_auth_row(relay, user))
            return False
        if outcome.password is None:
            detail = outcome.password_error or "the password is not readable"
            outcome.rows.append(
                Row("auth", subject, "fail", None, detail, hints.password_unresolved())
            )
            return False

        start = time.perf_counter()
        password = outcome.password.reveal()
        try:
            reply = self._timed(
                session, f"AUTH as {user} on {relay.host}", lambda: session.login(user, password)
            )
        except ProbeError as exc:
            outcome.rows.append(self._auth_failure(relay, user, outcome, exc, elapsed_ms(start)))
            return False
        ms = elapsed_ms(start)
        outcome.auth = "accepted"
        if relay.declared_user is not None and relay.declared_user.status == "sandbox":
            outcome.rows.append(Row("auth", subject, "warn", ms, reply, hints.user_sandboxed(user)))
        else:
            outcome.rows.append(Row("auth", subject, "pass", ms, reply))
        return True

    def _auth_failure(
        self, relay: RelayTarget, user: str, outcome: RelayOutcome, exc: ProbeError, ms: int
    ) -> Row:
        declared = relay.declared_user
        if exc.kind == "blocked":
            fix = hints.user_blocked(user, declared.status if declared else None)
            return Row("auth", relay.label, "fail", ms, f"SMTP user is blocked: {exc.detail}", fix)
        if exc.kind == "rejected":
            assert relay.password is not None and outcome.password is not None
            outcome.auth = "rejected"
            value = outcome.password.reveal()
            fix = hints.auth_failed(
                user, relay.password.text, value != value.strip(), declared is not None
            )
            return Row("auth", relay.label, "fail", ms, f"Authentication failed: {exc.detail}", fix)
        return Row(
            "auth", relay.label, "fail", ms, exc.detail, hints.not_smtp(relay.host, relay.port)
        )

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
            return Row.skipped("auth", subject, GENERATED_SKIP + problem + tail)
        live = state.users.get(user)
        if live is None:
            fix = f"{hints.APPLY} creates it and gives Supabase its new password"
            return Row("auth", subject, "fail", None, f"SMTP2GO has no SMTP user {user}", fix)
        status = str(live.get("status") or "allowed")
        listed = f"SMTP2GO lists {user} with status {status}"
        if status == "blocked":
            fix = hints.user_blocked(user, relay.declared_user.status)
            detail = f"{listed} (AUTH not tried: generated password)"
            return Row("auth", subject, "fail", None, detail, fix)
        if status == "sandbox":
            detail = f"{listed} (AUTH not tried: generated password)"
            return Row("auth", subject, "warn", None, detail, hints.user_sandboxed(user))
        return Row.skipped("auth", subject, f"{GENERATED_SKIP}; {listed}{tail}")

    def _project_smtp(
        self, relay: RelayTarget, project: ProjectTarget, session: SmtpSession | None
    ) -> list[Row]:
        subject, sender = project.label, project.smtp.admin_email
        if not sender:
            why = "no admin_email declared"
            return [
                Row.skipped("sender", subject, f"skipped: {why}"),
                self._send_skip(subject, why),
            ]
        if session is None:
            why = "MAIL FROM needs a successful AUTH"
            api_row = (
                self._api_sender_row(project, sender, " (MAIL FROM not tried: it needs AUTH)")
                if _generated(relay)
                else None
            )
            sender_row = api_row or Row.skipped("sender", subject, f"skipped: {why}")
            return [sender_row, self._send_skip(subject, why)]

        start = time.perf_counter()
        try:
            code, reply = self._timed(
                session, f"MAIL FROM:<{sender}> on {relay.host}", lambda: session.try_sender(sender)
            )
        except ProbeError as exc:
            return [
                Row(
                    "sender", subject, "fail", elapsed_ms(start), exc.detail, hints.session_broken()
                ),
                self._send_skip(subject, "the SMTP session broke"),
            ]
        ms = elapsed_ms(start)
        mail_from = f"MAIL FROM:<{sender}>: {code} {reply}"
        if code != 250:
            fix = self._sender_fix(sender) if code == 550 else hints.smtp_refused(code)
            return [
                Row("sender", subject, "fail", ms, mail_from, fix),
                self._send_skip(subject, "the sender was refused"),
            ]
        # A 250 here proves nothing: SMTP2GO judges the sender by the From header, which it
        # reads only in DATA. Only a message it accepts, or its API, says the sender is good.
        if self.options.send_test_to is None:
            return [
                self._unsent_sender_row(project, sender, mail_from, ms),
                self._send_skip(subject, None),
            ]
        send_row, reply_to_send = self._send(project, session)
        return [self._sent_sender_row(project, sender, mail_from, reply_to_send), send_row]

    def _unsent_sender_row(
        self, project: ProjectTarget, sender: str, mail_from: str, ms: int
    ) -> Row:
        api_row = self._api_sender_row(project, sender, f"; {mail_from} (then RSET)")
        if api_row is not None:
            return api_row
        return Row.skipped(
            "sender",
            project.label,
            f"not proven: {mail_from} (then RSET), but SMTP2GO refuses an unverified sender "
            "only in DATA, once it has read the From header; --send-test-to ADDRESS sends a "
            "message that proves it",
        )

    def _sent_sender_row(
        self, project: ProjectTarget, sender: str, mail_from: str, reply: SendReply | None
    ) -> Row:
        subject = project.label
        if reply is not None and reply.accepted:
            detail = f"{mail_from}; the test message from {sender} was accepted at DATA"
            return Row("sender", subject, "pass", None, detail)
        if reply is not None and reply.step == "DATA" and reply.code == 550:
            detail = f"{mail_from}, but the test message was refused at DATA: {reply.code} "
            return Row(
                "sender", subject, "fail", None, detail + reply.text, self._sender_fix(sender)
            )
        return Row.skipped(
            "sender", subject, f"not proven: {mail_from}, and the test message was not accepted"
        )

    def _sender_fix(self, sender: str) -> str:
        from karto_smtp.check.dmarc import covering

        domain = covering(sender.rpartition("@")[2], sorted(self.targets.declared_domains))
        if domain is not None and sender.lower() not in self.targets.declared_senders:
            return hints.domain_unverified(sender, domain)
        return hints.sender_unverified(sender, self.targets.sender_declared(sender))

    def _api_sender_row(self, project: ProjectTarget, sender: str, smtp: str) -> Row | None:
        """The sender row from SMTP2GO's API, when no message proves it; `smtp` says what
        the SMTP session showed."""
        if self._smtp2go is None:
            return None
        if self._smtp2go.sender_verified(sender):
            detail = f"{sender} is a verified sender per SMTP2GO's API{smtp}"
            return Row("sender", project.label, "pass", None, detail)
        detail = (
            f"{sender} is not a verified sender per SMTP2GO's API: its mail is refused with "
            f"550 From header sender domain not verified{smtp}"
        )
        return Row("sender", project.label, "fail", None, detail, self._sender_fix(sender))

    def _send_skip(self, subject: str, why: str | None) -> Row:
        if self.options.send_test_to is None:
            return Row.skipped("send", subject, NOT_ASKED_SEND)
        return Row.skipped("send", subject, f"skipped: {why}")

    def _send(self, project: ProjectTarget, session: SmtpSession) -> tuple[Row, SendReply | None]:
        recipient, sender = self.options.send_test_to, project.smtp.admin_email
        assert recipient is not None and sender is not None
        message = test_message(sender, project.smtp.sender_name, recipient, project.label)
        start = time.perf_counter()
        try:
            reply = self._timed(
                session,
                f"sending the test message to {recipient}",
                lambda: session.send(message, sender, recipient),
            )
        except ProbeError as exc:
            ms = elapsed_ms(start)
            row = Row("send", project.label, "fail", ms, exc.detail, hints.session_broken())
            return row, None
        ms = elapsed_ms(start)
        what = f"to {recipient} from {message['From']}, Message-ID {message['Message-ID']}"
        if reply.accepted:
            self._sent.setdefault(project.ref, []).append(
                Sent(
                    "the test message",
                    recipient,
                    self._started,
                    email_id=email_id(reply.text),
                    username=project.smtp.relay_user or project.smtp.user,
                )
            )
            return Row("send", project.label, "pass", ms, f"sent {what}: 250 {reply.text}"), reply
        code = reply.code
        fix = self._sender_fix(sender) if code == 550 else hints.smtp_refused(code)
        detail = f"not sent {what}: {reply.step}: {code} {reply.text}"
        return Row("send", project.label, "fail", ms, detail, fix), reply

    def _skip_rest(self, relay: RelayTarget, outcome: RelayOutcome, why: str) -> None:
        if not any(r.link == "tls" for r in outcome.rows):
            outcome.rows.append(Row.skipped("tls", relay.label, f"skipped: {why}"))
        outcome.rows.append(Row.skipped("auth", relay.label, f"skipped: {why}"))
        for project in relay.projects:
            outcome.project_rows[project.ref] = [
                Row.skipped("sender", project.label, f"skipped: {why}"),
                self._send_skip(project.label, why),
            ]

    # -- Supabase --------------------------------------------------------------------------
    def check_supabase(
        self, outcomes: list[tuple[RelayTarget, RelayOutcome]]
    ) -> dict[str, list[Row]]:
        projects = [(p, o) for r, o in outcomes for p in r.projects]
        if not projects:
            return {}
        from karto_smtp.check import supabase_probe, supabase_rows
        from karto_smtp.providers.supabase.fields import redact_digests

        config = self.loaded.config
        assert config.supabase is not None
        redact_digests(project.ref for project in config.supabase.projects)
        token_ref = config.supabase.access_token_ref()
        api_url = config.supabase.resolved_api_url(self.environ)
        try:
            token: str | None = token_ref.resolve(self.environ, self.loaded.base_dir).reveal()
        except ConfigError:
            token = None
        refs = [p.ref for p, _o in projects]
        reads = (
            supabase_probe.read_configs(api_url, token, refs, config.supabase.access_token)
            if token
            else {}
        )

        smtp_rows: dict[str, Row] = {}
        for project, outcome in projects:
            read = reads.get(project.ref)
            if read is None:
                smtp_rows[project.ref] = supabase_rows.skipped_smtp_row(
                    project,
                    f"{token_ref.text} is not set (the Management API token that reads the "
                    "project's Auth settings)",
                )
            else:
                smtp_rows[project.ref] = supabase_rows.smtp_row(
                    project,
                    read,
                    outcome.password,
                    outcome.password_error,
                    outcome.auth,
                    self._handoff(project, read),
                )
        # A project whose custom SMTP is off would mail through Supabase's own mailer,
        # which tests nothing of the relay.
        mail_refs = [ref for ref in refs if _smtp_maybe_on(reads.get(ref))]
        address = self.options.via_supabase
        mails: dict[str, OtpResult | str] = {}
        if address is not None and mail_refs:
            mails = supabase_probe.send_magic_links(
                api_url, token, mail_refs, address, self.environ, self.options.step_timeout
            )
        found: dict[str, list[Row]] = {}
        for project, _outcome in projects:
            mail = supabase_rows.mail_row(
                project, address, mails.get(project.ref), _config_of(reads.get(project.ref))
            )
            found[project.ref] = [smtp_rows[project.ref], mail]
            if address is not None and mail.status == "pass":
                self._sent.setdefault(project.ref, []).append(
                    Sent(
                        "Supabase's mail",
                        address,
                        self._started,
                        username=project.smtp.relay_user or project.smtp.user,
                    )
                )
        return found
