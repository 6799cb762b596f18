"""Python's smtplib, a real SMTP client, against the relay of `karto-smtp sandbox` running as
its own process: found through KARTO_SMTP_RELAY, trusted through KARTO_SMTP_CA_FILE, over
STARTTLS and implicit TLS, logging in the way smtplib does by itself (CRAM-MD5 first)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import httpx
import pytest

from karto_sandbox.relay.routing import RelayRoutes
from tests.sandbox.conftest import SandboxProcess

HOST = "mail.smtp2go.com"
USER = "smtplib-user"
PASSWORD = "Smtplib-Relay-Pass-2024"
SENDER = "noreply@karto.example"


@pytest.fixture
def relay(sandbox_process: SandboxProcess) -> SandboxProcess:
    sandbox_process.reset()
    env = sandbox_process.env
    with httpx.Client(
        base_url=env["SMTP2GO_API_URL"], headers={"X-Smtp2go-Api-Key": env["SMTP2GO_API_KEY"]}
    ) as api:
        api.post(
            "/users/smtp/add", json={"username": USER, "email_password": PASSWORD}
        ).raise_for_status()
        api.post("/single_sender_emails/add", json={"email_address": SENDER}).raise_for_status()
    httpx.post(
        f"{sandbox_process.admin}/_sandbox/senders/verify", json={"email_address": SENDER}
    ).raise_for_status()
    return sandbox_process


def context(env: dict[str, str]) -> ssl.SSLContext:
    trusted = ssl.create_default_context()
    trusted.load_verify_locations(cafile=env["KARTO_SMTP_CA_FILE"])
    return trusted


def message(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = f"Karto <{SENDER}>", to, "Hello from smtplib"
    mail.set_content("hello")
    return mail


def delivered_to(sandbox: SandboxProcess, to: str) -> list[dict]:
    answer = httpx.get(f"{sandbox.admin}/_sandbox/mail", params={"to": to, "wait": 2})
    return answer.json()["messages"]


@pytest.mark.parametrize("port", [587, 2525])
def test_starttls(relay: SandboxProcess, port: int) -> None:
    env = relay.env
    target = RelayRoutes.from_env(env).resolve(HOST, port, implicit_tls=False)
    client = smtplib.SMTP(timeout=5)
    client.connect(*target)
    client._host = HOST  # the name STARTTLS verifies: the configured relay, not loopback
    with client:
        client.starttls(context=context(env))
        assert client.login(USER, PASSWORD) == (235, b"Authentication succeeded")
        client.send_message(message(f"starttls-{port}@example.net"))
    [mail] = delivered_to(relay, f"starttls-{port}@example.net")
    assert (mail["smtp_user"], mail["auth_mechanism"], mail["status"]) == (
        USER,
        "CRAM-MD5",
        "delivered",
    )


@pytest.mark.parametrize("port", [465, 8465])
def test_implicit_tls(relay: SandboxProcess, port: int) -> None:
    env = relay.env
    target = RelayRoutes.from_env(env).resolve(HOST, port, implicit_tls=True)
    client = smtplib.SMTP_SSL(timeout=5, context=context(env))
    client._host = HOST
    with client:
        client.connect(*target)
        assert client.login(USER, PASSWORD)[0] == 235
        client.send_message(message(f"tls-{port}@example.net"))
    [mail] = delivered_to(relay, f"tls-{port}@example.net")
    assert (mail["smtp_user"], mail["auth_mechanism"]) == (USER, "CRAM-MD5")


def test_a_wrong_password_and_an_unverified_sender_are_refused(relay: SandboxProcess) -> None:
    env = relay.env
    target = RelayRoutes.from_env(env).resolve(HOST, 587, implicit_tls=False)
    client = smtplib.SMTP(timeout=5)
    client.connect(*target)
    client._host = HOST
    with client:
        client.starttls(context=context(env))
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(USER, PASSWORD + "x")
        assert refused.value.smtp_code == 535
        client.login(USER, PASSWORD)
        stranger = message("nobody@example.net")
        stranger.replace_header("From", "someone@elsewhere.example")
        with pytest.raises(smtplib.SMTPDataError) as unverified:
            client.send_message(stranger)
    assert (unverified.value.smtp_code, unverified.value.smtp_error) == (
        550,
        b"From header sender domain not verified",
    )
