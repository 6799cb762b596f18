"""The service clients' transport: reuse, the bound, and every way a connection ends.

Each test talks real HTTP/1.1 over loopback to a small server that counts the connections
it accepts and answers as the test asks: keep-alive, `Connection: close`, no answer, slow.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from karto_sandbox.relay.tls import SandboxTls
from karto_smtp.providers.transport import ServiceTransport


@dataclass
class Server:
    port: int = 0
    scheme: str = "http"
    accepted: int = 0
    open_now: int = 0
    most_open: int = 0
    closed_by_client: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.scheme}://localhost:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                if path.startswith("/slow"):
                    # A client sends nothing while it waits: a read returns only at its close.
                    try:
                        ended = await asyncio.wait_for(reader.read(1), float(path[6:])) == b""
                    except TimeoutError:
                        ended = False
                    if ended:
                        self.closed_by_client += 1
                        return
                if path == "/drop":
                    writer.close()
                    return
                if path == "/garbage":
                    writer.write(b"this is not HTTP\r\n\r\n")
                    await writer.drain()
                    continue
                if path == "/echo":
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    body = await reader.readexactly(length)
                    writer.write(
                        b"HTTP/1.1 201 Made It\r\nX-Method: "
                        + head.split(b" ", 1)[0]
                        + b"\r\nContent-Length: %d\r\n\r\n" % len(body)
                        + body
                    )
                    continue
                if path == "/chunked":
                    writer.write(
                        b"HTTP/1.1 100 Continue\r\n\r\n"
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                    )
                    continue
                if path == "/mute":
                    # Answer, then never read again: a TLS close_notify goes unanswered.
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    await writer.drain()
                    writer.transport.pause_reading()
                    await asyncio.sleep(60)
                    return
                close = path == "/close"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                    + (b"Connection: close\r\n" if close else b"")
                    + b"\r\nok"
                )
                await writer.drain()
                if close:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed_by_client += 1
        finally:
            self.open_now -= 1


@asynccontextmanager
async def serving(tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    server = Server(scheme="https" if tls else "http")
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        for writer in server.writers:
            writer.close()
        listener.close()


def client(
    server: Server, bound: int, keepalive: float = 5.0, tls: ssl.SSLContext | None = None
) -> tuple[httpx.AsyncClient, ServiceTransport]:
    limits = httpx.Limits(
        max_connections=bound, max_keepalive_connections=bound, keepalive_expiry=keepalive
    )
    transport = ServiceTransport(limits, ssl_context=tls)
    return httpx.AsyncClient(base_url=server.url, transport=transport), transport


async def settle() -> None:
    # Let the server's side of a closed connection run.
    for _ in range(5):
        await asyncio.sleep(0.01)


def test_one_connection_serves_requests_one_after_another():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=4)
            async with http:
                for _ in range(20):
                    assert (await http.get("/")).text == "ok"
                assert (server.accepted, pool.connections) == (1, 1)

    asyncio.run(scenario())


def test_never_more_connections_than_the_bound_and_all_of_them_reused():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=3)
            async with http:
                answers = await asyncio.gather(*(http.get("/slow/0.05") for _ in range(12)))
                assert [a.status_code for a in answers] == [200] * 12
                assert (server.accepted, server.most_open, pool.connections) == (3, 3, 3)

    asyncio.run(scenario())


def test_a_connection_the_server_closes_is_not_reused():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=2)
            async with http:
                for _ in range(3):
                    assert (await http.get("/close")).text == "ok"
                assert (server.accepted, pool.connections) == (3, 0)
                assert (await http.get("/")).text == "ok"
                assert (server.accepted, pool.connections) == (4, 1)

    asyncio.run(scenario())


def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=1)
            async with http:
                assert (await http.get("/")).text == "ok"
                server.writers[0].close()
                await settle()
                assert (await http.get("/")).text == "ok"
                assert (server.accepted, pool.connections) == (2, 1)

    asyncio.run(scenario())


def test_a_failed_exchange_frees_its_place_under_the_bound():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=1)
            async with http:
                for _ in range(3):
                    with pytest.raises(httpx.RemoteProtocolError):
                        await http.get("/drop")
                assert pool.connections == 0
                assert (await http.get("/")).text == "ok"
                assert (server.accepted, pool.connections) == (4, 1)

    asyncio.run(scenario())


def test_a_cancelled_request_frees_its_place_and_its_connection():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=1)
            async with http:
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(http.get("/slow/5"), timeout=0.05)
                assert pool.connections == 0
                answer = await asyncio.wait_for(http.get("/"), timeout=2)
                assert answer.text == "ok"
                await settle()
                assert (server.accepted, server.closed_by_client) == (2, 1)

    asyncio.run(scenario())


def test_a_connection_past_its_keep_alive_is_closed_and_replaced():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=2, keepalive=0.05)
            async with http:
                assert (await http.get("/")).text == "ok"
                await asyncio.sleep(0.1)
                assert (await http.get("/")).text == "ok"
                await settle()
                assert (server.accepted, server.closed_by_client, pool.connections) == (2, 1, 1)

    asyncio.run(scenario())


def test_closing_the_client_closes_every_connection():
    async def scenario() -> None:
        async with serving() as server:
            http, pool = client(server, bound=3)
            async with http:
                await asyncio.gather(*(http.get("/slow/0.05") for _ in range(3)))
                assert server.open_now == 3
            await settle()
            assert (server.open_now, server.closed_by_client, pool.connections) == (0, 3, 0)

    asyncio.run(scenario())


def test_https_connections_are_verified_and_reused():
    tls = SandboxTls()

    async def scenario() -> None:
        async with serving(tls.server_context()) as server:
            http, pool = client(server, bound=2, tls=tls.client_context())
            async with http:
                for _ in range(5):
                    assert (await http.get("/")).text == "ok"
                assert (server.accepted, pool.connections) == (1, 1)
            untrusting, pool = client(server, bound=2, tls=ssl.create_default_context())
            async with untrusting:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await untrusting.get("/")
                assert pool.connections == 0

    try:
        asyncio.run(scenario())
    finally:
        tls.cleanup()


def test_a_body_goes_out_and_the_answer_comes_back_whole():
    async def scenario() -> None:
        async with serving() as server:
            http, _ = client(server, bound=1)
            async with http:
                answer = await http.patch("/echo", json={"smtp_host": "mail.smtp2go.com"})
                assert (answer.status_code, answer.reason_phrase) == (201, "Made It")
                assert answer.headers["x-method"] == "PATCH"
                assert answer.json() == {"smtp_host": "mail.smtp2go.com"}
                assert answer.http_version == "HTTP/1.1"
                chunked = await http.get("/chunked")
                assert (chunked.status_code, chunked.text) == (200, "abcde")
                assert server.accepted == 1

    asyncio.run(scenario())


def test_what_goes_wrong_is_named_with_httpx_errors():
    """The retry policy reads these: Connect* and PoolTimeout mean 'never sent'."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    closed_port = sock.getsockname()[1]
    sock.close()

    async def scenario() -> None:
        async with serving() as server:
            http, transport = client(server, bound=1)
            async with http:
                with pytest.raises(httpx.RemoteProtocolError):
                    await http.get("/garbage")
                with pytest.raises(httpx.ReadTimeout):
                    await http.get("/slow/5", timeout=httpx.Timeout(5, read=0.05))
                slow = asyncio.create_task(http.get("/slow/0.3"))
                await asyncio.sleep(0.05)
                with pytest.raises(httpx.PoolTimeout):
                    await http.get("/", timeout=httpx.Timeout(5, pool=0.05))
                assert (await slow).text == "ok"
                with pytest.raises(httpx.UnsupportedProtocol):
                    await http.get("ftp://localhost/")
                refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
                with pytest.raises(httpx.ConnectError, match=refused.replace("[", "\\[")):
                    await http.get(f"http://127.0.0.1:{closed_port}/")
                # At the bound of 1, the idle connection /slow/0.3 left made room for it.
                assert transport.connections == 0

    asyncio.run(scenario())


