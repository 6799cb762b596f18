"""Serving an `HttpApp` over HTTP/1.1 on loopback: one event loop per server, in its own thread.

One loop, not a thread per connection: a plan over a hundred projects opens a hundred
connections at once, and a hundred threads taking turns at the interpreter lock took twice
as long to answer them (55-62 ms for one read each) as one loop does (26 ms). Handlers are
quick dictionary work and run on the loop; the few that wait for something outside the loop
(a handler that sends mail through the relay, `GET /_sandbox/mail?wait=`) run on a thread
of their own, so that the loop keeps serving meanwhile. h11 does the HTTP/1.1 framing
(keep-alive, `Expect: 100-continue`, `Connection: close`, HTTP/1.0 clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11

from karto_sandbox.http import Drop, HttpApp, LoggedRequest, Request, Response, redact

# A client that opens a hundred connections at once must not wait for SYN retries (seconds
# each) on an idle server; Python's own default backlog is 5.
BACKLOG = 256
_READ_SIZE = 65536
_NO_BODY = frozenset({204, 304})


class HttpServer:
    """Runs an `HttpApp` on 127.0.0.1 (an ephemeral port unless one is given)."""

    def __init__(self, app: HttpApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        # Bound now, so that a port in use fails here, where the caller can pick another.
        self._backlog = BACKLOG
        self._socket = socket.create_server((host, port), backlog=self._backlog)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpServer:
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve(),),
            name=f"sandbox-{self.app.service}",
            daemon=True,
        )
        self._thread.start()
        self._ready.wait()
        return self

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            server = await asyncio.start_server(
                self._accept, sock=self._socket, backlog=self._backlog
            )
        finally:
            self._ready.set()
        async with server:
            await self._stop.wait()
            server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await _Connection(self.app, reader, writer).serve()
        except (ConnectionError, asyncio.CancelledError):
            pass  # a client that hangs up mid-answer is normal traffic, not a server fault
        finally:
            self._connections.discard(task)
            writer.close()


class _Connection:
    """One client connection: requests in, answers out, until either side closes."""

    def __init__(
        self, app: HttpApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.app = app
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.SERVER)
        self.server_header = f"karto-sandbox-{app.service}".encode()

    async def serve(self) -> None:
        while True:
            try:
                event = await self._next_event()
                if not isinstance(event, h11.Request):
                    return  # closed by the client, before or between requests
                request = await self._read_request(event)
            except h11.RemoteProtocolError as exc:
                await self._refuse(exc)
                return
            response = await self._answer(request)
            if response is None:
                return  # a fault: close without answering
            self._log(request, response)
            await self._write(request, response)
            if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
                return  # `Connection: close`, HTTP/1.0, or a body left unread
            self.h11.start_next_cycle()

    async def _next_event(self) -> Any:
        while True:
            event = self.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            if self.h11.they_are_waiting_for_100_continue:
                self.writer.write(
                    self.h11.send(
                        h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
                    )
                )
            self.h11.receive_data(await self.reader.read(_READ_SIZE))

    async def _read_request(self, event: h11.Request) -> Request:
        body = bytearray()
        while True:
            part = await self._next_event()
            if isinstance(part, h11.Data):
                body += part.data
            elif isinstance(part, h11.EndOfMessage):
                break
            else:
                raise h11.RemoteProtocolError("the request ended before its body")
        split = urlsplit(event.target.decode("iso-8859-1"))
        return Request(
            method=event.method.decode("ascii"),
            path=split.path,
            query=parse_qs(split.query),
            headers={
                name.decode("ascii"): value.decode("iso-8859-1") for name, value in event.headers
            },
            body=bytes(body),
        )

    async def _answer(self, request: Request) -> Response | None:
        fault = self.app.take_fault(request)
        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.seconds)  # then answer as usual
        elif fault is not None:
            if fault.kind == "timeout":
                await asyncio.sleep(fault.seconds or 30.0)
            return fault.response()  # None for timeout and drop: close without an answer
        try:
            if self.app.may_wait(request):
                return await _in_thread(self.app.answer, request, self.app.service)
            return self.app.answer(request)
        except Drop:
            return None

    def _log(self, request: Request, response: Response) -> None:
        if request.path.startswith("/_sandbox/"):
            return
        app = self.app
        app.after_request(request, response)
        try:
            logged_body = redact(request.json())
        except ValueError:
            logged_body = "(invalid JSON)"
        app.request_log.add(
            LoggedRequest(
                service=app.service,
                method=request.method,
                path=request.path,
                status=response.status,
                body=logged_body,
                headers={h: request.headers[h] for h in app.logged_headers if h in request.headers},
            )
        )

    async def _write(self, request: Request, response: Response) -> None:
        payload = response.encode()
        headers: dict[str, str] = {"Content-Type": "application/json", **response.headers}
        if response.status not in _NO_BODY:
            headers["Content-Length"] = str(len(payload))
        head = h11.Response(
            status_code=response.status,
            reason=_reason(response.status),
            headers=[
                (b"Server", self.server_header),
                (b"Date", formatdate(usegmt=True).encode()),
                *(
                    (name.encode("ascii"), value.encode("iso-8859-1"))
                    for name, value in headers.items()
                ),
            ],
        )
        out = self.h11.send(head) or b""
        if payload and request.method != "HEAD" and response.status not in _NO_BODY:
            out += self.h11.send(h11.Data(data=payload)) or b""
        out += self.h11.send(h11.EndOfMessage()) or b""
        # One write per answer: headers and body leave in the same segment.
        self.writer.write(out)
        await self.writer.drain()

    async def _refuse(self, exc: h11.RemoteProtocolError) -> None:
        """A request that is not HTTP/1.1 gets a 400 when an answer is still possible."""
        if self.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        body = Response(400, {"message": f"bad request: {exc}"}).encode()
        with contextlib.suppress(h11.LocalProtocolError):
            self.writer.write(
                self.h11.send(
                    h11.Response(
                        status_code=400,
                        reason=_reason(400),
                        headers=[
                            (b"Content-Type", b"application/json"),
                            (b"Content-Length", str(len(body)).encode()),
                            (b"Connection", b"close"),
                        ],
                    )
                )
                or b""
            )
            self.writer.write(body)
            await self.writer.drain()


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:  # a code a fault made up, e.g. 599
        return b""


def _in_thread(
    handler: Callable[[Request], Response], request: Request, service: str
) -> asyncio.Future[Response]:
    """`handler(request)` on a daemon thread of its own, as a future of the loop.

    Daemon, as a thread-per-connection server's were: a handler still waiting (for mail
    that never comes) must not hold up the exit of the process hosting the sandbox.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Response] = loop.create_future()

    def settle(response: Response | None, error: BaseException | None) -> None:
        if future.done():  # cancelled: the client went away
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(response)  # type: ignore[arg-type]

    def work() -> None:
        response: Response | None = None
        error: BaseException | None = None
        try:
            response = handler(request)
        except BaseException as exc:  # noqa: BLE001 - handed to the loop, which raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # the server stopped meanwhile
            loop.call_soon_threadsafe(settle, response, error)

    threading.Thread(target=work, name=f"sandbox-{service}-handler", daemon=True).start()
    return future
