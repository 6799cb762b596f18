"""A loopback TCP proxy that counts HTTP requests in flight, for one upstream service.

Put it between karto-smtp and a service (point SUPABASE_API_URL at `proxy.url`): every
client connection gets its own upstream connection, bytes pass through unchanged, and a
connection counts as "in flight" from the first byte of a request until the first byte of
its response. HTTP/1.1 without pipelining (httpx) sends one request per connection at a
time, so the number of connections in that state is the number of requests in flight.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Counts:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    open_connections: int = 0
    max_open_connections: int = 0


class InflightProxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        assert parts.scheme == "http" and parts.hostname and parts.port, upstream_url
        self._upstream = (parts.hostname, parts.port)
        self._path = parts.path
        self._lock = threading.Lock()
        self.counts = Counts()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="inflight-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The upstream URL with the proxy's address: the same path, so /v3 stays /v3."""
        return f"http://127.0.0.1:{self.port}{self._path}"

    def start(self) -> InflightProxy:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._thread.join(5)

    def reset(self) -> Counts:
        """The counts so far; start counting again from zero."""
        with self._lock:
            counts, self.counts = self.counts, Counts()
        return counts

    def __enter__(self) -> InflightProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop.call_soon(self._loop.stop)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            c = self.counts
            c.connections += 1
            c.open_connections += 1
            c.max_open_connections = max(c.max_open_connections, c.open_connections)
        waiting = [False]
        # Requests count from the moment the client sends them, even while the upstream
        # connection is still being made: what the client has in flight is the measure.
        upstream = asyncio.ensure_future(asyncio.open_connection(*self._upstream))

        async def requests() -> None:
            while data := await reader.read(65536):
                with self._lock:
                    if not waiting[0]:
                        waiting[0] = True
                        c = self.counts
                        c.requests += 1
                        c.in_flight += 1
                        c.max_in_flight = max(c.max_in_flight, c.in_flight)
                _up_reader, up_writer = await asyncio.shield(upstream)
                up_writer.write(data)
                await up_writer.drain()
            if upstream.done() and upstream.exception() is None:
                upstream.result()[1].close()

        async def responses() -> None:
            up_reader, _up_writer = await asyncio.shield(upstream)
            while data := await up_reader.read(65536):
                with self._lock:
                    if waiting[0]:
                        waiting[0] = False
                        self.counts.in_flight -= 1
                writer.write(data)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(requests(), responses())
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            with self._lock:
                self.counts.open_connections -= 1
                if waiting[0]:
                    self.counts.in_flight -= 1
            writer.close()
            if not upstream.done():
                upstream.cancel()
            elif not upstream.cancelled() and upstream.exception() is None:
                upstream.result()[1].close()
