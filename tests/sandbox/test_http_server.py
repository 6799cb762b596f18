"""The emulator base: routing, fault injection and the redacted request log."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from karto_smtp.sandbox.http_server import HttpApp, HttpServer, Request, Response, redact


class EchoApp(HttpApp):
    service = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.route("POST", "/items/{item_id}", self.echo)

    def echo(self, request: Request) -> Response:
        return Response(200, {"id": request.path_params["item_id"], "body": request.json()})


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer(EchoApp()) as running:
        yield running


def add_fault(server: HttpServer, **fault) -> None:
    assert httpx.post(f"{server.url}/_sandbox/faults", json=fault).status_code == 201


def test_routes_path_params_and_unknown_methods(server):
    client = httpx.Client(base_url=server.url)
    assert client.post("/items/7", json={"a": 1}).json() == {"id": "7", "body": {"a": 1}}
    assert client.get("/items/7").status_code == 405
    assert client.post("/nothing").status_code == 404


def test_status_fault_answers_n_times_then_the_real_handler(server):
    add_fault(server, kind="status", status=429, times=2, body={"message": "slow down"})
    client = httpx.Client(base_url=server.url)
    answers = [client.post("/items/1", json={}) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].json() == {"message": "slow down"}


def test_latency_fault_delays_matching_routes_only(server):
    add_fault(server, kind="latency", seconds=0.3, path="/items/slow")
    client = httpx.Client(base_url=server.url)
    start = time.perf_counter()
    assert client.post("/items/fast", json={}).status_code == 200
    fast = time.perf_counter() - start
    start = time.perf_counter()
    assert client.post("/items/slow", json={}).status_code == 200
    assert time.perf_counter() - start >= 0.3 > fast


def test_malformed_fault_sends_broken_json(server):
    add_fault(server, kind="malformed", times=1)
    response = httpx.post(f"{server.url}/items/1", json={})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_drop_fault_closes_without_an_answer(server):
    add_fault(server, kind="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server.url}/items/1", json={})
    assert httpx.post(f"{server.url}/items/1", json={}).status_code == 200


def test_timeout_fault_holds_the_connection_past_the_client_timeout(server):
    add_fault(server, kind="timeout", seconds=1.0, times=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.url}/items/1", json={}, timeout=0.2)


def test_unknown_fault_kind_is_refused(server):
    response = httpx.post(f"{server.url}/_sandbox/faults", json={"kind": "explode"})
    assert response.status_code == 400
    assert response.json() == {
        "message": "kind must be latency, status, timeout, drop or malformed"
    }


def test_request_log_redacts_secrets(server):
    httpx.post(
        f"{server.url}/items/1",
        json={
            "api_key": "api-secret",
            "nested": {"smtp_pass": "hunter2", "keep": "x"},
            "password": "",
        },
    )
    log = httpx.get(f"{server.url}/_sandbox/requests").json()
    assert log == [
        {
            "service": "echo",
            "method": "POST",
            "path": "/items/1",
            "status": 200,
            "body": {
                "api_key": "(redacted)",
                "nested": {"smtp_pass": "(redacted)", "keep": "x"},
                "password": "",
            },
            "headers": {
                "user-agent": f"python-httpx/{httpx.__version__}",
                "content-type": "application/json",
            },
        }
    ]


def test_redact_leaves_non_secret_values_alone():
    assert redact([{"email_password": "p", "username": "karto"}]) == [
        {"email_password": "(redacted)", "username": "karto"}
    ]
