"""`karto-smtp sandbox` as a user runs it, and the `Stack` object behind it."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from karto_sandbox.cli import sandbox as sandbox_command
from karto_sandbox.relay.routing import RelayRoutes
from karto_sandbox.seed import projects_in
from karto_sandbox.stack import Stack
from tests.sandbox.conftest import SandboxProcess

ENV_NAMES = [
    "SMTP2GO_API_URL",
    "SMTP2GO_API_KEY",
    "SUPABASE_API_URL",
    "SUPABASE_ACCESS_TOKEN",
    "SUPABASE_PROJECT_URL",
    "KARTO_SMTP_RELAY",
    "KARTO_SMTP_CA_FILE",
    "KARTO_DNS_RESOLVER",
    "KARTO_SANDBOX_URL",
]
PASSWORD = "Cli-Sandbox-Pass-2024-abc"
SENDER = "noreply@karto.example"
REF = "kartoprodabcdefghijk"
KARTO_YAML = f"version: 1\nsupabase:\n  projects:\n    - ref: {REF}\n      name: karto-production\n"


@pytest.fixture
def processes() -> Iterator[list[SandboxProcess]]:
    started: list[SandboxProcess] = []
    yield started
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate()


def start(processes: list[SandboxProcess], *args: str, cwd: Path) -> SandboxProcess:
    running = SandboxProcess(*args, cwd=cwd)
    processes.append(running)
    return running


def karto(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Another `karto-smtp` command with the sandbox's variables exported."""
    return subprocess.run(
        [sys.executable, "-m", "karto_smtp", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def api(env: dict[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=env["SMTP2GO_API_URL"], headers={"X-Smtp2go-Api-Key": env["SMTP2GO_API_KEY"]}
    )


def send_through_relay(env: dict[str, str], username: str, to: str, port: int = 587) -> None:
    """Send as a client would: dial per KARTO_SMTP_RELAY, verify mail.smtp2go.com with the CA."""
    target = RelayRoutes.from_env(env).resolve("mail.smtp2go.com", port, implicit_tls=False)
    client = smtplib.SMTP(timeout=5)
    client.connect(*target)
    client._host = "mail.smtp2go.com"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, to, "Welcome"
    message.set_content("hello")
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=env["KARTO_SMTP_CA_FILE"])
    with client:
        client.starttls(context=context)
        client.login(username, PASSWORD)
        client.send_message(message)


# -- the command -------------------------------------------------------------------------


def test_it_serves_the_projects_of_the_karto_yaml_where_it_starts(
    tmp_path: Path, processes: list[SandboxProcess]
) -> None:
    (tmp_path / "karto.yaml").write_text(KARTO_YAML)
    running = start(processes, cwd=tmp_path)
    env = running.env
    assert list(env) == ENV_NAMES
    assert running.stdout_lines[-1] == "# karto-smtp sandbox ready\n"
    headers = {"Authorization": f"Bearer {env['SUPABASE_ACCESS_TOKEN']}"}
    projects = httpx.get(f"{env['SUPABASE_API_URL']}/v1/projects", headers=headers).json()
    assert [(p["ref"], p["name"]) for p in projects] == [(REF, "karto-production")]
    assert running.stop() == 0
    assert f"Supabase projects (from karto.yaml):\n    {REF}  karto-production" in running.stderr


def test_without_a_karto_yaml_it_serves_no_project_and_says_so(
    tmp_path: Path, processes: list[SandboxProcess]
) -> None:
    running = start(processes, cwd=tmp_path)
    headers = {"Authorization": f"Bearer {running.env['SUPABASE_ACCESS_TOKEN']}"}
    assert httpx.get(f"{running.env['SUPABASE_API_URL']}/v1/projects", headers=headers).json() == []
    assert running.stop() == 0
    assert "Supabase projects: none (no karto.yaml here; pass -c FILE" in running.stderr


def test_the_exported_environment_is_short(tmp_path: Path, processes) -> None:
    running = start(processes, "--block-port", "587=refused", cwd=tmp_path)
    relay = running.env["KARTO_SMTP_RELAY"]
    assert relay.startswith("mail*.smtp2go.com:587=127.0.0.1:")
    assert ",mail*.smtp2go.com=127.0.0.1:" in relay
    assert len(relay) < 100
    assert sum(len(line) for line in running.stdout_lines) < 900


def test_run_use_interrupt_and_restart_with_state(
    tmp_path: Path, processes: list[SandboxProcess]
) -> None:
    (tmp_path / "karto.yaml").write_text(KARTO_YAML)
    state = tmp_path / "state" / "sandbox.json"
    first = start(processes, "--state", str(state), cwd=tmp_path)
    env = first.env
    assert Path(env["KARTO_SMTP_CA_FILE"]).is_absolute()

    with api(env) as smtp2go:
        added = smtp2go.post(
            "/users/smtp/add", json={"username": "karto-cli", "email_password": PASSWORD}
        )
        assert added.status_code == 200, added.text
        assert smtp2go.post("/single_sender_emails/add", json={"email_address": SENDER})
    supabase_headers = {"Authorization": f"Bearer {env['SUPABASE_ACCESS_TOKEN']}"}
    keys = httpx.get(
        f"{env['SUPABASE_API_URL']}/v1/projects/{REF}/api-keys", headers=supabase_headers
    ).json()
    anon = next(k["api_key"] for k in keys if k["name"] == "anon")
    project_url = env["SUPABASE_PROJECT_URL"].format(ref=REF)
    assert httpx.get(f"{project_url}/auth/v1/health", headers={"apikey": anon}).status_code == 200

    verified = karto(env, "sandbox", "verify-sender", SENDER)
    assert verified.returncode == 0, verified.stderr
    send_through_relay(env, "karto-cli", "friend@example.net")
    listed = karto(env, "sandbox", "mail", "--json", "--wait", "2", "--to", "friend@example.net")
    assert listed.returncode == 0, listed.stderr
    [mail] = json.loads(listed.stdout)["messages"]
    assert (mail["smtp_user"], mail["subject"], mail["status"], mail["auth_mechanism"]) == (
        "karto-cli",
        "Welcome",
        "delivered",
        "CRAM-MD5",  # smtplib's login() prefers it, and the relay offers it
    )

    assert first.stop() == 0
    assert "Traceback" not in first.stderr
    assert "Press Ctrl-C to stop" in first.stderr
    assert state.exists()

    second = start(processes, "--state", str(state), cwd=tmp_path)
    assert second.env == env  # same key, token, ports and CA file
    with api(second.env) as smtp2go:
        users = smtp2go.post("/users/smtp/view", json={"username": "karto-cli"}).json()
    assert [u["username"] for u in users["data"]["results"]] == ["karto-cli"]
    send_through_relay(second.env, "karto-cli", "again@example.net", port=2525)
    assert second.stop() == 0
    assert "Traceback" not in second.stderr


def test_sigterm_stops_cleanly_and_blocked_ports(tmp_path: Path, processes) -> None:
    running = start(processes, "--block-port", "587=refused", cwd=tmp_path)
    routes = RelayRoutes.from_env(running.env)
    assert routes.resolve("mail.smtp2go.com", 587, False) != routes.resolve(
        "mail.smtp2go.com", 25, False
    )
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(routes.resolve("mail.smtp2go.com", 587, False), timeout=2)
    running.process.send_signal(signal.SIGTERM)
    _out, err = running.process.communicate(timeout=15)
    assert running.process.returncode == 0
    assert "Traceback" not in err
    assert "blocked port      587 (refused)" in err


def test_reset_and_clock_over_http(sandbox_process: SandboxProcess) -> None:
    sandbox_process.reset()
    admin = sandbox_process.admin
    with api(sandbox_process.env) as smtp2go:
        smtp2go.post("/users/smtp/add", json={"username": "gone-after-reset"}).raise_for_status()
    assert httpx.post(f"{admin}/_sandbox/clock", json={"advance": 90}).json() == {"offset": 90}
    assert httpx.post(f"{admin}/_sandbox/clock", json={"advance": -1}).status_code == 400
    assert httpx.post(f"{admin}/_sandbox/reset").status_code == 204
    assert httpx.get(f"{admin}/_sandbox/clock").json() == {"offset": 0}
    with api(sandbox_process.env) as smtp2go:
        assert smtp2go.post("/users/smtp/view", json={}).json()["data"]["results"] == []


def test_the_admin_index_of_the_sandbox_url(sandbox_process: SandboxProcess) -> None:
    index = httpx.get(f"{sandbox_process.admin}/_sandbox/").json()
    assert index["service"] == "smtp2go"
    routes = {(r["method"], r["path"]) for r in index["admin_routes"]}
    assert {
        ("POST", "/_sandbox/reset"),
        ("POST", "/_sandbox/clock"),
        ("GET", "/_sandbox/mail"),
        ("POST", "/_sandbox/senders/verify"),
        ("GET", "/_sandbox/state"),
        ("POST", "/_sandbox/options"),
    } <= routes
    assert index["see_also"]["supabase"] == f"{sandbox_process.env['SUPABASE_API_URL']}/_sandbox/"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(sandbox_command, list(args), env=env, catch_exceptions=False)


def test_a_missing_config_file_is_one_error_line(tmp_path: Path) -> None:
    result = invoke("-c", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert result.output == f"Error: no such file: {tmp_path / 'nope.yaml'}\n"


def test_a_taken_port_is_one_error_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = invoke("--port-base", str(taken.getsockname()[1]))
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot start the sandbox:")
    assert "Traceback" not in result.output


def test_mail_and_verify_sender_need_a_sandbox_url() -> None:
    for argv in (["mail"], ["verify-sender", "a@b.example"]):
        result = invoke(*argv, env={"KARTO_SANDBOX_URL": ""})
        assert result.exit_code == 1
        assert "KARTO_SANDBOX_URL is not set" in result.output


def test_mail_reports_an_unreachable_sandbox() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        result = invoke("mail", env={"KARTO_SANDBOX_URL": url})
    assert result.exit_code == 1
    assert "not reachable" in result.output and "Traceback" not in result.output


def test_verify_sender_of_an_unknown_address_fails(stack: Stack) -> None:
    result = invoke("verify-sender", "ghost@karto.example", env=stack.env)
    assert result.exit_code == 1
    assert "404" in result.output


def test_mail_wait_times_out_with_exit_1(stack: Stack) -> None:
    started = time.monotonic()
    result = invoke("mail", "--wait", "0.3", env=stack.env)
    assert result.exit_code == 1
    assert 0.25 < time.monotonic() - started < 3
    assert "no message within 0.3s" in result.output


def test_mail_body_prints_each_message_text_decoded(stack: Stack) -> None:
    message = EmailMessage()
    message["From"] = "KARTO <karto.help@ro.ru>"
    message["To"] = "anna@example.com"
    message["Subject"] = "Подтвердите регистрацию в KARTO"
    message.set_content("<p>Здравствуйте!</p>\n", subtype="html", cte="quoted-printable")
    stack.mailbox.deliver("karto.help@ro.ru", ["anna@example.com"], "karto", message.as_bytes())
    result = invoke("mail", "--body", env=stack.env)
    assert result.exit_code == 0
    first, body, end = result.output.split("\n", 2)
    assert first.endswith(
        "  karto  KARTO <karto.help@ro.ru> -> anna@example.com  'Подтвердите регистрацию в KARTO'"
    )
    assert (body, end) == ("<p>Здравствуйте!</p>", "\n")


# -- the Stack object ----------------------------------------------------------------


def test_env_and_relay_rules_cover_every_relay_host_and_port(stack: Stack) -> None:
    env = stack.env
    assert list(env) == ENV_NAMES
    routes = RelayRoutes.from_env(env)
    ports = stack.ports
    for host in ("mail.smtp2go.com", "mail-us.smtp2go.com", "mail-eu.smtp2go.com"):
        for port in (25, 2525, 8025, 587, 80):
            assert routes.resolve(host, port, False) == ("127.0.0.1", ports["starttls"])
        for port in (465, 8465, 443):
            assert routes.resolve(host, port, True) == ("127.0.0.1", ports["tls"])
    assert routes.resolve("smtp.example.com", 587, False) == ("smtp.example.com", 587)
    assert env["SMTP2GO_API_KEY"].startswith("api-") and len(env["SMTP2GO_API_KEY"]) == 36
    assert env["SUPABASE_ACCESS_TOKEN"].startswith("sbp_")
    assert len(env["SUPABASE_ACCESS_TOKEN"]) == 44
    assert env["KARTO_SANDBOX_URL"] + "/v3" == env["SMTP2GO_API_URL"]


def test_relay_rules_round_trip_and_reject_nonsense() -> None:
    text = "mail*.smtp2go.com:587=127.0.0.1:4003,mail*.smtp2go.com=127.0.0.1:4001/4002"
    routes = RelayRoutes.parse(text)
    assert str(routes) == text
    assert routes.resolve("MAIL-EU.smtp2go.com", 587, True) == ("127.0.0.1", 4003)
    for bad in ("mail.smtp2go.com", "a=b", "a=127.0.0.1:0", "a:x=127.0.0.1:1"):
        with pytest.raises(ValueError, match="KARTO_SMTP_RELAY"):
            RelayRoutes.parse(bad)


def test_reset_restores_the_start_state(stack: Stack) -> None:
    with api(stack.env) as smtp2go:
        smtp2go.post(
            "/users/smtp/add", json={"username": "to-be-reset", "email_password": PASSWORD}
        )
    stack.mailbox.deliver("a@b.example", ["c@d.example"], "x", b"Subject: s\r\n\r\nbody")
    stack.clock.advance(30)
    stack.reset()
    assert stack.smtp2go_account.users() == []
    assert stack.mailbox.messages() == []
    assert stack.request_log.entries() == []
    assert stack.clock.offset == 0


def test_reset_restores_the_supabase_options(stack: Stack) -> None:
    url = stack.env["SUPABASE_API_URL"] + "/_sandbox/options"
    switched = {
        "email_rate_limit_check": "before_merge",
        "smtp_pass_view": "masked",
        "partial_smtp_patch": "clears_password",
    }
    assert httpx.post(url, json=switched).json().items() >= switched.items()
    stack.reset()
    options = httpx.get(url).json()
    assert {name: options[name] for name in switched} == {
        "email_rate_limit_check": "after_merge",
        "smtp_pass_view": "digest",
        "partial_smtp_patch": "keeps_password",
    }


def test_a_fault_answers_a_write_with_200_and_an_error_envelope(stack: Stack) -> None:
    envelope = {
        "request_id": "fault-1",
        "data": {"error": "Something failed", "error_code": "E_ApiResponseCodes.API_EXCEPTION"},
    }
    fault = {
        "kind": "status",
        "method": "POST",
        "path": "/v3/users/smtp/add",
        "status": 200,
        "body": envelope,
        "times": 1,
    }
    admin = stack.env["KARTO_SANDBOX_URL"]
    assert httpx.post(f"{admin}/_sandbox/faults", json=fault).status_code == 201
    with api(stack.env) as smtp2go:
        body = {"username": "faulted-user", "email_password": PASSWORD}
        answered = smtp2go.post("/users/smtp/add", json=body)
        assert (answered.status_code, answered.json()) == (200, envelope)
        assert stack.smtp2go_account.users() == []  # the write never ran
        assert (
            smtp2go.post("/users/smtp/add", json=body).json()["data"]["results"][0]["username"]
            == "faulted-user"
        )


def test_mail_endpoint_filters_and_clears(stack: Stack) -> None:
    stack.mailbox.deliver("a@b.example", ["one@x.example"], "u", b"Subject: 1\r\n\r\n")
    stack.mailbox.deliver("a@b.example", ["two@x.example"], "u", b"Subject: 2\r\n\r\n")
    url = stack.env["KARTO_SANDBOX_URL"] + "/_sandbox/mail"
    only = httpx.get(url, params={"to": "TWO@x.example"}).json()["messages"]
    assert [m["subject"] for m in only] == ["2"]
    assert httpx.delete(url).status_code == 204
    assert httpx.get(url).json() == {"messages": []}


@pytest.mark.parametrize("mode", ["refused", "timeout"])
def test_blocked_relay_port(mode: str) -> None:
    with Stack(blocked_ports={587: mode}) as blocked:
        routes = RelayRoutes.from_env(blocked.env)
        assert routes.resolve("mail.smtp2go.com", 2525, False)[1] == blocked.ports["starttls"]
        target = routes.resolve("mail-eu.smtp2go.com", 587, False)
        started = time.monotonic()
        expected = ConnectionRefusedError if mode == "refused" else TimeoutError
        with pytest.raises(expected):
            socket.create_connection(target, timeout=0.5).close()
        elapsed = time.monotonic() - started
        assert elapsed < 0.2 if mode == "refused" else elapsed >= 0.45


def test_state_file_round_trip_in_process(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Stack(state_file=state) as first:
        first.smtp2go_account.add_user("persisted", {}, PASSWORD)
        env = first.env
    saved = json.loads(state.read_text())
    assert saved["api_key"] == env["SMTP2GO_API_KEY"]
    with Stack(state_file=state, ports={"api": 0}) as second:
        assert [u["username"] for u in second.smtp2go_account.users()] == ["persisted"]
        assert second.env["KARTO_SMTP_CA_FILE"] == env["KARTO_SMTP_CA_FILE"]
        assert second.tls is not None
        assert second.tls.cert_pem.decode() == saved["tls"]["cert_pem"]


def test_seed_projects_from_karto_yaml(tmp_path: Path) -> None:
    config = tmp_path / "karto.yaml"
    config.write_text(
        "version: 1\nsupabase:\n  projects:\n"
        f"    - ref: {REF}\n      name: karto-production\n"
        "    - ref: env(NOT_A_REF)\n      name: staging\n"
    )
    seed = projects_in(config)
    assert seed.projects == [(REF, "karto-production")]
    assert seed.skipped == [
        "supabase.projects[1] (staging): ref 'env(NOT_A_REF)' is not 20 lower-case letters"
    ]
    with Stack(config=config) as seeded:
        assert seeded.project_refs == [REF]
        assert seeded.supabase_account.has_project(REF)
        assert seeded.notes == [
            f"{config}: supabase.projects[1] (staging): ref 'env(NOT_A_REF)' is not 20 "
            "lower-case letters; no project made for it"
        ]


def test_a_config_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "karto.yaml"
    config.write_text("supabase: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        Stack(config=config).start()
