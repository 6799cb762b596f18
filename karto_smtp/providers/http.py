"""The one way karto-smtp talks HTTP: async httpx, explicit timeouts, safe retries.

Retry policy (why): a read can be repeated freely; a write cannot, because neither
service offers idempotency keys. So a write is retried only when the request provably
did not run: the server refused it with 429, or the connection was never made.

Time (why): CI jobs have a budget and silence reads as a hang. A request waits at most
the read timeout for an answer, and one that got none is tried once more, not three
times: a service that sat on one request rarely answers the next at once. Every retry
and every wait is announced (`deadline.Deadline.notify`); none starts after the last
attempt or would end past the run's `--timeout`. A rate limit that names its wait
(Retry-After, X-RateLimit-Reset) is honoured up to MAX_RATE_LIMIT_WAIT and pauses every
request of the client, announced once.

Secrets (why): a service's error text may echo the request, so it is redacted before it
is shown or logged, and URLs are shown without user info or query.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from karto_smtp import __version__, deadline
from karto_smtp.errors import ApiError, ConfigError
from karto_smtp.providers.credentials import CredentialSource
from karto_smtp.redaction import redact, redact_url

USER_AGENT = f"karto-smtp/{__version__}"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
MAX_ATTEMPTS = 4
# After a request that got no answer at all, one more try.
NO_ANSWER_ATTEMPTS = 2
MAX_RATE_LIMIT_WAIT = 30.0
# Service text shown in an error, after redaction.
MAX_MESSAGE = 300

READ_TIMEOUT_ENV = "KARTO_HTTP_READ_TIMEOUT"
BACKOFF_ENV = "KARTO_HTTP_BACKOFF"

_log = logging.getLogger(__name__)


def _env_seconds(name: str, default: float, *, zero_ok: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        raise ConfigError(f"{name}: expected a number of seconds, got {raw[:40]!r}")
    return value


def read_timeout() -> float:
    """Seconds to wait for an answer to one request (KARTO_HTTP_READ_TIMEOUT, default 15)."""
    return _env_seconds(READ_TIMEOUT_ENV, READ_TIMEOUT, zero_ok=False)


def backoff(attempt: int) -> float:
    # Tests and benchmarks shrink the waits; users never need to.
    return _env_seconds(BACKOFF_ENV, 0.5, zero_ok=True) * (2 ** (attempt - 1))


def seconds(value: float) -> str:
    """'12 s', '1.5 s', '0.04 s': how waits are announced."""
    return f"{value:.2g} s" if value < 1 else f"{round(value, 1):g} s"


def server_wait(response: httpx.Response) -> tuple[float, str] | None:
    """How long the service asks to wait, and the header that says so."""
    retry_after = response.headers.get("Retry-After", "").strip()
    if retry_after:
        try:
            return max(0.0, float(retry_after)), "Retry-After"
        except ValueError:
            try:
                when = parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None and when.tzinfo is not None:
                return max(0.0, when.timestamp() - time.time()), "Retry-After"
    reset = response.headers.get("X-RateLimit-Reset", "").strip()
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        if not math.isfinite(value):
            return None
        # Supabase sends seconds to go; some APIs send the moment as a Unix time.
        if value > 1_000_000_000:
            value -= time.time()
        return max(0.0, value), "X-RateLimit-Reset"
    return None


@dataclass
class Retry:
    """Another attempt may follow, after `wait` seconds, up to attempt number `limit`."""

    reason: str
    wait: float
    notice: str
    limit: int = MAX_ATTEMPTS
    status: int | None = None
    fix: str | None = None
    # A rate limit: every request of this client waits it out, and it is announced once.
    shared: bool = False
    # At most one retry of this kind per call: a second one gives up with `fix`.
    once: bool = False


@dataclass
class _Answer:
    body: Any


class ServiceClient:
    """Base of the per-service clients: one connection pool, errors as `ApiError`."""

    service = "service"
    default_credential = CredentialSource("service.credential", "SERVICE_CREDENTIAL")

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
        credential: CredentialSource | None = None,
    ) -> None:
        limits = httpx.Limits(
            max_connections=max_concurrency, max_keepalive_connections=max_concurrency
        )
        scheme = base_url.partition("://")[0].lower()
        proxied = {scheme, "all"} & urllib.request.getproxies().keys()
        if transport is None and scheme in ("http", "https") and not proxied:
            # With a proxy from the environment, httpx's own transport and proxy rules apply.
            from karto_smtp.providers.transport import ServiceTransport

            transport = ServiceTransport(limits, _tls_context() if scheme == "https" else None)
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            timeout=httpx.Timeout(read_timeout(), connect=CONNECT_TIMEOUT),
            transport=transport,
            limits=limits,
            verify=True if transport is not None else _tls_context(),
        )
        # One pool per service, reused by every project; never more than this in flight.
        self._slots = asyncio.Semaphore(max_concurrency)
        self.credential = credential or self.default_credential
        self._resume_at = 0.0
        self._closed = False

    async def aclose(self) -> None:
        # Calls still in flight (another one failed first) end quietly, without retries.
        self._closed = True
        await self._client.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def shown_url(self) -> str:
        """The base URL as it may be printed."""
        return redact_url(self._client.base_url)

    # -- what a service says, and what to do about it (overridden per service) --------
    def error_message(self, body: Any, response: httpx.Response | None) -> str:
        """The service's own words for a failed call (raw: `words()` makes them safe)."""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return body["message"]
        if response is None:
            return "the response carries an error without a message"
        return response.text or response.reason_phrase

    def words(self, body: Any, response: httpx.Response | None) -> str:
        """`error_message`, redacted, on one line, cut to a sensible length."""
        text = " ".join(redact(self.error_message(body, response)).split())
        if response is not None and not text:
            text = response.reason_phrase
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"

    def explain(self, status: int, body: Any, path: str) -> str | None:
        """What to do about a refusal the client recognises; such a refusal is not retried."""
        return None

    def rate_limited(
        self, response: httpx.Response, body: Any, operation: str, attempt: int
    ) -> Retry:
        said = self.words(body, response)
        advice = server_wait(response)
        if advice is None:
            wait = backoff(attempt)
            return Retry(
                said,
                wait,
                f"{self.service} rate limit: waiting {seconds(wait)} ({operation}; "
                f"try {attempt + 1}/{MAX_ATTEMPTS})...",
                status=429,
                shared=True,
            )
        wait, header = advice
        later = f"{self.service} asks to wait {seconds(wait)} ({header}): try again after that"
        if wait > MAX_RATE_LIMIT_WAIT:
            raise ApiError(
                self.service,
                operation,
                self.words(body, response),
                429,
                f"{self.service} asks to wait {seconds(wait)} ({header}), longer than "
                f"karto-smtp waits ({seconds(MAX_RATE_LIMIT_WAIT)}): try again in "
                f"{math.ceil(wait)} s",
            )
        return Retry(
            said,
            max(wait, backoff(1)),
            f"{self.service} rate limit: waiting {seconds(wait)} ({header})...",
            status=429,
            fix=later,
            shared=True,
        )

    # -- the call -----------------------------------------------------------------
    async def call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        json_body: Any = None,
        idempotent: bool,
        accept: Callable[[httpx.Response], bool] = lambda r: r.is_success,
    ) -> Any:
        """Send one request; return the decoded JSON body or raise `ApiError`/`TimedOut`."""
        clock = deadline.current()
        doing = f"waiting for {self.service} ({operation})"
        attempt = 1
        retried_once = False
        while True:
            await self._rate_limit_pause(clock, doing)
            outcome = await self._attempt(
                method, path, operation, json_body, idempotent, accept, attempt, clock, doing
            )
            if isinstance(outcome, _Answer):
                return outcome.body
            if self._closed:
                raise ApiError(self.service, operation, "stopped: the run is ending")
            if outcome.once and retried_once:
                raise ApiError(self.service, operation, outcome.reason, outcome.status, outcome.fix)
            retried_once = retried_once or outcome.once
            if attempt >= outcome.limit:
                raise ApiError(
                    self.service,
                    operation,
                    f"gave up after {attempt} attempts: {outcome.reason}",
                    outcome.status,
                    outcome.fix,
                )
            if not clock.allows(outcome.wait):
                raise ApiError(
                    self.service,
                    operation,
                    f"{outcome.reason}; not tried again: waiting {seconds(outcome.wait)} "
                    "would pass the --timeout",
                    outcome.status,
                    outcome.fix,
                )
            attempt += 1
            if outcome.shared:
                self._hold(outcome.wait, outcome.notice, clock)
            else:
                await clock.sleep(outcome.wait, outcome.notice)

    def _hold(self, wait: float, notice: str, clock: deadline.Deadline) -> None:
        until = time.monotonic() + wait
        if until > self._resume_at + 0.5:
            clock.notify(notice)
        self._resume_at = max(self._resume_at, until)

    async def _rate_limit_pause(self, clock: deadline.Deadline, doing: str) -> None:
        pause = self._resume_at - time.monotonic()
        if pause > 0:
            async with clock.bounded(doing):
                await asyncio.sleep(pause)

    async def _attempt(
        self,
        method: str,
        path: str,
        operation: str,
        json_body: Any,
        idempotent: bool,
        accept: Callable[[httpx.Response], bool],
        attempt: int,
        clock: deadline.Deadline,
        doing: str,
    ) -> _Answer | Retry:
        url = _ShownUrl(self._client.base_url, path.lstrip("/"))
        _log.debug("%s %s (attempt %d)", method, url, attempt)
        start = time.monotonic()
        try:
            async with clock.bounded(doing), self._slots:
                response = await self._client.request(method, path.lstrip("/"), json=json_body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            _log_no_answer(method, url, exc, start, attempt)
            # Never sent: as safe to repeat for a write as for a read.
            wait = backoff(attempt)
            return Retry(
                f"cannot connect to {self.shown_url} ({_why(exc)})",
                wait,
                f"{self.service} is not reachable at {self.shown_url} ({_why(exc)}); retrying in "
                f"{seconds(wait)} ({attempt + 1}/{MAX_ATTEMPTS})...",
            )
        except httpx.TimeoutException as exc:
            _log_no_answer(method, url, exc, start, attempt)
            waited = seconds(self._client.timeout.read or READ_TIMEOUT)
            if not idempotent:
                raise ApiError(
                    self.service,
                    operation,
                    f"no answer within {waited}; not retried: the change may have been made, "
                    "and `karto-smtp plan` shows whether it was",
                ) from None
            return Retry(
                f"no answer within {waited}",
                backoff(attempt),
                f"{self.service} did not answer within {waited} ({operation}); retrying "
                f"({attempt + 1}/{NO_ANSWER_ATTEMPTS})...",
                limit=NO_ANSWER_ATTEMPTS,
            )
        except httpx.UnsupportedProtocol as exc:
            raise ApiError(
                self.service, operation, f"{self.shown_url} is not an http(s) URL ({exc})"
            ) from None
        except httpx.TransportError as exc:
            _log_no_answer(method, url, exc, start, attempt)
            broke = f"closed the connection without an answer ({type(exc).__name__})"
            if not idempotent:
                raise ApiError(
                    self.service,
                    operation,
                    f"{broke}; not retried: the change may have been made, and "
                    "`karto-smtp plan` shows whether it was",
                ) from None
            wait = backoff(attempt)
            return Retry(
                broke,
                wait,
                f"{self.service} {broke} ({operation}); retrying in {seconds(wait)} "
                f"({attempt + 1}/{MAX_ATTEMPTS})...",
            )
        status = response.status_code
        _log.debug(
            "%s %s: HTTP %d %s in %s (attempt %d)",
            method,
            url,
            status,
            response.reason_phrase,
            _ms(start),
            attempt,
        )
        body, decode_error = _decode(response)
        if status == 429:
            return self.rate_limited(response, body, operation, attempt)
        if not accept(response):
            fix = self.explain(status, body, path)
            if fix is None and status >= 500 and idempotent:
                wait = backoff(attempt)
                return Retry(
                    self.words(body, response),
                    wait,
                    f"{self.service} answered HTTP {status} ({operation}); retrying in "
                    f"{seconds(wait)} ({attempt + 1}/{MAX_ATTEMPTS})...",
                    status=status,
                )
            raise ApiError(self.service, operation, self.words(body, response), status, fix)
        if decode_error is not None:
            reason = f"the response is not valid JSON ({decode_error})"
            if not idempotent:
                raise ApiError(self.service, operation, reason, status)
            wait = backoff(attempt)
            return Retry(
                reason,
                wait,
                f"{self.service} sent a response that is not JSON ({operation}); retrying in "
                f"{seconds(wait)} ({attempt + 1}/{MAX_ATTEMPTS})...",
                status=status,
            )
        return _Answer(body)


class _ShownUrl:
    """A call's URL as debug lines show it, worked out only when one is written."""

    __slots__ = ("_base", "_path")

    def __init__(self, base: httpx.URL, path: str) -> None:
        self._base = base
        self._path = path

    def __str__(self) -> str:
        return redact_url(self._base.join(self._path))


def _log_no_answer(method: str, url: _ShownUrl, exc: Exception, start: float, attempt: int) -> None:
    _log.debug(
        "%s %s: %s after %s (attempt %d)", method, url, type(exc).__name__, _ms(start), attempt
    )


def _ms(start: float) -> str:
    return f"{round((time.monotonic() - start) * 1000)} ms"


def _why(exc: Exception) -> str:
    """httpx's reason ('[Errno 111] Connection refused'), on one line and redacted."""
    text = " ".join(redact(str(exc)).split())
    return text or type(exc).__name__


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying context (httpx's own, honouring SSL_CERT_FILE) shared by all clients."""
    return httpx.create_ssl_context()


def _decode(response: httpx.Response) -> tuple[Any, str | None]:
    if not response.content:
        return None, None
    try:
        return response.json(), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, str(exc)
