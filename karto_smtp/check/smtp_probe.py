"""Talking to an SMTP relay with smtplib: connect, TLS, AUTH, MAIL FROM, and a test send.

Every connection is dialled where `RelayMap.resolve` says while TLS names and verifies the
declared host, so a stand-in relay (the sandbox) can answer for mail.smtp2go.com without
turning certificate checks off.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from karto_smtp.check.mailer_auth import authenticate, supabase_auth_mechanism
from karto_smtp.check.relay_map import RelayMap

STARTTLS_PORTS = (25, 2525, 8025, 587, 80)
IMPLICIT_TLS_PORTS = (465, 8465, 443)
# SMTP2GO's ports in the order worth suggesting: 2525 is rarely blocked and needs no change
# of TLS mode from 587.
ALTERNATIVE_PORTS = (2525, 465, 8025, 587, 25, 8465, 443, 80)


def implicit_tls(port: int) -> bool:
    return port in IMPLICIT_TLS_PORTS


def elapsed_ms(start: float) -> int:
    return max(0, round((time.perf_counter() - start) * 1000))


class ProbeError(Exception):
    """A step failed; `kind` picks the hint, the text is safe to print (never a password)."""

    def __init__(self, kind: str, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.code = code


@dataclass
class Dialled:
    port: int
    sock: socket.socket | None
    ms: int
    error: str | None = None
    kind: str | None = None  # "timeout", "refused", "dns", "other"


def dial(relay_map: RelayMap, host: str, port: int, timeout: float) -> Dialled:
    """One TCP connect to where `host:port` really is."""
    start = time.perf_counter()
    try:
        target = relay_map.resolve(host, port, implicit_tls(port))
        sock = socket.create_connection(target, timeout=timeout)
    except TimeoutError:
        return Dialled(port, None, elapsed_ms(start), f"timed out after {timeout:g} s", "timeout")
    except ConnectionRefusedError:
        return Dialled(port, None, elapsed_ms(start), "connection refused", "refused")
    except socket.gaierror as exc:
        return Dialled(
            port, None, elapsed_ms(start), f"cannot resolve {host}: {exc.strerror}", "dns"
        )
    except OSError as exc:
        return Dialled(port, None, elapsed_ms(start), exc.strerror or str(exc), "other")
    return Dialled(port, sock, elapsed_ms(start))


def dial_alternatives(relay_map: RelayMap, host: str, tried: int, timeout: float) -> list[Dialled]:
    """Every other SMTP2GO port at once (a firewall that drops costs one timeout, not eight)."""
    ports = [p for p in ALTERNATIVE_PORTS if p != tried]
    with ThreadPoolExecutor(max_workers=len(ports)) as pool:
        return list(pool.map(lambda p: dial(relay_map, host, p, timeout), ports))


class _DialledSMTP(smtplib.SMTP):
    """smtplib.SMTP over an already connected socket, naming `host` for SNI and certificates.

    smtplib takes the TLS server name from `_host`, which only its constructor sets, and the
    constructor would also dial; so the socket comes from `_get_socket` and `_host` is set here.
    """

    def __init__(self, sock: socket.socket, host: str, timeout: float) -> None:
        self._ready = sock
        super().__init__(local_hostname=socket.gethostname() or "localhost", timeout=timeout)
        self._host = host

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._ready


class _DialledSMTPSSL(smtplib.SMTP_SSL):
    def __init__(
        self, sock: socket.socket, host: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        self._ready = sock
        super().__init__(
            local_hostname=socket.gethostname() or "localhost", timeout=timeout, context=context
        )
        self._host = host

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.context.wrap_socket(self._ready, server_hostname=host)


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _tls_failure(exc: BaseException, host: str) -> ProbeError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ProbeError(
            "certificate", f"certificate not trusted for {host}: {exc.verify_message}"
        )
    if isinstance(exc, ssl.SSLError):
        return ProbeError("handshake", f"TLS handshake failed: {exc.reason or exc}")
    return _io_failure(exc, "TLS")


def _io_failure(exc: BaseException, step: str) -> ProbeError:
    if isinstance(exc, TimeoutError):
        return ProbeError("io", f"{step}: the server stopped answering (timeout)")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ProbeError("io", f"{step}: the server closed the connection")
    if isinstance(exc, smtplib.SMTPResponseException):
        return ProbeError(
            "reply", f"{step}: {exc.smtp_code} {_reply_text(exc.smtp_error)}", exc.smtp_code
        )
    return ProbeError("io", f"{step}: {exc}")


@dataclass(frozen=True)
class SendReply:
    step: str  # "MAIL FROM", "RCPT TO" or "DATA": where the conversation ended
    code: int
    text: str

    @property
    def accepted(self) -> bool:
        return self.step == "DATA" and self.code == 250


class SmtpSession:
    """One SMTP conversation with a relay, step by step; each step raises `ProbeError`."""

    def __init__(
        self, host: str, port: int, sock: socket.socket, context: ssl.SSLContext, timeout: float
    ) -> None:
        self.host = host
        self.port = port
        self.implicit = implicit_tls(port)
        self._sock = sock
        self._context = context
        self._timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def set_timeout(self, seconds: float) -> None:
        """How long the next step waits for each reply (the run's --timeout may shorten it)."""
        self._timeout = seconds
        smtp = self._smtp
        if smtp is None:
            self._sock.settimeout(seconds)
            return
        smtp.timeout = seconds
        if smtp.sock is not None:
            smtp.sock.settimeout(seconds)

    @property
    def smtp(self) -> smtplib.SMTP:
        assert self._smtp is not None, "open() first"
        return self._smtp

    def open(self) -> str:
        """Greeting, EHLO and TLS; a description of the TLS connection."""
        smtp: smtplib.SMTP
        try:
            if self.implicit:
                smtp = _DialledSMTPSSL(self._sock, self.host, self._timeout, self._context)
            else:
                smtp = _DialledSMTP(self._sock, self.host, self._timeout)
            self._smtp = smtp
            code, reply = smtp.connect(self.host, self.port)
        except (ssl.SSLError, ssl.CertificateError) as exc:
            self._sock.close()
            raise _tls_failure(exc, self.host) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._sock.close()
            raise ProbeError(
                "not_smtp", f"no SMTP greeting: {_io_failure(exc, 'connect')}"
            ) from None
        if code != 220:
            raise ProbeError("not_smtp", f"greeting was {code} {_reply_text(reply)}", code)
        try:
            smtp.ehlo()
            if not self.implicit:
                if not smtp.has_extn("starttls"):
                    raise ProbeError("no_starttls", f"port {self.port} does not offer STARTTLS")
                smtp.starttls(context=self._context)
                smtp.ehlo()
        except ProbeError:
            raise
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise _tls_failure(exc, self.host) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _io_failure(exc, "STARTTLS") from None
        return self._describe_tls()

    def _describe_tls(self) -> str:
        sock: Any = self.smtp.sock
        mode = "implicit TLS" if self.implicit else "STARTTLS"
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else "?"
        cert = sock.getpeercert() if isinstance(sock, ssl.SSLSocket) else None
        expires = f", expires {cert['notAfter']}" if cert and cert.get("notAfter") else ""
        return f"{mode}, {version}, certificate verified for {self.host}{expires}"

    def mechanisms(self) -> list[str]:
        return self.smtp.esmtp_features.get("auth", "").upper().split()

    def login(self, user: str, password: str) -> str:
        """One AUTH attempt with the mechanism Supabase's mailer (gomail) would pick."""
        smtp = self.smtp
        offered = self.mechanisms()
        if not offered:
            raise ProbeError("no_auth", "the server offers no AUTH after TLS")
        mechanism = supabase_auth_mechanism(offered)
        try:
            code, reply = authenticate(smtp, mechanism, user, password)
        except smtplib.SMTPAuthenticationError as exc:
            text = _reply_text(exc.smtp_error)
            kind = "blocked" if "blocked" in text.lower() else "rejected"
            raise ProbeError(kind, f"{exc.smtp_code} {text}", exc.smtp_code) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise _io_failure(exc, "AUTH") from None
        return f"{mechanism} as {user}: {code} {_reply_text(reply)}"

    def try_sender(self, address: str) -> tuple[int, str]:
        """MAIL FROM, then RSET so nothing is sent."""
        try:
            code, reply = self.smtp.mail(address)
            self.smtp.rset()
        except (smtplib.SMTPException, OSError) as exc:
            raise _io_failure(exc, "MAIL FROM") from None
        return code, _reply_text(reply)

    def send(self, message: EmailMessage, sender: str, recipient: str) -> SendReply:
        """MAIL, RCPT and DATA; the reply of the step that ended it (DATA's carries the
        relay's queue id)."""
        smtp = self.smtp
        step = "MAIL FROM"
        try:
            code, reply = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                return SendReply(step, code, _reply_text(reply))
            step = "RCPT TO"
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                return SendReply(step, code, _reply_text(reply))
            step = "DATA"
            code, reply = smtp.data(message.as_bytes())
        except smtplib.SMTPResponseException as exc:
            return SendReply(step, exc.smtp_code, _reply_text(exc.smtp_error))
        except (smtplib.SMTPException, OSError) as exc:
            raise _io_failure(exc, "send") from None
        return SendReply(step, code, _reply_text(reply))

    def close(self) -> None:
        if self._smtp is None:
            self._sock.close()
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()


def test_message(
    sender: str, sender_name: str | None, recipient: str, subject_of: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender)) if sender_name else sender
    message["To"] = recipient
    message["Subject"] = f"karto-smtp check: test message for {subject_of}"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(
        f"This is a test message sent by `karto-smtp check --send-test-to` for {subject_of},\n"
        f"through the same relay and From address Supabase Auth uses.\n"
        "If you can read it, the SMTP part of the mail path works.\n"
    )
    return message
