"""The HTTP base every emulator shares: routing, faults, the redacted request log, the admin
index. Exercised through the stack's own services, as a client sees them."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from karto_sandbox.http import redact
from karto_sandbox.stack import Stack

KEY = "api-" + "H7t7p0Base" * 3 + "xy"
TOKEN = "sbp_http_base"


@pytest.fixture
def smtp2go(stack: Stack) -> httpx.Client:
    stack.smtp2go_account.add_api_key(KEY)
    return httpx.Client(base_url=stack.smtp2go_url, headers={"X-Smtp2go-Api-Key": KEY}, timeout=5)


def add_fault(stack: Stack, **fault) -> None:
    answer = httpx.post(f"{stack.smtp2go_url}/_sandbox/faults", json=fault)
    assert answer.status_code == 201


def view(client: httpx.Client, **kwargs) -> httpx.Response:
    return client.post("/v3/users/smtp/view", json={}, **kwargs)


def test_routes_and_unknown_methods(stack, smtp2go):
    assert view(smtp2go).status_code == 200
    assert smtp2go.get("/v3/users/smtp/view").status_code == 405
    assert smtp2go.post("/v3/nothing").status_code == 404
    supabase = httpx.Client(
        base_url=stack.supabase_url, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    stack.supabase_account.add_token(TOKEN)
    stack.supabase_account.add_project("abcdefghijklmnopqrst", "p")
    # A path parameter reaches the handler.
    assert supabase.get("/v1/projects/abcdefghijklmnopqrst").json()["ref"] == (
        "abcdefghijklmnopqrst"
    )


def test_status_fault_answers_n_times_then_the_real_handler(stack, smtp2go):
    add_fault(stack, kind="status", status=429, times=2, body={"message": "slow down"})
    answers = [view(smtp2go) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].json() == {"message": "slow down"}


def test_latency_fault_delays_matching_routes_only(stack, smtp2go):
    add_fault(stack, kind="latency", seconds=0.3, path="/v3/domain/view")
    start = time.perf_counter()
    assert view(smtp2go).status_code == 200
    fast = time.perf_counter() - start
    start = time.perf_counter()
    assert smtp2go.post("/v3/domain/view", json={}).status_code == 200
    assert time.perf_counter() - start >= 0.3 > fast


def test_malformed_fault_sends_broken_json(stack, smtp2go):
    add_fault(stack, kind="malformed", times=1)
    response = view(smtp2go)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_drop_fault_closes_without_an_answer(stack, smtp2go):
    add_fault(stack, kind="drop", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        view(smtp2go)
    assert view(smtp2go).status_code == 200


def test_timeout_fault_holds_the_connection_past_the_client_timeout(stack, smtp2go):
    add_fault(stack, kind="timeout", seconds=1.0, times=1)
    with pytest.raises(httpx.ReadTimeout):
        view(smtp2go, timeout=0.2)


def test_unknown_fault_kind_is_refused(stack):
    response = httpx.post(f"{stack.smtp2go_url}/_sandbox/faults", json={"kind": "explode"})
    assert response.status_code == 400
    assert response.json() == {
        "message": "kind must be latency, status, timeout, drop or malformed"
    }


def test_request_log_redacts_secrets(stack):
    stack.smtp2go_account.add_api_key(KEY)
    httpx.post(
        f"{stack.smtp2go_url}/v3/users/smtp/add",
        json={"api_key": KEY, "username": "redacted01", "email_password": "Vq7#mL2!xR9$wK4p"},
    ).raise_for_status()
    log = httpx.get(f"{stack.smtp2go_url}/_sandbox/requests").json()
    assert log == [
        {
            "service": "smtp2go",
            "method": "POST",
            "path": "/v3/users/smtp/add",
            "status": 200,
            "body": {
                "api_key": "(redacted)",
                "username": "redacted01",
                "email_password": "(redacted)",
            },
            "headers": {
                "user-agent": f"python-httpx/{httpx.__version__}",
                "content-type": "application/json",
            },
        }
    ]


def test_redact_leaves_non_secret_values_alone():
    assert redact([{"email_password": "p", "username": "karto", "smtp_pass": ""}]) == [
        {"email_password": "(redacted)", "username": "karto", "smtp_pass": ""}
    ]
    assert redact({"nested": {"smtp_pass": "hunter2", "keep": "x"}}) == {
        "nested": {"smtp_pass": "(redacted)", "keep": "x"}
    }


def test_admin_routes_are_neither_logged_nor_faulted(stack, smtp2go):
    add_fault(stack, kind="status", status=500)
    assert httpx.get(f"{stack.smtp2go_url}/_sandbox/").status_code == 200
    assert httpx.get(f"{stack.smtp2go_url}/_sandbox/requests").json() == []


@pytest.mark.parametrize("service", ["smtp2go", "supabase", "auth"])
def test_every_service_answers_an_admin_index(stack, service):
    url = {"smtp2go": stack.smtp2go_url, "supabase": stack.supabase_url, "auth": stack.auth_url}
    index = httpx.get(f"{url[service]}/_sandbox/").json()
    routes = {(r["method"], r["path"]) for r in index["admin_routes"]}
    # The base routes on every service.
    assert {
        ("GET", "/_sandbox/"),
        ("GET", "/_sandbox/requests"),
        ("DELETE", "/_sandbox/requests"),
        ("POST", "/_sandbox/faults"),
        ("DELETE", "/_sandbox/faults"),
    } <= routes
    assert all(r["summary"] for r in index["admin_routes"])


def test_the_index_lists_every_admin_route_a_service_registers(stack):
    for app in (stack.smtp2go_app, stack.supabase_app):
        registered = {
            (route.method, route.pattern.pattern)
            for route in app.routes
            if route.pattern.pattern.startswith("/_sandbox/")
        }
        listed = {
            (entry.method, entry.path.replace("{ref}", "(?P<ref>[^/]+)"))
            for entry in app.admin_index
        }
        assert registered == listed


def test_two_hundred_clients_connect_at_once_without_a_syn_retry(sandbox) -> None:
    """A plan over many projects opens many connections at once; none may wait for a SYN
    retransmission (the first comes after one second), so a 0.9 s connect timeout holds."""
    import socket
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    url = urlsplit(sandbox.env["SUPABASE_API_URL"])
    barrier = threading.Barrier(200)

    def connect(_: int) -> bool:
        barrier.wait()
        with socket.create_connection((url.hostname, url.port), timeout=0.9) as conn:
            conn.sendall(b"GET /_sandbox/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return conn.recv(12).startswith(b"HTTP/1.")

    with ThreadPoolExecutor(max_workers=200) as pool:
        assert all(pool.map(connect, range(200)))


def _raw_exchange(url: str, request: bytes, *, shutdown: bool = False) -> bytes:
    """Send `request` as written on one new connection; everything the server answers."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(request)
        if shutdown:
            conn.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
        return received