def test_a_connection_that_takes_too_long_is_a_connect_timeout(monkeypatch):
    async def never(*args: object, **kwargs: object) -> None:
        await asyncio.sleep(10)

    monkeypatch.setattr(asyncio, "open_connection", never)

    async def scenario() -> None:
        transport = ServiceTransport(httpx.Limits(max_connections=1), ssl_context=None)
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.ConnectTimeout):
                await http.get("http://127.0.0.1:9/", timeout=httpx.Timeout(5, connect=0.05))
        assert transport.connections == 0

    asyncio.run(scenario())


def test_a_tls_peer_that_ignores_the_close_does_not_hold_the_exit():
    tls = SandboxTls()

    async def scenario() -> float:
        async with serving(tls.server_context()) as server:
            http, transport = client(server, bound=1, tls=tls.client_context())
            assert (await http.get("/mute")).text == "ok"
            started = time.monotonic()
            await http.aclose()
            assert transport.connections == 0
            return time.monotonic() - started

    try:
        assert asyncio.run(scenario()) < 3
    finally:
        tls.cleanup()


def test_the_bound_holds_across_origins():
    async def scenario() -> None:
        async with serving() as first, serving() as second:
            transport = ServiceTransport(httpx.Limits(max_connections=2), ssl_context=None)
            async with httpx.AsyncClient(transport=transport) as http:
                await asyncio.gather(*(http.get(f"{first.url}/slow/0.05") for _ in range(2)))
                assert transport.connections == 2
                await asyncio.gather(*(http.get(f"{second.url}/slow/0.05") for _ in range(2)))
                assert transport.connections == 2
                assert (first.accepted, second.accepted) == (2, 2)

    asyncio.run(scenario())
