"""How a service client's requests reach its service: HTTP/1.1 over asyncio, with h11.

A karto-smtp run is short and talks to two origins, each under a bound on requests in flight.
httpx's default transport (httpcore) is general: proxies, HTTP/2, any number of origins. It
pays for that in two places that dominate a drift check:

- its async connections lock through anyio, whose asyncio backend is imported on the first
  request: ~15 ms, 7 % of a one-project `plan`;
- its pool re-examines every connection and waiting request whenever a request starts or
  ends: ~1,000 checks per request at 32 connections, most of a 100-project plan's CPU.

So a service client uses this transport: a stack of idle keep-alive connections to its one
origin (take the last one, checked once; or open one under the bound; give it back when the
answer has been read), each an asyncio stream with h11 doing the HTTP/1.1 framing. Errors
are httpx's own exception types, with the meaning the retry policy relies on: a Connect*
error or PoolTimeout means the request was never sent. With a proxy set in the environment
the client keeps httpx's default transport (see `ServiceClient`).
"""

from __future__ import annotations

import asyncio
import os
import select
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager

import h11
import httpx

READ_SIZE = 64 * 1024
CLOSE_WAIT = 1.0


class ServiceTransport(httpx.AsyncBaseTransport):
    """Keep-alive connections (in practice to the service's one origin), never more than
    `limits.max_connections` open or in use."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None) -> None:
        assert limits.max_connections is not None
        self._bound = limits.max_connections
        self._slots = asyncio.Semaphore(limits.max_connections)
        self._keepalive = limits.keepalive_expiry
        self._ssl_context = ssl_context
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._opening = 0

    @property
    def connections(self) -> int:
        """Connections open now (never more than the bound)."""
        return len(self._open)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection free in time", request=request) from None
        connection: _Connection | None = None
        try:
            connection = self._reusable(request.url)
            if connection is None:
                if len(self._open) + self._opening >= self._bound and self._idle:
                    # Idle ones to another origin make room (only a test talks to two).
                    self._discard(self._idle.pop(0))
                self._opening += 1
                try:
                    connection = await _Connection.open(request, self._ssl_context, timeouts)
                finally:
                    self._opening -= 1
                self._open.add(connection)
            response = await connection.exchange(request, timeouts)
        except BaseException:
            if connection is not None:
                self._discard(connection)
            raise
        else:
            if connection.reusable:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                self._discard(connection)
            return response
        finally:
            self._slots.release()

    def _reusable(self, url: httpx.URL) -> _Connection | None:
        """The most recently used idle connection to `url`'s origin that is still good."""
        origin = _origin(url)
        for index in range(len(self._idle) - 1, -1, -1):
            connection = self._idle[index]
            if connection.origin != origin:
                continue
            del self._idle[index]
            expired = (
                self._keepalive is not None
                and time.monotonic() - connection.idle_since > self._keepalive
            )
            if not expired and not connection.dropped():
                return connection
            self._discard(connection)
        return None

    def _discard(self, connection: _Connection) -> None:
        self._open.discard(connection)
        connection.close()

    async def aclose(self) -> None:
        self._idle.clear()
        closing, self._open = list(self._open), set()
        for connection in closing:
            connection.close()
        for connection in closing:
            await connection.closed()


class _Connection:
    """One HTTP/1.1 connection: an asyncio stream pair and h11's state machine."""

    def __init__(
        self,
        origin: tuple[str, str, int],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.origin = origin
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(our_role=h11.CLIENT)
        self.idle_since = time.monotonic()

    @classmethod
    async def open(
        cls, request: httpx.Request, ssl_context: ssl.SSLContext | None, timeouts: dict[str, float]
    ) -> _Connection:
        url = request.url
        origin = _origin(url)
        scheme, host, port = origin
        tls: ssl.SSLContext | None = None
        if scheme == "https":
            tls = ssl_context if ssl_context is not None else ssl.create_default_context()
        elif scheme != "http":
            raise httpx.UnsupportedProtocol(
                f"request URL has an unsupported protocol '{scheme}://'", request=request
            )
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=READ_SIZE
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(_reason(exc), request=request) from None
        return cls(origin, reader, writer)

    @property
    def reusable(self) -> bool:
        return self._h11.our_state is h11.IDLE and self._h11.their_state is h11.IDLE

    def dropped(self) -> bool:
        """Closed by the server while idle: at EOF, or readable with nothing asked."""
        if self._reader.at_eof() or self._writer.is_closing():
            return True
        sock = self._writer.get_extra_info("socket")
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    async def exchange(self, request: httpx.Request, timeouts: dict[str, float]) -> httpx.Response:
        body = await request.aread()
        headers = list(request.headers.raw)
        with _mapped(request):
            data = self._h11.send(
                h11.Request(method=request.method, target=request.url.raw_path, headers=headers)
            )
            data += self._h11.send(h11.Data(data=body)) if body else b""
            data += self._h11.send(h11.EndOfMessage())
            await self._write(data, timeouts.get("write"), request)
            head = await self._next(timeouts.get("read"), request)
            while isinstance(head, h11.InformationalResponse):
                head = await self._next(timeouts.get("read"), request)
            if not isinstance(head, h11.Response):
                raise httpx.RemoteProtocolError("unexpected answer", request=request)
            chunks: list[bytes] = []
            while True:
                event = await self._next(timeouts.get("read"), request)
                if isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
            if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
                self._h11.start_next_cycle()
        return httpx.Response(
            head.status_code,
            headers=list(head.headers),
            content=b"".join(chunks),
            request=request,
            extensions={
                "http_version": b"HTTP/" + head.http_version,
                "reason_phrase": bytes(head.reason),
            },
        )

    async def _write(self, data: bytes, timeout: float | None, request: httpx.Request) -> None:
        try:
            self._writer.write(data)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None

    async def _next(self, timeout: float | None, request: httpx.Request) -> h11.Event | type:
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                if event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response.", request=request
                    )
                return event
            try:
                async with asyncio.timeout(timeout):
                    data = await self._reader.read(READ_SIZE)
            except TimeoutError:
                raise httpx.ReadTimeout(
                    "timed out waiting for the answer", request=request
                ) from None
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None
            self._h11.receive_data(data)

    def close(self) -> None:
        self._writer.close()

    async def closed(self) -> None:
        # A TLS peer that never answers our close_notify must not hold the exit for the
        # 30 s asyncio would wait; after CLOSE_WAIT the connection is simply dropped.
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self._writer.wait_closed()
        except TimeoutError:
            self._writer.transport.abort()
        except (OSError, ssl.SSLError):
            pass


def _reason(exc: OSError) -> str:
    # asyncio words a refusal "Connect call failed ('127.0.0.1', 9)"; say what happened.
    if exc.errno and not isinstance(exc, ssl.SSLError):
        return f"[Errno {exc.errno}] {os.strerror(exc.errno)}"
    return str(exc) or type(exc).__name__


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    port = url.port or (443 if url.scheme == "https" else 80)
    # raw_host: the name as sent (IDNA, ASCII), for the socket and the TLS server name.
    return url.scheme, url.raw_host.decode("ascii"), port


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """h11's complaints about what the server sent, as httpx's protocol error."""
    try:
        yield
    except h11.RemoteProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from None
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from None
