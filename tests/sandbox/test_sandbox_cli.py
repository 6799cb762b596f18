"""`karto-smtp sandbox` as a user runs it, and the `Sandbox` object behind it."""

from __future__ import annotations

import json
import os
import shlex
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from karto_smtp.cli import main
from karto_smtp.relay_map import RelayMap, client_ssl_context
from karto_smtp.sandbox.sandbox import DEFAULT_PROJECT_REF, Sandbox, projects_from_config

ENV_NAMES = [
    "SMTP2GO_API_URL",
    "SMTP2GO_API_KEY",
    "SUPABASE_API_URL",
    "SUPABASE_ACCESS_TOKEN",
    "SUPABASE_PROJECT_URL",
    "KARTO_SMTP_RELAY_MAP",
    "KARTO_SMTP_CA_FILE",
    "KARTO_SANDBOX_URL",
]
PASSWORD = "Cli-Sandbox-Pass-2024-abc"
SENDER = "noreply@karto.example"


class CliSandbox:
    """`python -m karto_smtp sandbox ...` in a subprocess, with the exports it printed."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "karto_smtp", "sandbox", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.env = self._read_exports(timeout=15)

    def _read_exports(self, timeout: float) -> dict[str, str]:
        env: dict[str, str] = {}
        done = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                name, _, value = line.removeprefix("export ").rstrip("\n").partition("=")
                env[name] = shlex.split(value)[0]
                if len(env) == len(ENV_NAMES):
                    break
            done.set()

        threading.Thread(target=read, daemon=True).start()
        if not done.wait(timeout) or len(env) != len(ENV_NAMES):
            self.process.kill()
            _out, err = self.process.communicate()
            raise AssertionError(f"sandbox printed {sorted(env)}; stderr:\n{err}")
        return env

    def interrupt(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        _out, err = self.process.communicate(timeout=15)
        return self.process.returncode, err

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another `karto-smtp` command with this sandbox's variables exported."""
        return subprocess.run(
            [sys.executable, "-m", "karto_smtp", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=30,
        )


@pytest.fixture
def cli_sandboxes() -> Iterator[list[CliSandbox]]:
    started: list[CliSandbox] = []
    yield started
    for sandbox in started:
        if sandbox.process.poll() is None:
            sandbox.process.kill()
            sandbox.process.communicate()


def api(env: dict[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=env["SMTP2GO_API_URL"], headers={"X-Smtp2go-Api-Key": env["SMTP2GO_API_KEY"]}
    )


def send_through_relay(env: dict[str, str], username: str, to: str, port: int = 587) -> None:
    """Send as a client would: dial via the relay map, verify mail.smtp2go.com with the CA."""
    target = RelayMap.from_env(env).resolve("mail.smtp2go.com", port)
    client = smtplib.SMTP(timeout=5)
    client.connect(*target)
    client._host = "mail.smtp2go.com"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, to, "Welcome"
    message.set_content("hello")
    with client:
        client.starttls(context=client_ssl_context(env["KARTO_SMTP_CA_FILE"]))
        client.login(username, PASSWORD)
        client.send_message(message)


def test_run_use_interrupt_and_restart_with_state(
    tmp_path: Path, cli_sandboxes: list[CliSandbox]
) -> None:
    state = tmp_path / "state" / "sandbox.json"
    first = CliSandbox("--state", str(state), cwd=tmp_path)
    cli_sandboxes.append(first)
    env = first.env
    assert list(env) == ENV_NAMES
    assert Path(env["KARTO_SMTP_CA_FILE"]).is_absolute()

    with api(env) as smtp2go:
        added = smtp2go.post(
            "/users/smtp/add", json={"username": "karto-cli", "email_password": PASSWORD}
        )
        assert added.status_code == 200, added.text
        assert smtp2go.post("/single_sender_emails/add", json={"email_address": SENDER})
    supabase_headers = {"Authorization": f"Bearer {env['SUPABASE_ACCESS_TOKEN']}"}
    projects = httpx.get(f"{env['SUPABASE_API_URL']}/v1/projects", headers=supabase_headers)
    assert [p["ref"] for p in projects.json()] == [DEFAULT_PROJECT_REF]
    keys = httpx.get(
        f"{env['SUPABASE_API_URL']}/v1/projects/{DEFAULT_PROJECT_REF}/api-keys",
        headers=supabase_headers,
    ).json()
    anon = next(k["api_key"] for k in keys if k["name"] == "anon")
    project_url = env["SUPABASE_PROJECT_URL"].format(ref=DEFAULT_PROJECT_REF)
    health = httpx.get(f"{project_url}/auth/v1/health", headers={"apikey": anon})
    assert health.status_code == 200

    verified = first.run("sandbox", "verify-sender", SENDER)
    assert verified.returncode == 0, verified.stderr
    send_through_relay(env, "karto-cli", "friend@example.net")
    listed = first.run("sandbox", "mail", "--json", "--wait", "2", "--to", "friend@example.net")
    assert listed.returncode == 0, listed.stderr
    [mail] = json.loads(listed.stdout)["messages"]
    assert (mail["smtp_user"], mail["subject"], mail["status"]) == (
        "karto-cli",
        "Welcome",
        "delivered",
    )

    code, stderr = first.interrupt()
    assert code == 0
    assert "Traceback" not in stderr
    assert "Press Ctrl-C to stop" in stderr
    assert state.exists()

    second = CliSandbox("--state", str(state), cwd=tmp_path)
    cli_sandboxes.append(second)
    assert second.env == env  # same key, token, ports and CA file
    with api(second.env) as smtp2go:
        users = smtp2go.post("/users/smtp/view", json={"username": "karto-cli"}).json()
    assert [u["username"] for u in users["data"]["results"]] == ["karto-cli"]
    send_through_relay(second.env, "karto-cli", "again@example.net", port=2525)
    code, stderr = second.interrupt()
    assert (code, "Traceback" in stderr) == (0, False)


def test_sigterm_stops_cleanly_and_blocked_ports(
    tmp_path: Path, cli_sandboxes: list[CliSandbox]
) -> None:
    running = CliSandbox("--block-port", "587=refused", cwd=tmp_path)
    cli_sandboxes.append(running)
    relay_map = RelayMap.from_env(running.env)
    assert relay_map.resolve("mail.smtp2go.com", 587) != relay_map.resolve("mail.smtp2go.com", 25)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(relay_map.resolve("mail.smtp2go.com", 587), timeout=2)
    running.process.send_signal(signal.SIGTERM)
    _out, err = running.process.communicate(timeout=15)
    assert running.process.returncode == 0
    assert "Traceback" not in err
    assert "blocked port      587 (refused)" in err


def test_a_taken_port_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit) as exit_info:
            main(["sandbox", "--port-base", str(taken.getsockname()[1])])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot start the sandbox:") and "Traceback" not in err


def test_mail_and_verify_sender_need_a_sandbox_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KARTO_SANDBOX_URL", raising=False)
    for argv in (["sandbox", "mail"], ["sandbox", "verify-sender", "a@b.example"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 1
        assert "KARTO_SANDBOX_URL is not set" in capsys.readouterr().err


def test_mail_reports_an_unreachable_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        monkeypatch.setenv("KARTO_SANDBOX_URL", f"http://127.0.0.1:{unused.getsockname()[1]}")
        with pytest.raises(SystemExit) as exit_info:
            main(["sandbox", "mail"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "not reachable" in err and "Traceback" not in err


def test_verify_sender_of_an_unknown_address_fails(
    sandbox_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "verify-sender", "ghost@karto.example"])
    assert exit_info.value.code == 1
    assert "404" in capsys.readouterr().err


def test_mail_wait_times_out_with_exit_1(
    sandbox_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "mail", "--wait", "0.3"])
    assert exit_info.value.code == 1
    assert 0.25 < time.monotonic() - started < 3
    assert "no message within 0.3s" in capsys.readouterr().err


# -- the Sandbox object --------------------------------------------------------------


def test_env_and_relay_map_cover_every_relay_host_and_port(sandbox: Sandbox) -> None:
    env = sandbox.env
    assert list(env) == ENV_NAMES
    relay_map = RelayMap.from_env(env)
    for host in ("mail.smtp2go.com", "mail-us.smtp2go.com", "mail-eu.smtp2go.com"):
        for port in (25, 2525, 8025, 587, 80):
            assert relay_map.resolve(host, port) == ("127.0.0.1", sandbox.relay.starttls_port)
        for port in (465, 8465, 443):
            assert relay_map.resolve(host, port) == ("127.0.0.1", sandbox.relay.tls_port)
    assert env["SMTP2GO_API_KEY"].startswith("api-") and len(env["SMTP2GO_API_KEY"]) == 36
    assert env["SUPABASE_ACCESS_TOKEN"].startswith("sbp_")
    assert len(env["SUPABASE_ACCESS_TOKEN"]) == 44
    assert env["KARTO_SANDBOX_URL"] + "/v3" == env["SMTP2GO_API_URL"]


def test_reset_restores_the_start_state(sandbox: Sandbox) -> None:
    with api(sandbox.env) as smtp2go:
        smtp2go.post(
            "/users/smtp/add", json={"username": "to-be-reset", "email_password": PASSWORD}
        )
    sandbox.mailbox.deliver("a@b.example", ["c@d.example"], "x", b"Subject: s\r\n\r\nbody")
    sandbox.reset()
    assert sandbox.smtp2go_account.users() == []
    assert sandbox.mailbox.messages() == []
    assert sandbox.request_log.entries() == []


def test_reset_restores_the_supabase_options(sandbox: Sandbox) -> None:
    url = sandbox.env["SUPABASE_API_URL"] + "/_sandbox/options"
    switched = {
        "email_rate_limit_check": "before_merge",
        "smtp_pass_view": "masked",
        "partial_smtp_patch": "clears_password",
    }
    assert httpx.post(url, json=switched).json().items() >= switched.items()
    sandbox.reset()
    options = httpx.get(url).json()
    assert {name: options[name] for name in switched} == {
        "email_rate_limit_check": "after_merge",
        "smtp_pass_view": "digest",
        "partial_smtp_patch": "keeps_password",
    }


def test_a_fault_answers_a_write_with_200_and_an_error_envelope(sandbox: Sandbox) -> None:
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
    admin = sandbox.env["KARTO_SANDBOX_URL"]
    assert httpx.post(f"{admin}/_sandbox/faults", json=fault).status_code == 201
    with api(sandbox.env) as smtp2go:
        body = {"username": "faulted-user", "email_password": PASSWORD}
        answered = smtp2go.post("/users/smtp/add", json=body)
        assert (answered.status_code, answered.json()) == (200, envelope)
        assert sandbox.smtp2go_account.users() == []  # the write never ran
        assert (
            smtp2go.post("/users/smtp/add", json=body).json()["data"]["results"][0]["username"]
            == "faulted-user"
        )


def test_mail_endpoint_filters_and_clears(sandbox: Sandbox) -> None:
    sandbox.mailbox.deliver("a@b.example", ["one@x.example"], "u", b"Subject: 1\r\n\r\n")
    sandbox.mailbox.deliver("a@b.example", ["two@x.example"], "u", b"Subject: 2\r\n\r\n")
    url = sandbox.env["KARTO_SANDBOX_URL"] + "/_sandbox/mail"
    only = httpx.get(url, params={"to": "TWO@x.example"}).json()["messages"]
    assert [m["subject"] for m in only] == ["2"]
    assert httpx.delete(url).status_code == 204
    assert httpx.get(url).json() == {"messages": []}


def test_supabase_auth_mail_goes_through_the_relay(sandbox: Sandbox) -> None:
    """The Auth app resolves mail.smtp2go.com with the relay map and trusts the sandbox CA."""
    ref = sandbox.project_refs[0]
    sandbox.smtp2go_account.add_user("karto-auth", {}, PASSWORD)
    sandbox.smtp2go_account.add_sender(SENDER)
    sandbox.smtp2go_account.verify_sender(SENDER)
    supabase = httpx.Client(
        base_url=sandbox.env["SUPABASE_API_URL"],
        headers={"Authorization": f"Bearer {sandbox.env['SUPABASE_ACCESS_TOKEN']}"},
    )
    with supabase:
        patched = supabase.patch(
            f"/v1/projects/{ref}/config/auth",
            json={
                "smtp_host": "mail.smtp2go.com",
                "smtp_port": "587",
                "smtp_user": "karto-auth",
                "smtp_pass": PASSWORD,
                "smtp_admin_email": SENDER,
                "smtp_sender_name": "Karto",
            },
        )
        assert patched.status_code == 200, patched.text
        keys = supabase.get(f"/v1/projects/{ref}/api-keys").json()
    anon = next(k["api_key"] for k in keys if k["name"] == "anon")
    otp = httpx.post(
        sandbox.project_url(ref) + "/auth/v1/otp",
        headers={"apikey": anon},
        json={"email": "new.user@example.net"},
    )
    assert otp.status_code == 200, otp.text
    mail = sandbox.mailbox.wait_for(lambda m: m.rcpt_tos == ["new.user@example.net"], 5)
    assert mail is not None
    assert (mail.smtp_user, mail.mail_from) == ("karto-auth", SENDER)


@pytest.mark.parametrize("mode", ["refused", "timeout"])
def test_blocked_relay_port(mode: str) -> None:
    with Sandbox(seed_from=None, blocked_ports={587: mode}) as blocked:
        relay_map = RelayMap.from_env(blocked.env)
        assert relay_map.resolve("mail.smtp2go.com", 2525)[1] == blocked.relay.starttls_port
        target = relay_map.resolve("mail-eu.smtp2go.com", 587)
        started = time.monotonic()
        expected = ConnectionRefusedError if mode == "refused" else TimeoutError
        with pytest.raises(expected):
            socket.create_connection(target, timeout=0.5).close()
        elapsed = time.monotonic() - started
        assert elapsed < 0.2 if mode == "refused" else elapsed >= 0.45


def test_state_file_round_trip_in_process(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Sandbox(state_file=state, seed_from=None) as first:
        first.smtp2go_account.add_user("persisted", {}, PASSWORD)
        env = first.env
    saved = json.loads(state.read_text())
    assert saved["api_key"] == env["SMTP2GO_API_KEY"]
    with Sandbox(state_file=state, seed_from=None, ports={"api": 0}) as second:
        assert [u["username"] for u in second.smtp2go_account.users()] == ["persisted"]
        assert second.env["KARTO_SMTP_CA_FILE"] == env["KARTO_SMTP_CA_FILE"]
        assert second.tls.cert_pem.decode() == saved["tls"]["cert_pem"]


def test_seed_projects_from_karto_yaml(tmp_path: Path) -> None:
    config = tmp_path / "karto.yaml"
    config.write_text(
        "version: 1\nsupabase:\n  projects:\n"
        "    - ref: kartoprodabcdefghijk\n      name: karto-production\n"
        "    - ref: env(NOT_A_REF)\n"
    )
    assert projects_from_config(config) == [("kartoprodabcdefghijk", "karto-production")]
    with Sandbox(seed_from=config) as seeded:
        assert seeded.project_refs == ["kartoprodabcdefghijk"]
        assert seeded.supabase_account.has_project("kartoprodabcdefghijk")
