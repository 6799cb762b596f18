"""Per-project Supabase Auth (GoTrue) emulator: the sign-in mail path.

The sandbox project URL is `http://127.0.0.1:<port>/<ref>` (hosted: `https://<ref>.supabase.co`),
so Auth lives under `/<ref>/auth/v1`:
  POST /{ref}/auth/v1/otp      send a magic link (or, for a new address, a signup
                               confirmation) through the project's current Auth SMTP settings
  GET  /{ref}/auth/v1/verify   the link in those mails: 303 to the redirect URL
  GET  /{ref}/auth/v1/health   GoTrue's health document

It follows supabase/auth (GoTrue) where its source was read:
- the API gateway wants an `apikey` header or query parameter holding the project's anon or
  service_role key: 401 `{"message": "No API key found in request"}` /
  `{"message": "Invalid API key"}`, each with a `hint` (Kong's wording; `/verify` is open);
- error bodies are GoTrue's `{"code": <status>, "error_code": ..., "msg": ...}` (plus
  `error_id` on 5xx), or `{"code": <error_code>, "message": ...}` when the client sends
  `X-Supabase-Api-Version: 2024-01-01` (as supabase-js does);
- /otp: `create_user` defaults to true; `create_user: false` for an unknown address is 422
  otp_disabled "Signups not allowed for otp"; an address with no confirmed user is signed
  up and gets the confirmation mail unless `mailer_autoconfirm` is on; a confirmed user
  gets the magic link;
- order of checks when mailing: `smtp_max_frequency` per user (429
  over_email_send_rate_limit "For security purposes, you can only request this after N
  seconds."), then the built-in mailer's address restriction (400
  email_address_not_authorized), then `rate_limit_email_sent` per hour, skipped when
  `mailer_autoconfirm` is on (429 over_email_send_rate_limit "email rate limit exceeded"),
  then the send; an SMTP failure is 500 unexpected_failure "Error sending magic link email"
  (or "... confirmation email");
- custom SMTP off: hosted uses Supabase's own mailer, which only sends to the organization's
  team members. The sandbox never delivers those: a team member gets 200 and an Auth log
  entry, anyone else the 400 above;
- the Auth log gets GoTrue's `mail.send` fields (mail_type, mail_from, mail_to, smtp_host,
  smtp_port, error) and one entry per /otp request; never the SMTP password;
- the mail is the project's subject and template rendered as GoTrue's template mailer does
  (`auth_mail.py`): a template that does not parse falls back to the built-in one with a
  `templatemailer_template_*_parse_error` log entry, one that fails to run sends nothing;
- `data` in the body becomes a new user's metadata (`.Data` in templates).

SMTP is spoken like GoTrue's gomail dialer (gopkg.in/gomail.v2 `smtp.go`, `Dialer.Dial`):
implicit TLS on `implicit_tls_ports`, otherwise plain with STARTTLS whenever the server
offers it; AUTH picks CRAM-MD5, else LOGIN when PLAIN is not offered, else PLAIN, and PLAIN
is refused on an unencrypted connection to anything but localhost (Go's net/smtp
`PlainAuth`). gomail itself uses implicit TLS on 465 only; the default set here also covers
SMTP2GO's other implicit-TLS ports (8465, 443), a choice of this sandbox.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import smtplib
import socket
import ssl
import uuid
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, make_msgid
from fnmatch import fnmatch
from typing import Any, Protocol
from urllib.parse import quote_plus, urlencode, urlsplit

from karto_sandbox.gotemplate.values import json_to_go
from karto_sandbox.http import HttpApp, Request, RequestLog, Response
from karto_sandbox.supabase.auth_mail import MailNotRendered, compose, link_data
from karto_sandbox.supabase.models import (
    EMAIL_FORMAT,
    SupabaseAccount,
    confirm_user,
    new_user,
    sign_jwt,
    smtp_enabled,
)

IMPLICIT_TLS_PORTS: frozenset[int] = frozenset({465, 8465, 443})
SMTP_TIMEOUT_SECONDS = 10.0
GOTRUE_VERSION = "v2.177.0"
API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION_2024 = "2024-01-01"
# GoTrue's defaults when the project leaves these unset.
DEFAULT_MAX_FREQUENCY_SECONDS = 60
DEFAULT_EMAILS_PER_HOUR = 30
SESSION_SECONDS = 3600
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class RelayResolver(Protocol):
    """Where an SMTP host really is (the sandbox maps the public relay names to loopback)."""

    def resolve(self, host: str, port: int, implicit_tls: bool) -> tuple[str, int]: ...


class _DirectResolver:
    def resolve(self, host: str, port: int, implicit_tls: bool) -> tuple[str, int]:
        return host, port


def gomail_auth_mechanism(offered: list[str]) -> str:
    """The AUTH mechanism gomail picks among those the server offers."""
    if "CRAM-MD5" in offered:
        return "CRAM-MD5"
    if "LOGIN" in offered and "PLAIN" not in offered:
        return "LOGIN"
    return "PLAIN"


class _RoutedSMTP(smtplib.SMTP):
    """smtplib.SMTP that connects to `target` while naming (SNI, certificate) the real host."""

    def __init__(self, target: tuple[str, int], **kwargs: Any) -> None:
        self._target = target
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection(self._target, timeout, self.source_address)


class _RoutedSMTPSSL(smtplib.SMTP_SSL):
    def __init__(self, target: tuple[str, int], **kwargs: Any) -> None:
        self._target = target
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection(self._target, timeout, self.source_address)
        return self.context.wrap_socket(raw, server_hostname=host)


class _SendFailed(Exception):
    """The SMTP conversation failed; the text is what GoTrue would log as the error."""


def _smtp_error_text(exc: BaseException, host: str, port: int) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, refused = next(iter(exc.recipients.values()))
        return f"{code} {refused.decode(errors='replace')}"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{exc.smtp_code} {text}".replace("\n", " ")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "EOF"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"tls: failed to verify certificate: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"tls: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"dial tcp {host}:{port}: connect: connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"dial tcp {host}:{port}: i/o timeout"
    if isinstance(exc, socket.gaierror):
        return f"dial tcp: lookup {host}: no such host"
    return str(exc) or type(exc).__name__


class SupabaseAuthApp(HttpApp):
    """GoTrue's /otp mail path for every project of a `SupabaseAccount`."""

    service = "supabase-auth"
    # Its handlers send mail through the relay, another server.
    handlers_wait = True

    def __init__(
        self,
        account: SupabaseAccount,
        relays: RelayResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        request_log: RequestLog | None = None,
        *,
        implicit_tls_ports: frozenset[int] = IMPLICIT_TLS_PORTS,
        smtp_timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(request_log)
        self.account = account
        self.relays: RelayResolver = relays or _DirectResolver()
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.implicit_tls_ports = implicit_tls_ports
        self.smtp_timeout = smtp_timeout
        self.route("POST", "/{ref}/auth/v1/otp", self._otp)
        self.route("GET", "/{ref}/auth/v1/verify", self._verify)
        self.route("GET", "/{ref}/auth/v1/health", self._health)

    # -- gateway ----------------------------------------------------------------------------
    def before_request(self, request: Request) -> Response | None:
        ref = request.path_params.get("ref", "")
        if not self.account.has_project(ref):
            return Response(404, {"message": "no Route matched with those values"})
        if request.path.endswith("/verify"):
            return None
        key = request.header("apikey") or (request.query.get("apikey") or [""])[-1]
        if not key:
            return Response(
                401,
                {
                    "message": "No API key found in request",
                    "hint": "No `apikey` request header or url param was found.",
                },
            )
        if self.account.api_key_role(ref, key) is None:
            return Response(
                401,
                {
                    "message": "Invalid API key",
                    "hint": "Double check your Supabase `anon` or `service_role` API key.",
                },
            )
        return None

    # -- GoTrue errors and log --------------------------------------------------------------
    @staticmethod
    def _error(
        request: Request, status: int, error_code: str, message: str, error_id: str = ""
    ) -> Response:
        headers = {"x-sb-error-code": error_code}
        version = request.header(API_VERSION_HEADER) or ""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version) and version >= API_VERSION_2024:
            headers[API_VERSION_HEADER] = API_VERSION_2024
            return Response(status, {"code": error_code, "message": message}, headers)
        body: dict[str, Any] = {"code": status, "error_code": error_code, "msg": message}
        if status >= 500 and error_id:
            body["error_id"] = error_id
        return Response(status, body, headers)

    def _log_request(
        self, ref: str, request_id: str, status: int, message: str, error: str | None = None
    ) -> None:
        entry: dict[str, Any] = {
            "level": "info" if status < 400 else ("error" if status >= 500 else "warning"),
            "component": "api",
            "method": "POST",
            "path": "/otp",
            "status": status,
            "request_id": request_id,
            "msg": "request completed" if status < 400 else f"{status}: {message}",
        }
        if error is not None:
            entry["error"] = error
        self.account.append_auth_log(ref, entry)

    # -- routes -----------------------------------------------------------------------------
    def _health(self, request: Request) -> Response:
        return Response(
            200,
            {
                "version": GOTRUE_VERSION,
                "name": "GoTrue",
                "description": "GoTrue is a user registration and authentication API",
            },
        )

    def _otp(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        request_id = str(uuid.uuid4())

        def fail(status: int, code: str, message: str, error: str | None = None) -> Response:
            self._log_request(ref, request_id, status, message, error)
            return self._error(request, status, code, message, request_id)

        try:
            body = request.json()
        except ValueError as exc:
            return fail(400, "bad_json", f"Could not parse request body as JSON: {exc}")
        body = {} if body is None else body
        if not isinstance(body, dict):
            return fail(400, "bad_json", "Could not parse request body as JSON: not an object")
        email, phone = body.get("email") or "", body.get("phone") or ""
        create_user = body.get("create_user", True)
        metadata = body.get("data")
        if (
            not isinstance(email, str)
            or not isinstance(phone, str)
            or not isinstance(create_user, bool)
            or (metadata is not None and not isinstance(metadata, dict))
        ):
            return fail(400, "bad_json", "Could not parse request body as JSON: wrong field type")
        if email and phone:
            return fail(
                400,
                "validation_failed",
                "Only an email address or phone number should be provided",
            )
        if email and body.get("channel"):
            return fail(400, "validation_failed", "Channel should only be specified with Phone OTP")
        config = self.account.auth_config(ref)
        if phone and not email:
            if not config.get("external_phone_enabled"):
                return fail(400, "phone_provider_disabled", "Unsupported phone provider")
            return fail(400, "sms_send_failed", "Error sending sms OTP: not emulated")
        if not email:
            return fail(400, "validation_failed", "One of email or phone must be set")
        if len(email) > 255:
            return fail(400, "validation_failed", "An email address is too long")
        if not EMAIL_FORMAT.match(email):
            return fail(
                400, "validation_failed", "Unable to validate email address: invalid format"
            )
        email = email.lower()
        user = self.account.get_user(ref, email)
        if not create_user and user is None:
            return fail(422, "otp_disabled", "Signups not allowed for otp")
        if not config.get("external_email_enabled"):
            return fail(400, "email_provider_disabled", "Email logins are disabled")

        if user is None or not user.get("confirmed_at"):
            if user is None and config.get("disable_signup"):
                return fail(422, "signup_disabled", "Signups not allowed for this instance")
            if user is None:
                user = new_user(email, self.account.clock(), metadata)
            if config.get("mailer_autoconfirm"):
                confirm_user(user)
                self.account.put_user(ref, user)
                kind = "magiclink"
            else:
                kind = "signup"
        else:
            kind = "magiclink"

        outcome = self._send_mail(request, ref, config, user, kind)
        if outcome is not None:
            status, code, message, error = outcome
            return fail(status, code, message, error)
        self._log_request(ref, request_id, 200, "")
        return Response(200, {})

    # -- the mail ---------------------------------------------------------------------------
    def _send_mail(
        self,
        request: Request,
        ref: str,
        config: dict[str, Any],
        user: dict[str, Any],
        kind: str,
    ) -> tuple[int, str, str, str | None] | None:
        """Send the magic link / confirmation mail; the failure (status, code, msg, error)."""
        now = self.account.clock()
        email = user["email"]
        sent_field = "recovery_sent_at" if kind == "magiclink" else "confirmation_sent_at"
        token_field = "recovery_token" if kind == "magiclink" else "confirmation_token"
        frequency = config.get("smtp_max_frequency")
        frequency = DEFAULT_MAX_FREQUENCY_SECONDS if frequency is None else frequency
        last_sent = user.get(sent_field)
        if last_sent is not None and last_sent + frequency > now:
            left = int(last_sent + frequency - now)  # Go's Duration / time.Second truncates
            return (
                429,
                "over_email_send_rate_limit",
                f"For security purposes, you can only request this after {left} seconds.",
                None,
            )

        custom = smtp_enabled(config)
        if not custom and not self.account.is_team_member(ref, email):
            return (
                400,
                "email_address_not_authorized",
                f'Email address "{email}" cannot be used as it is not authorized',
                "custom SMTP is not configured; the built-in mailer only sends to team members",
            )
        if not config.get("mailer_autoconfirm"):
            per_hour = config.get("rate_limit_email_sent")
            per_hour = DEFAULT_EMAILS_PER_HOUR if per_hour is None else per_hour
            if not self.account.take_email_send_slot(ref, per_hour):
                return (429, "over_email_send_rate_limit", "email rate limit exceeded", None)

        otp = "".join(secrets.choice("0123456789") for _ in range(config["mailer_otp_length"] or 6))
        token_hash = hashlib.sha224((email + otp).encode()).hexdigest()
        mail_type = "magic_link" if kind == "magiclink" else "confirmation"
        what = "magic link" if kind == "magiclink" else "confirmation"
        try:
            mail = compose(
                config,
                mail_type,
                self._mail_data(request, ref, config, user, kind, otp, token_hash),
            )
        except MailNotRendered as exc:
            return (500, "unexpected_failure", f"Error sending {what} email", exc.error)
        for entry in mail.log:
            self.account.append_auth_log(ref, entry)
        subject, body = mail.subject, mail.body
        log_fields: dict[str, Any] = {
            "component": "mailer",
            "event": "mail.send",
            "mail_type": mail_type,
            "mail_from": config.get("smtp_admin_email"),
            "mail_to": email,
            "smtp_host": config.get("smtp_host"),
            "smtp_port": int(config["smtp_port"]) if config.get("smtp_port") else None,
        }
        if custom:
            try:
                self._deliver(request, config, email, subject, body)
            except _SendFailed as exc:
                error = str(exc)
                password = config.get("smtp_pass")
                if password:
                    error = error.replace(password, "(redacted)")
                self.account.append_auth_log(
                    ref, {"level": "error", "msg": "mail.send.failed", **log_fields, "error": error}
                )
                return (
                    500,
                    "unexpected_failure",
                    f"Error sending {what} email",
                    f"mailmeclient: send failed: {error}",
                )
            self.account.append_auth_log(
                ref, {"level": "info", "msg": "mail.send.success", **log_fields}
            )
        else:
            self.account.append_auth_log(
                ref,
                {
                    "level": "info",
                    "msg": "mail.send.success",
                    **log_fields,
                    "note": "built-in mailer: the sandbox does not deliver this message",
                },
            )
        user[sent_field] = now
        user[token_field] = token_hash
        self.account.put_user(ref, user)
        return None

    def _mail_data(
        self,
        request: Request,
        ref: str,
        config: dict[str, Any],
        user: dict[str, Any],
        kind: str,
        otp: str,
        token_hash: str,
    ) -> dict[str, Any]:
        """What GoTrue's ConfirmationMail / MagicLinkMail pass to the template."""
        redirect_to = self._redirect_target(request, config)
        # GoTrue's getPath: the token query-escaped; the redirect escaped only when it
        # holds &, = or # (otherwise it is taken as already encoded).
        encoded_redirect = (
            quote_plus(redirect_to, safe="")
            if any(c in redirect_to for c in "&=#")
            else redirect_to
        )
        link = (
            f"{self._external_url(request, ref)}/verify?token={quote_plus(token_hash)}"
            f"&type={kind}&redirect_to={encoded_redirect}"
        )
        return link_data(
            site_url=config.get("site_url") or "",
            confirmation_url=link,
            email=user["email"],
            token=otp,
            token_hash=token_hash,
            metadata=json_to_go(user.get("user_metadata") or {}),
            redirect_to=redirect_to,
        )

    @staticmethod
    def _external_url(request: Request, ref: str) -> str:
        return f"http://{request.header('host') or '127.0.0.1'}/{ref}/auth/v1"

    @staticmethod
    def _redirect_target(request: Request, config: dict[str, Any]) -> str:
        """GoTrue's referrer: `redirect_to` when the allow list accepts it, else site_url."""
        site_url = config.get("site_url") or ""
        wanted = (request.query.get("redirect_to") or [""])[-1]
        if not wanted:
            return site_url
        allowed = [u.strip() for u in (config.get("uri_allow_list") or "").split(",") if u.strip()]
        site = urlsplit(site_url)
        target = urlsplit(wanted)
        if site.netloc and (target.scheme, target.netloc) == (site.scheme, site.netloc):
            return wanted
        if any(fnmatch(wanted, pattern) for pattern in allowed):
            return wanted
        return site_url

    def _deliver(
        self, request: Request, config: dict[str, Any], to: str, subject: str, body: str
    ) -> None:
        host = config["smtp_host"]
        port = int(config.get("smtp_port") or 0)
        sender = config.get("smtp_admin_email") or ""
        name = config.get("smtp_sender_name") or ""
        message = EmailMessage()
        message["From"] = formataddr((name, sender)) if name else sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
        # gomail writes an HTML body as quoted-printable UTF-8.
        message.set_content(body, subtype="html", cte="quoted-printable")

        implicit = port in self.implicit_tls_ports
        target = self.relays.resolve(host, port, implicit)
        local_name = urlsplit(f"http://{request.header('host') or 'localhost'}").hostname
        options: dict[str, Any] = {
            "local_hostname": local_name or "localhost",
            "timeout": self.smtp_timeout,
        }
        client: smtplib.SMTP | None = None
        try:
            # Constructing with the configured host connects to `target` and keeps that host
            # name for SNI and certificate checks (STARTTLS included).
            if implicit:
                client = _RoutedSMTPSSL(
                    target, host=host, port=port, context=self.ssl_context, **options
                )
            else:
                client = _RoutedSMTP(target, host=host, port=port, **options)
            client.ehlo()
            encrypted = implicit
            if not implicit and client.has_extn("starttls"):
                client.starttls(context=self.ssl_context)
                client.ehlo()
                encrypted = True
            user = config.get("smtp_user") or ""
            if user and client.has_extn("auth"):
                self._authenticate(client, host, encrypted, user, config.get("smtp_pass") or "")
            # SMTP lines end in CRLF; smtplib sends bytes as they are.
            client.sendmail(sender, [to], message.as_bytes(policy=SMTP_POLICY))
        except (smtplib.SMTPException, OSError) as exc:
            raise _SendFailed(_smtp_error_text(exc, host, port)) from exc
        finally:
            if client is not None:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()

    @staticmethod
    def _authenticate(
        client: smtplib.SMTP, host: str, encrypted: bool, user: str, password: str
    ) -> None:
        offered = client.esmtp_features.get("auth", "").upper().split()
        mechanism = gomail_auth_mechanism(offered)
        if mechanism == "PLAIN" and not encrypted and host not in _LOCAL_HOSTS:
            raise _SendFailed("unencrypted connection")
        handlers = {
            "CRAM-MD5": client.auth_cram_md5,
            "LOGIN": client.auth_login,
            "PLAIN": client.auth_plain,
        }
        client.user, client.password = user, password
        try:
            client.auth(mechanism, handlers[mechanism])  # type: ignore[arg-type]
        finally:
            client.password = ""

    # -- the link in the mail ---------------------------------------------------------------
    def _verify(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        token = (request.query.get("token") or [""])[-1]
        kind = (request.query.get("type") or [""])[-1]
        config = self.account.auth_config(ref)
        redirect_to = self._redirect_target(request, config) or self._external_url(request, ref)
        fields = {"magiclink": "recovery", "signup": "confirmation"}
        if kind not in fields:
            return self._error(request, 400, "validation_failed", "Unsupported verification type")
        prefix = fields[kind]
        now = self.account.clock()
        expiry = config.get("mailer_otp_exp") or 3600
        for user in self.account.users(ref):
            sent_at = user.get(f"{prefix}_sent_at")
            if not token or user.get(f"{prefix}_token") != token or sent_at is None:
                continue
            if sent_at + expiry < now:
                break
            user[f"{prefix}_token"] = None
            if not user.get("confirmed_at"):
                confirm_user(user)
            self.account.put_user(ref, user)
            issued = int(now)
            access_token = sign_jwt(
                {
                    "aud": "authenticated",
                    "exp": issued + SESSION_SECONDS,
                    "iat": issued,
                    "sub": user["id"],
                    "email": user["email"],
                    "role": "authenticated",
                },
                self.account.jwt_secret(ref),
            )
            fragment = urlencode(
                {
                    "access_token": access_token,
                    "expires_at": issued + SESSION_SECONDS,
                    "expires_in": SESSION_SECONDS,
                    "refresh_token": secrets.token_urlsafe(12),
                    "token_type": "bearer",
                    "type": kind,
                }
            )
            return Response(303, b"", {"Location": f"{redirect_to}#{fragment}"})
        fragment = urlencode(
            {
                "error": "access_denied",
                "error_code": "otp_expired",
                "error_description": "Email link is invalid or has expired",
            }
        )
        return Response(303, b"", {"Location": f"{redirect_to}#{fragment}"})
