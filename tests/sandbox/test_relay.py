"""The stack's SMTP relay, driven by smtplib against SMTP users made through the API emulator."""

from __future__ import annotations

import base64
import hmac
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
import pytest

from karto_sandbox.relay.mailbox import Mailbox
from karto_sandbox.relay.routing import RelayRoutes
from karto_sandbox.relay.tls import SandboxTls
from karto_sandbox.smtp2go.models import Smtp2goAccount
from karto_sandbox.stack import Stack

API_KEY = "api-" + "A1" * 16
RELAY_HOST = "mail.smtp2go.com"
PASSWORD = "Sandbox-Relay-Pass-2024-xyz"
VERIFIED = "noreply@karto.example"
UNVERIFIED = "someone@elsewhere.example"


@dataclass
class RelayHarness:
    stack: Stack
    account: Smtp2goAccount
    api: httpx.Client
    mailbox: Mailbox
    tls: SandboxTls
    starttls_port: int
    tls_port: int

    def add_user(self, username: str, status: str = "allowed") -> None:
        response = self.api.post(
            "/v3/users/smtp/add",
            json={"username": username, "email_password": PASSWORD, "status": status},
        )
        assert response.status_code == 200, response.text

    def verify_sender(self, address: str) -> None:
        assert self.api.post(
            "/v3/single_sender_emails/add", json={"email_address": address}
        ).is_success
        assert self.api.post("/_sandbox/senders/verify", json={"email_address": address}).is_success

    def options(self, **options: object) -> None:
        self.api.post("/_sandbox/options", json=options).raise_for_status()

    def starttls(self) -> smtplib.SMTP:
        """A client that dials the relay but names (and verifies) mail.smtp2go.com."""
        client = smtplib.SMTP(timeout=5)
        client.connect("127.0.0.1", self.starttls_port)
        client._host = RELAY_HOST  # the name STARTTLS verifies, as after a relay rule lookup
        client.ehlo()
        client.starttls(context=self.tls.client_context())
        client.ehlo()
        return client


@pytest.fixture
def harness(stack: Stack):
    stack.smtp2go_account.add_api_key(API_KEY)
    assert stack.tls is not None
    with httpx.Client(
        base_url=stack.smtp2go_url, headers={"X-Smtp2go-Api-Key": API_KEY}, timeout=5
    ) as api:
        yield RelayHarness(
            stack,
            stack.smtp2go_account,
            api,
            stack.mailbox,
            stack.tls,
            stack.ports["starttls"],
            stack.ports["tls"],
        )


def message(sender: str = VERIFIED, to: str = "user@example.net") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Karto <{sender}>"
    msg["To"] = to
    msg["Subject"] = "Your magic link"
    msg["Message-ID"] = "<magic-1@karto.example>"
    msg.set_content("Click here.")
    return msg


def plain_token(username: str, password: str) -> str:
    return base64.b64encode(f"\0{username}\0{password}".encode()).decode()


def test_greeting_names_the_relay_host(harness: RelayHarness) -> None:
    with smtplib.SMTP("127.0.0.1", harness.starttls_port, timeout=5) as client:
        code, features = client.ehlo()
    assert code == 250
    assert features.startswith(b"mail.smtp2go.com")
    assert b"STARTTLS" in features
    assert b"AUTH" not in features  # AUTH is offered only once the channel is encrypted


