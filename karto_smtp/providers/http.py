"""The one way karto-smtp talks HTTP: async httpx, explicit timeouts, safe retries.

Retry policy (why): a read can be repeated freely; a write cannot, because neither
service offers idempotency keys. So a write is retried only when the request provably
did not run: the server refused it with 429, or the connection was never made.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import ssl
import urllib.request
from collections.abc import Callable
from typing import Any

import httpx

from karto_smtp import __version__
from karto_smtp.errors import ApiError

USER_AGENT = f"karto-smtp/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_ATTEMPTS = 4
MAX_RATE_LIMIT_WAIT = 60.0


def _backoff_base() -> float:
    # Tests and benchmarks shrink the waits; users never need to.
    return float(os.environ.get("KARTO_HTTP_BACKOFF", "0.5"))


class ServiceClient:
    """Base of the per-service clients: one connection pool, errors as `ApiError`."""

    service = "service"

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        limits = httpx.Limits(
            max_connections=max_concurrency, max_keepalive_connections=max_concurrency
        )
        proxied = {"http", "all"} & urllib.request.getproxies().keys()
        if transport is None and base_url.startswith("http://") and not proxied:
            transport = _PlainHttpTransport(limits)
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            timeout=DEFAULT_TIMEOUT,
            transport=transport,
            limits=limits,
            verify=True if transport is not None else _tls_context(),
        )
        # One pool per service, reused by every project; never more than this in flight.
        self._slots = asyncio.Semaphore(max_concurrency)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def error_message(self, body: Any, response: httpx.Response | None) -> str:
        """The service's own words for a failed call."""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return body["message"]
        if response is None:
            return "the response carries an error without a message"
        return response.text.strip()[:300] or response.reason_phrase

    def rate_limit_wait(self, response: httpx.Response, attempt: int) -> float:
        for header in ("Retry-After", "X-RateLimit-Reset"):
            value = response.headers.get(header)
            if value:
                try:
                    return min(max(float(value), 0.0), MAX_RATE_LIMIT_WAIT)
                except ValueError:
                    pass
        return _backoff_base() * (2**attempt)

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
        """Send one request; return the decoded JSON body or raise `ApiError`."""
        last_error = "no attempt made"
        last_status: int | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                async with self._slots:
                    response = await self._client.request(
                        method, path.lstrip("/"), json=json_body if json_body is not None else None
                    )
            except httpx.ConnectError as exc:
                last_error = f"cannot connect to {self._client.base_url}: {exc}"
                await asyncio.sleep(_backoff_base() * (2**attempt))
                continue
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                last_error = f"{type(exc).__name__} talking to {self._client.base_url}"
                if not idempotent:
                    # The request may have run; the caller re-reads before deciding again.
                    raise ApiError(
                        self.service, operation, last_error + " (not retried: a write)"
                    ) from None
                await asyncio.sleep(_backoff_base() * (2**attempt))
                continue
            body, decode_error = _decode(response)
            last_status = response.status_code
            if response.status_code == 429:
                last_error = self.error_message(body, response)
                await asyncio.sleep(self.rate_limit_wait(response, attempt))
                continue
            if response.status_code >= 500 and idempotent:
                last_error = self.error_message(body, response)
                await asyncio.sleep(_backoff_base() * (2**attempt))
                continue
            if not accept(response):
                raise ApiError(
                    self.service,
                    operation,
                    self.error_message(body, response),
                    response.status_code,
                )
            if decode_error is not None:
                if idempotent:
                    last_error = f"response is not valid JSON ({decode_error})"
                    await asyncio.sleep(_backoff_base() * (2**attempt))
                    continue
                raise ApiError(
                    self.service,
                    operation,
                    f"response is not valid JSON ({decode_error})",
                    response.status_code,
                )
            return body
        raise ApiError(
            self.service,
            operation,
            f"gave up after {MAX_ATTEMPTS} attempts: {last_error}",
            last_status,
        )


class _PlainHttpTransport(httpx.AsyncHTTPTransport):
    """The transport for a plain-HTTP service (the sandbox), with no TLS settings loaded.

    httpx builds an SSL context for every client it makes, reading the whole CA bundle
    (~20 ms each) even when no connection will ever use TLS. This pool has none; should an
    https:// URL ever reach it, httpcore makes its default, verifying context then.
    """

    def __init__(self, limits: httpx.Limits) -> None:  # not super(): it builds the context
        import httpcore

        self._pool = httpcore.AsyncConnectionPool(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        )


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
