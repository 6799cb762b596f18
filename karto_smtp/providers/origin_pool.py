"""Keep-alive connections to the one service a client talks to, bounded, reused in O(1).

httpcore's general-purpose pool looks at every connection, and every waiting request, each
time a request starts or ends, and asks each connection's socket whether it is readable: at
32 connections that is ~1,000 checks per request, the larger part of a 100-project plan's
CPU. A service client needs less: it has one origin and a bound on requests in flight. So a
request takes the most recently used idle connection (checked once: still open, not past its
keep-alive), or opens a new one while under the bound, and gives it back when its response
is closed. The connections themselves (HTTP/1.1, TLS, timeouts) are httpcore's own.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterable, AsyncIterator

import httpcore
import httpx


class OriginPool:
    """What httpx's transport expects of a pool: `handle_async_request` and `aclose`."""

    def __init__(
        self,
        max_connections: int,
        keepalive_expiry: float | None,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._keepalive_expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._idle: list[httpcore.AsyncHTTPConnection] = []
        self._open: set[httpcore.AsyncHTTPConnection] = set()

    @property
    def connections(self) -> int:
        """Connections open or being opened (never more than `max_connections`)."""
        return len(self._open)

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        await self._slots.acquire()
        try:
            connection = await self._connection_for(request.url.origin)
            try:
                response = await connection.handle_async_request(request)
            except BaseException:
                await self._discard(connection)
                raise
        except BaseException:
            self._slots.release()
            raise
        assert isinstance(response.stream, AsyncIterable)
        return httpcore.Response(
            status=response.status,
            headers=response.headers,
            content=_GivenBackOnClose(response.stream, self, connection),
            extensions=response.extensions,
        )

    async def _connection_for(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        while self._idle:
            connection = self._idle.pop()
            if (
                connection.can_handle_request(origin)
                and connection.is_idle()
                and not connection.has_expired()
            ):
                return connection
            await self._discard(connection)
        connection = httpcore.AsyncHTTPConnection(
            origin, ssl_context=self._ssl_context, keepalive_expiry=self._keepalive_expiry
        )
        self._open.add(connection)
        return connection

    async def _give_back(self, connection: httpcore.AsyncHTTPConnection) -> None:
        try:
            if connection.is_idle():
                self._idle.append(connection)
            else:  # the server or the exchange closed it
                await self._discard(connection)
        finally:
            self._slots.release()

    async def _discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._open.discard(connection)
        await connection.aclose()

    async def aclose(self) -> None:
        self._idle.clear()
        closing, self._open = list(self._open), set()
        for connection in closing:
            await connection.aclose()

    async def __aenter__(self) -> OriginPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _GivenBackOnClose:
    """A response body whose connection returns to the pool once the body is closed."""

    def __init__(
        self,
        stream: AsyncIterable[bytes],
        pool: OriginPool,
        connection: httpcore.AsyncHTTPConnection,
    ) -> None:
        self._stream = stream
        self._pool = pool
        self._connection = connection
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            closer = getattr(self._stream, "aclose", None)
            if closer is not None:
                await closer()
        finally:
            await self._pool._give_back(self._connection)


class ServiceTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request mapping, error mapping) over an `OriginPool`.

    Built without `super().__init__()`, which would make a general pool and read the CA
    bundle into an SSL context (~20 ms) even for plain HTTP; `ssl_context` is None there.
    """

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None) -> None:
        assert limits.max_connections is not None
        pool = OriginPool(limits.max_connections, limits.keepalive_expiry, ssl_context)
        # The transport only calls the pool's handle_async_request, aclose and context methods.
        self._pool = pool  # type: ignore[assignment]