def test_auth_mechanisms_are_the_real_relays_in_its_order(harness: RelayHarness) -> None:
    """coder/coder#16499 shows mail.smtp2go.com:587 advertising "CRAM-MD5 PLAIN LOGIN"."""
    with harness.starttls() as client:
        assert client.esmtp_features["auth"] == " CRAM-MD5 PLAIN LOGIN"


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_starttls_auth_and_delivery(harness: RelayHarness, mechanism: str) -> None:
    harness.add_user("karto-app")
    harness.verify_sender(VERIFIED)
    with harness.starttls() as client:
        client.user, client.password = "karto-app", PASSWORD
        handler = getattr(client, f"auth_{mechanism.lower().replace('-', '_')}")
        code, reply = client.auth(mechanism, handler)
        assert (code, reply) == (235, b"Authentication succeeded")
        client.send_message(message())
    delivered = harness.mailbox.wait_for(timeout=2)
    assert delivered is not None
    assert delivered.smtp_user == "karto-app"
    assert delivered.mail_from == VERIFIED
    assert delivered.rcpt_tos == ["user@example.net"]
    assert delivered.subject == "Your magic link"
    assert delivered.from_header == f"Karto <{VERIFIED}>"
    assert delivered.message_id == "<magic-1@karto.example>"
    assert "Click here." in delivered.raw


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "LOGIN"])
def test_wrong_password_is_535_incorrect_authentication_data(
    harness: RelayHarness, mechanism: str
) -> None:
    harness.add_user("karto-app")
    with harness.starttls() as client, pytest.raises(smtplib.SMTPAuthenticationError) as error:
        client.user, client.password = "karto-app", PASSWORD + "-wrong"
        client.auth(mechanism, getattr(client, f"auth_{mechanism.lower().replace('-', '_')}"))
    assert (error.value.smtp_code, error.value.smtp_error) == (
        535,
        b"Incorrect authentication data",
    )


def test_cram_md5_answers_the_challenge_it_was_given(harness: RelayHarness) -> None:
    """RFC 2195: a digest of another challenge (a replay) is refused."""
    harness.add_user("karto-app")
    with harness.starttls() as client:
        code, challenge = client.docmd("AUTH", "CRAM-MD5")
        assert code == 334
        stale = b"<1.1@mail.smtp2go.com>"
        assert base64.b64decode(challenge) != stale
        digest = hmac.new(PASSWORD.encode(), stale, "md5").hexdigest()
        answer = base64.b64encode(f"karto-app {digest}".encode()).decode()
        assert client.docmd(answer) == (535, b"Incorrect authentication data")


def test_unknown_user_is_535(harness: RelayHarness) -> None:
    with harness.starttls() as client:
        code, reply = client.docmd("AUTH", "PLAIN " + plain_token("nobody-here", PASSWORD))
    assert (code, reply) == (535, b"Incorrect authentication data")


def test_blocked_user_is_refused(harness: RelayHarness) -> None:
    harness.add_user("karto-blocked", status="blocked")
    with harness.starttls() as client:
        code, reply = client.docmd("AUTH", "PLAIN " + plain_token("karto-blocked", PASSWORD))
    assert code == 535
    assert b"blocked" in reply


def test_sandbox_user_is_accepted_but_not_delivered(harness: RelayHarness) -> None:
    harness.add_user("karto-sandboxed", status="sandbox")
    harness.verify_sender(VERIFIED)
    with harness.starttls() as client:
        client.login("karto-sandboxed", PASSWORD)
        client.send_message(message())
    assert harness.mailbox.messages() == []
    [kept] = harness.mailbox.messages(include_rejected=True)
    assert (kept.status, kept.smtp_user) == ("rejected", "karto-sandboxed")


def test_auth_before_starttls_is_530(harness: RelayHarness) -> None:
    harness.add_user("karto-app")
    with smtplib.SMTP("127.0.0.1", harness.starttls_port, timeout=5) as client:
        client.ehlo()
        code, reply = client.docmd("AUTH", "PLAIN " + plain_token("karto-app", PASSWORD))
    assert (code, reply) == (530, b"5.7.0 Must issue a STARTTLS command first")


def test_mail_without_auth_is_relay_access_denied(harness: RelayHarness) -> None:
    harness.verify_sender(VERIFIED)
    with harness.starttls() as client:
        code, reply = client.mail(VERIFIED)
    assert (code, reply) == (550, b"Relay access denied - please authenticate")


def test_unverified_sender_is_refused_at_data_by_default(harness: RelayHarness) -> None:
    """The reply names the From header, which the relay reads only in DATA."""
    harness.add_user("karto-app")
    with harness.starttls() as client:
        client.login("karto-app", PASSWORD)
        assert client.mail(UNVERIFIED) == (250, b"OK")  # not a verdict on the sender
        assert client.rcpt("user@example.net") == (250, b"OK")
        code, reply = client.data(message(sender=UNVERIFIED).as_bytes())
    assert (code, reply) == (550, b"From header sender domain not verified")
    assert harness.mailbox.messages(include_rejected=True) == []