def test_answers_carry_status_reason_server_and_length(stack):
    answer = _raw_exchange(
        stack.supabase_url, b"GET /_sandbox/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    fields = dict(line.split(": ", 1) for line in lines[1:])
    assert fields["Server"] == "karto-sandbox-supabase"
    assert fields["Content-Type"] == "application/json"
    assert int(fields["Content-Length"]) == len(body)
    assert json.loads(body)["service"] == "supabase"


def test_a_no_content_answer_has_no_body_and_keeps_the_connection(stack):
    with httpx.Client(base_url=stack.smtp2go_url) as client:
        cleared = client.delete("/_sandbox/faults")
        assert (cleared.status_code, cleared.content) == (204, b"")
        assert "content-length" not in cleared.headers
        assert client.get("/_sandbox/").status_code == 200


def test_keep_alive_serves_several_requests_on_one_connection(stack):
    request = b"GET /_sandbox/ HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _raw_exchange(
        stack.smtp2go_url,
        request * 2 + b"GET /_sandbox/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert answer.count(b"HTTP/1.1 200 OK\r\n") == 3


def test_an_http_1_0_client_gets_its_answer_and_a_close(stack):
    answer = _raw_exchange(stack.smtp2go_url, b"GET /_sandbox/ HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["service"] == "smtp2go"


def test_expect_100_continue_is_answered_before_the_body(stack):
    import socket
    from urllib.parse import urlsplit

    stack.smtp2go_account.add_api_key(KEY)
    body = json.dumps({"api_key": KEY}).encode()
    parts = urlsplit(stack.smtp2go_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(
            b"POST /v3/users/smtp/view HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        assert conn.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_request_that_is_not_http_gets_a_400_and_a_close(stack):
    answer = _raw_exchange(stack.smtp2go_url, b"HELLO THERE\r\n\r\n", shutdown=True)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in answer


def test_a_handler_that_waits_does_not_hold_up_the_others(stack, smtp2go):
    """`GET /_sandbox/mail?wait=` waits for mail on a thread of its own; the same server
    keeps answering meanwhile."""
    waited: dict[str, float] = {}

    def wait_for_mail() -> None:
        start = time.perf_counter()
        httpx.get(f"{stack.smtp2go_url}/_sandbox/mail", params={"wait": "1"}, timeout=5)
        waited["seconds"] = time.perf_counter() - start

    waiter = threading.Thread(target=wait_for_mail)
    waiter.start()
    time.sleep(0.1)
    start = time.perf_counter()
    assert view(smtp2go).status_code == 200
    answered = time.perf_counter() - start
    waiter.join()
    assert answered < 0.5
    assert waited["seconds"] >= 1.0
