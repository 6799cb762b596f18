"""The sandbox stand-in for mail.smtp2go.com: SMTP on aiosmtpd, accounts from the emulator.

Two listeners share one event loop thread:
  STARTTLS  stands for ports 25, 2525, 8025, 587 and 80
  implicit  stands for ports 465, 8465 and 443 (TLS from the first byte)

After TLS it advertises `AUTH CRAM-MD5 PLAIN LOGIN`, the list a client saw from
mail.smtp2go.com:587 (coder/coder#16499), and checks CRAM-MD5 digests against the stored
password.

Replies follow SMTP2GO where its texts are known (support article "Common Sending Errors"):
  wrong user or password        535 Incorrect authentication data
  MAIL/RCPT without AUTH        550 Relay access denied - please authenticate
  sender not verified           550 From header sender domain not verified
The refusal names the From header, so by default it comes at the end of DATA, once the
header was read (switch `relay_sender_check`: "mail_from" refuses the envelope sender at
MAIL FROM as well). Where it really comes is not documented: a guess either way.
Our own choices where SMTP2GO's behaviour is unknown:
  AUTH before STARTTLS          530 5.7.0 Must issue a STARTTLS command first
  blocked SMTP user             535 5.7.8 SMTP user is blocked: sending is not allowed
                                (an AUTH failure, so clients stop before sending anything)
  sandbox SMTP user             AUTH succeeds and mail is answered 250 but not delivered:
                                it lands in the Mailbox with status "rejected", which is what
                                SMTP2GO's reports show for mail from a sandboxed user.
  a message without From        550 5.6.0 Message has no From header
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any, Protocol

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from karto_sandbox.relay.mailbox import Mailbox
from karto_sandbox.relay.tls import SandboxTls

log = logging.getLogger(__name__)

GREETING_HOST = "mail.smtp2go.com"
IDENT = "ESMTP karto-smtp sandbox relay"
ADVERTISED_AUTH = "CRAM-MD5 PLAIN LOGIN"

REPLY_AUTH_OK = "235 Authentication succeeded"
REPLY_STARTTLS_FIRST = "530 5.7.0 Must issue a STARTTLS command first"
REPLY_BAD_CREDENTIALS = "535 Incorrect authentication data"
REPLY_BLOCKED = "535 5.7.8 SMTP user is blocked: sending is not allowed"
REPLY_RELAY_DENIED = "550 Relay access denied - please authenticate"
REPLY_SENDER_NOT_VERIFIED = "550 From header sender domain not verified"
REPLY_NO_FROM = "550 5.6.0 Message has no From header"

START_TIMEOUT = 5.0


def _not_login_data_deprecation(record: logging.LogRecord) -> bool:
    return "login_data is deprecated" not in record.getMessage()


# aiosmtpd's own AUTH code sets the deprecated `Session.login_data` and logs a warning on
# every successful login; that is noise for the relay's users, not something they can fix.
logging.getLogger("mail.log").addFilter(_not_login_data_deprecation)


class SmtpAccount(Protocol):
    """What the relay needs from `Smtp2goAccount`."""

    def smtp_login(self, username: str, password: str) -> str: ...

    def smtp_login_cram_md5(self, username: str, challenge: bytes, digest: str) -> str: ...

    def sender_allowed(self, address: str) -> bool: ...

    def relay_sender_check(self) -> str: ...


@dataclass(frozen=True)
class RelayLogin:
    """The session's auth data; `login` is the attribute aiosmtpd copies to `login_data`."""

    login: bytes
    username: str
    status: str  # "ok" or "sandbox"
    mechanism: str


def _decode(value: bytes) -> str:
    return value.decode("utf-8", "replace")