def test_the_switch_refuses_an_unverified_sender_at_mail_from(harness: RelayHarness) -> None:
    harness.options(relay_sender_check="mail_from")
    harness.add_user("karto-app")
    with harness.starttls() as client:
        client.login("karto-app", PASSWORD)
        code, reply = client.mail(UNVERIFIED)
        assert (code, reply) == (550, b"From header sender domain not verified")
        assert client.rset()[0] == 250
    assert harness.mailbox.messages(include_rejected=True) == []


@pytest.mark.parametrize("check", ["data", "mail_from"])
def test_unverified_from_header_is_refused_at_data(harness: RelayHarness, check: str) -> None:
    harness.options(relay_sender_check=check)
    harness.add_user("karto-app")
    harness.verify_sender(VERIFIED)
    with harness.starttls() as client:
        client.login("karto-app", PASSWORD)
        with pytest.raises(smtplib.SMTPDataError) as error:
            client.send_message(message(sender=UNVERIFIED), from_addr=VERIFIED)
    assert (error.value.smtp_code, error.value.smtp_error) == (
        550,
        b"From header sender domain not verified",
    )
    assert harness.mailbox.messages() == []


def test_verified_domain_allows_any_address_on_it(harness: RelayHarness) -> None:
    harness.add_user("karto-app")
    harness.account.add_domain("karto.example")
    harness.account.mark_dns_present("karto.example")
    assert harness.account.run_periodic_verification("karto.example")
    with harness.starttls() as client:
        client.login("karto-app", PASSWORD)
        client.send_message(message(sender="auth@karto.example"))
    assert harness.mailbox.wait_for(lambda m: m.mail_from == "auth@karto.example", 2)


def test_implicit_tls_port(harness: RelayHarness) -> None:
    harness.add_user("karto-app")
    harness.verify_sender(VERIFIED)
    client = smtplib.SMTP_SSL(timeout=5, context=harness.tls.client_context())
    client._host = RELAY_HOST
    with client:
        client.connect("127.0.0.1", harness.tls_port)
        client.ehlo()
        assert "starttls" not in client.esmtp_features
        client.login("karto-app", PASSWORD)
        client.send_message(message())
    assert harness.mailbox.wait_for(timeout=2) is not None


def test_certificate_verifies_with_the_sandbox_ca_only(harness: RelayHarness) -> None:
    port = harness.tls_port
    routes = RelayRoutes.from_env(harness.stack.env)
    assert routes.resolve(RELAY_HOST, 465, implicit_tls=True) == ("127.0.0.1", port)

    # System store plus the sandbox CA (what a client builds from KARTO_SMTP_CA_FILE).
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=harness.stack.env["KARTO_SMTP_CA_FILE"])
    for name in ("mail.smtp2go.com", "mail-eu.smtp2go.com", "localhost", "127.0.0.1"):
        with (
            socket.create_connection(routes.resolve(RELAY_HOST, 465, True), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3")

    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ssl.create_default_context().wrap_socket(raw, server_hostname=RELAY_HOST),
    ):
        pass

    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="smtp.example.com"),
    ):
        pass


def test_relay_survives_a_client_that_rejects_its_certificate(harness: RelayHarness) -> None:
    with smtplib.SMTP("127.0.0.1", harness.starttls_port, timeout=5) as client:
        client._host = RELAY_HOST
        client.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
    with harness.starttls() as client:
        assert client.noop()[0] == 250


def test_fixed_ports_are_reusable_after_stop() -> None:
    with Stack() as first:
        port = first.ports["starttls"]
    with Stack(ports={"starttls": port}) as again, smtplib.SMTP("127.0.0.1", port, timeout=5) as c:
        assert c.noop()[0] == 250
        assert again.ports["starttls"] == port
