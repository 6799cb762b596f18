"""The HTTP base every emulator is built on: routing, request log, faults, admin index.

Each emulator is an `HttpApp`: a list of routes plus shared observation (a request
log) and fault injection. `karto_sandbox.http_server.HttpServer` serves one on loopback.

Admin routes live under `/_sandbox/` on every app, need no credentials, and are never
logged or faulted. Every app serves:
  GET    /_sandbox/            the index of this app's admin routes
  GET    /_sandbox/requests    the request log (secrets redacted)
  DELETE /_sandbox/requests    clear it
  POST   /_sandbox/faults      add a fault (see `Fault`)
  DELETE /_sandbox/faults      clear all faults
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SECRET_KEYS = frozenset(
    {
        "api_key",
        "email_password",
        "smtp_pass",
        "password",
        "access_token",
        "authorization",
        "x-smtp2go-api-key",
        "apikey",
    }
)
REDACTED = "(redacted)"


def redact(value: Any) -> Any:
    """Return a copy of a JSON-like value with every secret-named key's value replaced."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if str(k).lower() in SECRET_KEYS and v not in (None, "") else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)

    _json: Any = None
    _json_error: str | None = None
    _parsed: bool = False

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError with the parser's message."""
        if not self._parsed:
            self._parsed = True
            if self.body.strip():
                try:
                    self._json = json.loads(self.body)
                except json.JSONDecodeError as exc:
                    self._json_error = str(exc)
        if self._json_error:
            raise ValueError(self._json_error)
        return self._json

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes for a raw body
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    # The handler may wait for something outside the server (mail to arrive): it runs on a
    # thread of its own, not on the server's event loop.
    waits: bool = False


@dataclass(frozen=True)
class AdminRoute:
    """One line of the admin index: what a route does and the body it takes."""

    method: str
    path: str
    summary: str
    body: str | None = None

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"method": self.method, "path": self.path, "summary": self.summary}
        if self.body is not None:
            entry["body"] = self.body
        return entry


@dataclass
class Fault:
    """One injected misbehaviour for requests matching `method` and `path` (a regex).

    kind:
      latency    sleep `seconds` before answering normally
      status     answer `status` (e.g. 429, 500, 503) with `body` instead of the real handler
      timeout    sleep `seconds` (default 30) and then close without answering
      drop       close the connection without answering
      malformed  answer 200 with a body that is not valid JSON
    `times`: how many matching requests it affects (None: all of them).
    """

    kind: str
    method: str = "*"
    path: str = ".*"
    seconds: float = 0.0
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return (self.method in ("*", method)) and re.fullmatch(self.path, path) is not None

    def response(self) -> Response | None:
        """The answer a `status` or `malformed` fault gives; None: no answer at all."""
        if self.kind == "status":
            body = self.body if self.body is not None else {"message": "injected fault"}
            return Response(self.status, body, dict(self.headers))
        if self.kind == "malformed":
            return Response(200, b'{"request_id": "truncated', {"Content-Type": "application/json"})
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        allowed = {"kind", "method", "path", "seconds", "status", "body", "headers", "times"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        if data.get("kind") not in {"latency", "status", "timeout", "drop", "malformed"}:
            raise ValueError("kind must be latency, status, timeout, drop or malformed")
        return cls(**data)


@dataclass
class LoggedRequest:
    service: str
    method: str
    path: str
    status: int
    body: Any
    headers: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
        }