class _RelayHandler:
    """aiosmtpd hooks: credentials and senders checked against the emulated account."""

    def __init__(self, account: SmtpAccount, mailbox: Mailbox) -> None:
        self.account = account
        self.mailbox = mailbox

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False, message=REPLY_BAD_CREDENTIALS)
        username = _decode(auth_data.login)
        result = self.account.smtp_login(username, _decode(auth_data.password))
        return self._result(auth_data.login, username, result, mechanism)

    def authenticate_cram_md5(self, username: bytes, challenge: bytes, digest: str) -> AuthResult:
        name = _decode(username)
        result = self.account.smtp_login_cram_md5(name, challenge, digest)
        return self._result(username, name, result, "CRAM-MD5")

    @staticmethod
    def _result(login: bytes, username: str, result: str, mechanism: str) -> AuthResult:
        if result in ("ok", "sandbox"):
            return AuthResult(
                success=True,
                message=REPLY_AUTH_OK,
                auth_data=RelayLogin(login, username, result, mechanism),
            )
        message = REPLY_BLOCKED if result == "blocked" else REPLY_BAD_CREDENTIALS
        return AuthResult(success=False, handled=False, message=message)

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not session.authenticated:
            return REPLY_RELAY_DENIED
        if self.account.relay_sender_check() == "mail_from" and not self.account.sender_allowed(
            address
        ):
            return REPLY_SENDER_NOT_VERIFIED
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not session.authenticated:
            return REPLY_RELAY_DENIED
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        headers = BytesHeaderParser().parsebytes(raw)
        senders = [addr for _name, addr in getaddresses(headers.get_all("From", [])) if addr]
        if not senders:
            return REPLY_NO_FROM
        if not all(self.account.sender_allowed(addr) for addr in senders):
            return REPLY_SENDER_NOT_VERIFIED
        login = session.auth_data
        assert isinstance(login, RelayLogin)
        message = self.mailbox.deliver(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            smtp_user=login.username,
            auth_mechanism=login.mechanism,
            raw=raw,
            status="rejected" if login.status == "sandbox" else "delivered",
        )
        return f"250 OK id={message.id}"

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default logs a traceback; a client failing the TLS handshake (say, one
        # that does not trust the sandbox CA) is an expected event here, not a server bug.
        log.debug("SMTP session error: %r", error)
        return f"451 4.3.0 Sandbox relay error: {type(error).__name__}"


class _RelaySMTP(SMTP):
    async def smtp_AUTH(self, arg: str) -> None:  # noqa: N802 - aiosmtpd command name
        # aiosmtpd answers 538; SMTP servers commonly say 530 here.
        if self._auth_require_tls and not self._tls_protocol:
            await self.push(REPLY_STARTTLS_FIRST)
            return
        await super().smtp_AUTH(arg)

    async def auth_CRAM__MD5(self, _server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        """RFC 2195: a one-time challenge, answered with "user hex(HMAC-MD5(password, it))"."""
        if len(args) != 1:
            await self.push("501 5.5.4 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = f"<{secrets.randbelow(10**12)}.{int(time.time())}@{GREETING_HOST}>".encode()
        answer = await self.challenge_auth(challenge)
        if answer is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(answer, bytes)
        username, _, digest = answer.rpartition(b" ")
        if not username or not digest:
            await self.push("501 5.5.2 Can't split auth value")
            return AuthResult(success=False, handled=True)
        handler = self.event_handler
        assert isinstance(handler, _RelayHandler)
        return handler.authenticate_cram_md5(username, challenge, _decode(digest))

    async def push(self, status: Any) -> None:
        # aiosmtpd lists mechanisms sorted; the real relay's order is CRAM-MD5 PLAIN LOGIN.
        if isinstance(status, str) and status.startswith("250-AUTH "):
            status = "250-AUTH " + ADVERTISED_AUTH
        await super().push(status)


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets
    # whose proto says TCP, and without it each multi-line reply (EHLO) stalls ~40 ms on
    # Nagle plus delayed ACK.
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(socket.SOMAXCONN)
    except OSError:
        sock.close()
        raise
    return sock


class SmtpRelay:
    """A STARTTLS and an implicit-TLS SMTP listener on `host`, ephemeral ports by default."""

    def __init__(
        self,
        account: SmtpAccount,
        mailbox: Mailbox,
        tls: SandboxTls,
        host: str = "127.0.0.1",
        starttls_port: int = 0,
        tls_port: int = 0,
        session_timeout: float = 300.0,
    ) -> None:
        self.account = account
        self.mailbox = mailbox
        self.tls = tls
        self.host = host
        self._requested_ports = (starttls_port, tls_port)
        self.session_timeout = session_timeout
        self._handler = _RelayHandler(account, mailbox)
        self._sockets: list[socket.socket] = []
        self._ports: tuple[int, int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._server_context: ssl.SSLContext | None = None

    @property
    def starttls_port(self) -> int:
        """The STARTTLS listener's port (still known after `stop()`, for a restart)."""
        return self._bound_ports()[0]

    @property
    def tls_port(self) -> int:
        return self._bound_ports()[1]

    def _bound_ports(self) -> tuple[int, int]:
        if self._ports is None:
            raise RuntimeError("the relay has not been started")
        return self._ports

    def _factory(self, implicit_tls: bool) -> SMTP:
        assert self._loop is not None
        return _RelaySMTP(
            self._handler,
            loop=self._loop,
            hostname=GREETING_HOST,
            ident=IDENT,
            tls_context=None if implicit_tls else self._server_context,
            # The implicit-TLS transport is encrypted from the start, which aiosmtpd's own
            # check (did STARTTLS happen?) cannot see.
            auth_require_tls=not implicit_tls,
            authenticator=self._handler.authenticate,
            enable_SMTPUTF8=True,
            timeout=self.session_timeout,
        )

    def start(self) -> SmtpRelay:
        if self._thread is not None:
            raise RuntimeError("the relay is already started")
        self._server_context = self.tls.server_context()
        # Binding here, in the caller's thread, makes a port clash an immediate error and
        # gives ephemeral ports without a find-then-bind race.
        try:
            for port in self._requested_ports:
                self._sockets.append(_listen(self.host, port))
        except OSError:
            self._close_sockets()
            raise
        starttls_sock, tls_sock = self._sockets
        self._ports = (starttls_sock.getsockname()[1], tls_sock.getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sandbox-smtp-relay", daemon=True
        )
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        try:
            future.result(START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    async def _serve(self) -> None:
        assert self._loop is not None
        starttls_sock, tls_sock = self._sockets
        self._servers = [
            await self._loop.create_server(lambda: self._factory(False), sock=starttls_sock),
            await self._loop.create_server(
                lambda: self._factory(True), sock=tls_sock, ssl=self._server_context
            ),
        ]

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers = []

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            self._close_sockets()
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(START_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None
        self._close_sockets()

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def __enter__(self) -> SmtpRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