class RequestLog:
    """Thread-safe record of every request an emulator answered, secrets redacted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, service: str | None = None) -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self._entries if service is None or e.service == service]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Drop(Exception):
    """Raised by a handler: close the connection without writing a response."""


class HttpApp:
    """Routes plus faults; subclasses register their routes in `__init__`."""

    service = "app"
    logged_headers = ("user-agent", "content-type")
    # Every handler may wait for something outside the server (another server's answer):
    # all of them run on threads of their own.
    handlers_wait = False

    def __init__(self, request_log: RequestLog | None = None) -> None:
        self.routes: list[Route] = []
        self.admin_index: list[AdminRoute] = []
        self.see_also: dict[str, str] = {}  # other services' admin indexes, by name
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self.request_log = request_log or RequestLog()
        self.admin_route("GET", "/_sandbox/", self._admin_index, "this index")
        self.admin_route(
            "GET",
            "/_sandbox/requests",
            self._admin_requests,
            "the request log of this service: method, path, status, body (secrets redacted), "
            "user-agent and content-type",
        )
        self.admin_route(
            "DELETE", "/_sandbox/requests", self._admin_clear_requests, "clear the request log"
        )
        self.admin_route(
            "POST",
            "/_sandbox/faults",
            self._admin_add_fault,
            "inject a fault into the requests that match",
            '{"kind": "latency"|"status"|"timeout"|"drop"|"malformed", "method"?: "POST", '
            '"path"?: regex, "seconds"?, "status"?, "body"?, "headers"?, "times"?}',
        )
        self.admin_route("DELETE", "/_sandbox/faults", self._admin_clear_faults, "clear faults")

    # -- registration -------------------------------------------------------------
    def route(self, method: str, path: str, handler: Handler, *, waits: bool = False) -> None:
        """Register `handler` for `method` and `path`; `{name}` segments become path params.

        `waits`: the handler may wait for something outside the server (see `Route`).
        """
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self.routes.append(Route(method.upper(), re.compile(regex), handler, waits))

    def admin_route(
        self,
        method: str,
        path: str,
        handler: Handler,
        summary: str,
        body: str | None = None,
        *,
        waits: bool = False,
    ) -> None:
        """Register an admin route under /_sandbox/ and list it in the index."""
        if not path.startswith("/_sandbox/"):
            raise ValueError(f"admin routes live under /_sandbox/, not {path}")
        self.route(method, path, handler, waits=waits)
        self.admin_index.append(AdminRoute(method.upper(), path, summary, body))

    def add_fault(self, fault: Fault) -> None:
        with self._faults_lock:
            self.faults.append(fault)

    def clear_faults(self) -> None:
        with self._faults_lock:
            self.faults.clear()

    # -- dispatch -----------------------------------------------------------------
    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": f"Cannot {request.method} {request.path}"})

    def method_not_allowed(self, request: Request) -> Response:
        return Response(405, {"message": f"Method {request.method} not allowed on {request.path}"})

    def internal_error(self, request: Request, exc: Exception) -> Response:
        return Response(500, {"message": f"internal error: {type(exc).__name__}"})

    def before_request(self, request: Request) -> Response | None:
        """Hook for cross-cutting checks (auth, rate limits). Return a Response to stop."""
        return None

    def after_request(self, request: Request, response: Response) -> None:
        """Hook to add headers (e.g. rate-limit counters) to every response."""

    def take_fault(self, request: Request) -> Fault | None:
        """The fault that applies to this request (one use of it), if any; admin routes
        are never faulted."""
        if request.path.startswith("/_sandbox/"):
            return None
        with self._faults_lock:
            for fault in self.faults:
                if fault.matches(request.method, request.path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def may_wait(self, request: Request) -> bool:
        """Whether answering this request may wait for something outside the server."""
        if self.handlers_wait:
            return True
        return any(
            route.waits and route.method == request.method and route.pattern.fullmatch(request.path)
            for route in self.routes
        )

    def answer(self, request: Request) -> Response:
        """The answer of the route for this request (faults are the server's part).

        Raises `Drop` when the handler wants the connection closed without an answer.
        """
        allowed_elsewhere = False
        for route in self.routes:
            match = route.pattern.fullmatch(request.path)
            if not match:
                continue
            if route.method != request.method:
                allowed_elsewhere = True
                continue
            request.path_params = match.groupdict()
            if not request.path.startswith("/_sandbox/"):
                stop = self.before_request(request)
                if stop is not None:
                    return stop
            try:
                return route.handler(request)
            except Drop:
                raise
            except Exception as exc:  # the emulator must answer, like a real server would
                return self.internal_error(request, exc)
        if allowed_elsewhere:
            return self.method_not_allowed(request)
        return self.not_found(request)

    # -- admin routes -------------------------------------------------------------
    def _admin_index(self, request: Request) -> Response:
        index: dict[str, Any] = {
            "service": self.service,
            "admin_routes": [r.as_dict() for r in self.admin_index],
        }
        if self.see_also:
            index["see_also"] = dict(self.see_also)
        return Response(200, index)

    def _admin_requests(self, request: Request) -> Response:
        return Response(200, [e.as_dict() for e in self.request_log.entries(self.service)])

    def _admin_clear_requests(self, request: Request) -> Response:
        self.request_log.clear()
        return Response(204)

    def _admin_add_fault(self, request: Request) -> Response:
        try:
            self.add_fault(Fault.from_json(request.json() or {}))
        except (ValueError, TypeError) as exc:
            return Response(400, {"message": str(exc)})
        return Response(201, {"faults": len(self.faults)})

    def _admin_clear_faults(self, request: Request) -> Response:
        self.clear_faults()
        return Response(204)
