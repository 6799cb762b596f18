"""The stack's per-project Auth emulator, sending its mail through the stack's own relay.

Each test starts from a project whose custom SMTP points at mail.smtp2go.com:587 with an
SMTP2GO user and a verified sender that the relay knows, so a sent mail lands in the
stack's mailbox, after the Auth mailer logged in the way gomail does (CRAM-MD5, which the
relay advertises).
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from karto_sandbox.stack import Stack
from karto_sandbox.supabase.auth import gomail_auth_mechanism
from karto_sandbox.supabase.models import SupabaseAccount

REF = "abcdefghijklmnopqrst"
RELAY_HOST = "mail.smtp2go.com"
SMTP_USER = "karto-auth"
SMTP_PASSWORD = "s3cret-Relay-pass"
SENDER = "karto.help@ro.ru"
USER_EMAIL = "ivan@example.com"


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage
    auth_mechanism: str | None


class Mail:
    """What the stack's relay delivered, parsed."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    @property
    def received(self) -> list[Received]:
        out = []
        for delivered in self.stack.mailbox.messages(include_rejected=True):
            parsed = email.message_from_string(delivered.raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(
                Received(delivered.mail_from, delivered.rcpt_tos, parsed, delivered.auth_mechanism)
            )
        return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def handler(stack: Stack) -> Mail:
    return Mail(stack)


@pytest.fixture
def account(stack: Stack) -> SupabaseAccount:
    stack.smtp2go_account.add_user(SMTP_USER, {}, SMTP_PASSWORD)
    stack.smtp2go_account.add_sender(SENDER)
    stack.smtp2go_account.verify_sender(SENDER)
    account = stack.supabase_account
    account.add_project(REF, "karto-production")
    account.update_auth_config(
        REF,
        {
            "smtp_host": RELAY_HOST,
            "smtp_port": "587",
            "smtp_user": SMTP_USER,
            "smtp_pass": SMTP_PASSWORD,
            "smtp_admin_email": SENDER,
            "smtp_sender_name": "KARTO",
            "rate_limit_email_sent": 30,
        },
    )
    account.add_user(REF, USER_EMAIL)
    return account


@pytest.fixture
def server(stack: Stack) -> str:
    return stack.auth_url


@pytest.fixture
def auth(server: str, account: SupabaseAccount) -> Iterator[httpx.Client]:
    headers = {"apikey": account.project_summary(REF)["anon_key"]}
    with httpx.Client(base_url=f"{server}/{REF}", headers=headers, timeout=20) as client:
        yield client


@pytest.mark.parametrize(
    ("offered", "picked"),
    [
        (["CRAM-MD5", "PLAIN", "LOGIN"], "CRAM-MD5"),
        (["PLAIN", "LOGIN"], "PLAIN"),
        (["LOGIN"], "LOGIN"),
        (["PLAIN"], "PLAIN"),
        (["XOAUTH2"], "PLAIN"),
    ],
)
def test_the_mailer_picks_auth_the_way_gomail_does(offered, picked) -> None:
    """gopkg.in/gomail.v2 smtp.go: CRAM-MD5, else LOGIN without PLAIN, else PLAIN."""
    assert gomail_auth_mechanism(offered) == picked


def link_in(message: EmailMessage) -> str:
    body = message.get_content()
    match = re.search(r'href="([^"]+)"', body)
    assert match, body
    return html.unescape(match.group(1))


# -- delivery ----------------------------------------------------------------------------------


def test_magic_link_is_delivered_through_the_configured_relay(
    auth: httpx.Client, stack: Stack, handler: Mail, account: SupabaseAccount
) -> None:
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL, "create_user": True})
    assert response.status_code == 200
    assert response.json() == {}
    [mail] = handler.received
    assert mail.auth_mechanism == "CRAM-MD5"  # the relay offers it, so gomail takes it
    assert mail.envelope_from == SENDER
    assert mail.recipients == [USER_EMAIL]
    assert mail.message["From"] == f"KARTO <{SENDER}>"
    assert mail.message["To"] == USER_EMAIL
    assert mail.message["Subject"] == "Your Magic Link"
    assert re.fullmatch(r"<[^@>]+@ro\.ru>", mail.message["Message-ID"])
    assert mail.message.get_content_type() == "text/html"
    link = link_in(mail.message)
    pattern = (
        rf"http://127\.0\.0\.1:{stack.ports['auth']}/{REF}/auth/v1/verify"
        r"\?token=[0-9a-f]{56}&type=magiclink&redirect_to=http://localhost:3000"
    )
    assert re.fullmatch(pattern, link), link
    [send] = [e for e in account.auth_log(REF) if e.get("event") == "mail.send"]
    assert {k: send[k] for k in ("msg", "mail_type", "mail_to", "smtp_host", "smtp_port")} == {
        "msg": "mail.send.success",
        "mail_type": "magic_link",
        "mail_to": USER_EMAIL,
        "smtp_host": RELAY_HOST,
        "smtp_port": 587,
    }


def test_the_link_signs_the_user_in_once(auth: httpx.Client, handler: Mail) -> None:
    auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).raise_for_status()
    link = link_in(handler.received[0].message)
    with httpx.Client(timeout=10) as browser:
        first = browser.get(link)
        second = browser.get(link)
    assert first.status_code == 303
    location = urlsplit(first.headers["Location"])
    assert (location.scheme, location.netloc) == ("http", "localhost:3000")
    fragment = parse_qs(location.fragment)
    assert fragment["token_type"] == ["bearer"]
    assert fragment["type"] == ["magiclink"]
    assert fragment["access_token"][0].count(".") == 2
    assert second.status_code == 303
    assert parse_qs(urlsplit(second.headers["Location"]).fragment)["error_code"] == ["otp_expired"]


def test_a_new_address_gets_the_signup_confirmation(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    response = auth.post("/auth/v1/otp", json={"email": "New.Person@Example.com"})
    assert response.status_code == 200
    [mail] = handler.received
    assert mail.recipients == ["new.person@example.com"]
    assert mail.message["Subject"] == "Confirm Your Signup"
    assert "&type=signup&" in link_in(mail.message)
    user = account.get_user(REF, "new.person@example.com")
    assert user is not None and user["confirmed_at"] is None


def test_autoconfirm_sends_the_magic_link_to_a_new_address(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    account.update_auth_config(REF, {"mailer_autoconfirm": True})
    auth.post("/auth/v1/otp", json={"email": "fresh@example.com"}).raise_for_status()
    assert handler.received[0].message["Subject"] == "Your Magic Link"


@pytest.mark.parametrize("port", ["465", "8465", "443", "2525", "25"])
def test_every_smtp2go_port_reaches_the_relay(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount, port: str
) -> None:
    account.update_auth_config(REF, {"smtp_port": port})
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 200
    assert handler.received[0].message["Subject"] == "Your Magic Link"


def test_sender_name_is_optional(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    account.update_auth_config(REF, {"smtp_sender_name": ""})
    auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).raise_for_status()
    assert handler.received[0].message["From"] == SENDER


def test_service_role_key_and_query_apikey_are_accepted(
    server: str, account: SupabaseAccount
) -> None:
    keys = account.project_summary(REF)
    url = f"{server}/{REF}/auth/v1/health"
    assert httpx.get(url, headers={"apikey": keys["service_role_key"]}).status_code == 200
    assert httpx.get(url, params={"apikey": keys["anon_key"]}).status_code == 200


# -- failures ----------------------------------------------------------------------------------


def test_wrong_smtp_password_is_500_and_logged_without_the_password(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    account.update_auth_config(REF, {"smtp_pass": "wrong-password-123"})
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL})
    assert response.status_code == 500
    body = response.json()
    assert body == {
        "code": 500,
        "error_code": "unexpected_failure",
        "msg": "Error sending magic link email",
        "error_id": body["error_id"],
    }
    assert response.headers["x-sb-error-code"] == "unexpected_failure"
    assert handler.received == []
    log = account.auth_log(REF)
    [send] = [e for e in log if e.get("event") == "mail.send"]
    assert send["msg"] == "mail.send.failed"
    assert send["error"] == "535 Incorrect authentication data"
    [request] = [e for e in log if e.get("component") == "api"]
    assert request["status"] == 500
    assert request["request_id"] == body["error_id"]
    assert request["msg"] == "500: Error sending magic link email"
    assert "535 Incorrect authentication data" in request["error"]
    dumped = json.dumps(log)
    assert "wrong-password-123" not in dumped
    assert SMTP_PASSWORD not in dumped


def test_a_failed_send_does_not_start_the_frequency_timer(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    account.update_auth_config(REF, {"smtp_pass": "wrong"})
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 500
    account.update_auth_config(REF, {"smtp_pass": SMTP_PASSWORD})
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 200


def test_a_certificate_for_another_name_fails_the_send(
    auth: httpx.Client, account: SupabaseAccount
) -> None:
    # The relay rule sends every mail*.smtp2go.com to the relay, whose certificate names
    # only SMTP2GO's real relay hosts.
    account.update_auth_config(REF, {"smtp_host": "mail-nowhere.smtp2go.com"})
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL})
    assert response.status_code == 500
    [send] = [e for e in account.auth_log(REF) if e.get("event") == "mail.send"]
    assert send["error"].startswith("tls: failed to verify certificate: ")
    assert "mail-nowhere.smtp2go.com" in send["error"]


def test_unreachable_relay_fails_the_send(auth: httpx.Client, account: SupabaseAccount) -> None:
    account.update_auth_config(REF, {"smtp_host": "127.0.0.1", "smtp_port": str(free_port())})
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 500
    [send] = [e for e in account.auth_log(REF) if e.get("event") == "mail.send"]
    assert send["error"].endswith("connect: connection refused")


def test_smtp_off_means_no_delivery_except_to_team_members_and_a_log(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    account.update_auth_config(REF, {"smtp_host": ""})
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL})
    assert response.status_code == 400
    assert response.json() == {
        "code": 400,
        "error_code": "email_address_not_authorized",
        "msg": f'Email address "{USER_EMAIL}" cannot be used as it is not authorized',
    }
    [entry] = account.auth_log(REF)
    assert entry["status"] == 400
    assert entry["error"] == (
        "custom SMTP is not configured; the built-in mailer only sends to team members"
    )
    account.add_team_member("owner@karto.example")
    account.add_user(REF, "owner@karto.example")
    assert auth.post("/auth/v1/otp", json={"email": "owner+test@karto.example"}).status_code == 200
    assert handler.received == []
    sends = [e for e in account.auth_log(REF) if e.get("event") == "mail.send"]
    assert sends[0]["note"] == "built-in mailer: the sandbox does not deliver this message"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "No API key found in request"),
        ({"apikey": "not-a-key"}, "Invalid API key"),
        ({"Authorization": "Bearer not-a-key"}, "No API key found in request"),
    ],
)
def test_bad_or_missing_apikey_is_401(
    server: str, account: SupabaseAccount, headers: dict, message: str
) -> None:
    response = httpx.post(
        f"{server}/{REF}/auth/v1/otp", json={"email": USER_EMAIL}, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["message"] == message
    assert set(response.json()) == {"message", "hint"}


def test_a_key_of_another_project_is_invalid(server: str, account: SupabaseAccount) -> None:
    other = account.add_project("zyxwvutsrqponmlkjihg", "karto-staging")
    response = httpx.get(f"{server}/{REF}/auth/v1/health", headers={"apikey": other["anon_key"]})
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid API key"


def test_unknown_project_is_404(server: str, account: SupabaseAccount) -> None:
    response = httpx.get(f"{server}/zzzzzzzzzzzzzzzzzzzz/auth/v1/health")
    assert response.status_code == 404
    assert response.json() == {"message": "no Route matched with those values"}


def test_max_frequency_per_address(auth: httpx.Client, handler: Mail, stack: Stack) -> None:
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 200
    stack.clock.advance(15.5)
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL})
    assert response.status_code == 429
    assert response.json() == {
        "code": 429,
        "error_code": "over_email_send_rate_limit",
        "msg": "For security purposes, you can only request this after 44 seconds.",
    }
    stack.clock.advance(45)
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 200
    assert len(handler.received) == 2


def test_hourly_email_rate_limit(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount, stack: Stack
) -> None:
    account.update_auth_config(REF, {"rate_limit_email_sent": 2, "smtp_max_frequency": 0})
    for address in ("a@example.com", "b@example.com"):
        account.add_user(REF, address)
        assert auth.post("/auth/v1/otp", json={"email": address}).status_code == 200
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL})
    assert response.status_code == 429
    assert response.json() == {
        "code": 429,
        "error_code": "over_email_send_rate_limit",
        "msg": "email rate limit exceeded",
    }
    stack.clock.advance(3600)
    assert auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).status_code == 200
    assert len(handler.received) == 3


def test_new_error_shape_with_api_version_header(auth: httpx.Client) -> None:
    response = auth.post(
        "/auth/v1/otp",
        json={"email": "not-an-address"},
        headers={"X-Supabase-Api-Version": "2024-01-01"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed",
        "message": "Unable to validate email address: invalid format",
    }
    assert response.headers["X-Supabase-Api-Version"] == "2024-01-01"


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (
            {"email": "nobody@example.com", "create_user": False},
            422,
            "otp_disabled",
            "Signups not allowed for otp",
        ),
        ({}, 400, "validation_failed", "One of email or phone must be set"),
        (
            {"email": USER_EMAIL, "phone": "+15555550100"},
            400,
            "validation_failed",
            "Only an email address or phone number should be provided",
        ),
        ({"phone": "+15555550100"}, 400, "phone_provider_disabled", "Unsupported phone provider"),
        (
            {"email": "x@"},
            400,
            "validation_failed",
            "Unable to validate email address: invalid format",
        ),
    ],
)
def test_otp_request_validation(
    auth: httpx.Client, handler: Mail, body: dict, status: int, code: str, message: str
) -> None:
    response = auth.post("/auth/v1/otp", json=body)
    assert response.status_code == status
    assert response.json() == {"code": status, "error_code": code, "msg": message}
    assert handler.received == []


def test_email_logins_disabled(auth: httpx.Client, account: SupabaseAccount) -> None:
    account.update_auth_config(REF, {"external_email_enabled": False})
    response = auth.post("/auth/v1/otp", json={"email": USER_EMAIL})
    assert (response.status_code, response.json()["error_code"]) == (400, "email_provider_disabled")


def test_health(auth: httpx.Client) -> None:
    response = auth.get("/auth/v1/health")
    assert response.status_code == 200
    assert response.json()["name"] == "GoTrue"


def test_request_log_keeps_no_keys(
    auth: httpx.Client, server: str, account: SupabaseAccount
) -> None:
    auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).raise_for_status()
    entries = httpx.get(f"{server}/_sandbox/requests").json()
    assert [(e["service"], e["path"], e["status"]) for e in entries] == [
        ("supabase-auth", f"/{REF}/auth/v1/otp", 200)
    ]
    assert account.project_summary(REF)["anon_key"] not in json.dumps(entries)


# -- the project's subjects and templates --------------------------------------------------
EXAMPLE_TEMPLATES = Path(__file__).resolve().parents[2] / "examples" / "templates"
RUSSIAN = {
    "mailer_subjects_confirmation": "Подтвердите регистрацию в KARTO",
    "mailer_templates_confirmation_content": (EXAMPLE_TEMPLATES / "confirmation.html").read_text(
        encoding="utf-8"
    ),
    "mailer_subjects_magic_link": "Ваша ссылка для входа в KARTO",
    "mailer_templates_magic_link_content": (EXAMPLE_TEMPLATES / "magic_link.html").read_text(
        encoding="utf-8"
    ),
    "site_url": "https://karto.app",
}


def events(account: SupabaseAccount, name: str) -> list[dict]:
    return [entry for entry in account.auth_log(REF) if entry.get("event") == name]


def test_the_project_subject_and_template_arrive_rendered(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount, stack: Stack
) -> None:
    account.update_auth_config(REF, RUSSIAN)
    signup = auth.post("/auth/v1/otp", json={"email": "anna@example.com", "data": {"name": "Анна"}})
    assert signup.status_code == 200
    auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).raise_for_status()
    confirmation, magic_link = (received.message for received in handler.received)

    assert confirmation["Subject"] == "Подтвердите регистрацию в KARTO"
    body = confirmation.get_content()
    new_user = account.get_user(REF, "anna@example.com")
    assert new_user is not None
    link = (
        f"http://127.0.0.1:{stack.ports['auth']}/{REF}/auth/v1/verify"
        f"?token={new_user['confirmation_token']}&amp;type=signup&amp;"
        "redirect_to=https://karto.app"
    )
    assert f'<p><a href="{link}">Подтвердить адрес</a></p>' in body
    assert "<p>Здравствуйте, Анна!</p>" in body
    assert "подтвердите адрес anna@example.com:</p>" in body
    assert re.search(r"<strong>\d{6}</strong>", body)
    assert "{{" not in body

    assert magic_link["Subject"] == "Ваша ссылка для входа в KARTO"
    user = account.get_user(REF, USER_EMAIL)
    assert user is not None
    assert (
        '<a href="https://karto.app/auth/confirm?token_hash='
        f'{user["recovery_token"]}&type=email">Войти в KARTO</a>'
    ) in magic_link.get_content()
    assert events(account, "mail.send")[-1]["msg"] == "mail.send.success"


def test_user_metadata_is_escaped_like_any_text(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount
) -> None:
    account.update_auth_config(
        REF, {"mailer_templates_confirmation_content": "<p>{{ .Data.name }} {{ .ConfirmationURL }}"}
    )
    data = {"name": '<b>"Ann" & Bo</b>'}
    auth.post("/auth/v1/otp", json={"email": "ann@example.com", "data": data}).raise_for_status()
    body = handler.received[0].message.get_content()
    assert body.startswith("<p>&lt;b&gt;&#34;Ann&#34; &amp; Bo&lt;/b&gt; http://")


@pytest.mark.parametrize(
    ("setting", "event"),
    [
        ("mailer_templates_confirmation_content", "templatemailer_template_body_parse_error"),
        ("mailer_subjects_confirmation", "templatemailer_template_subject_parse_error"),
    ],
)
def test_a_template_that_does_not_parse_sends_auths_default_and_logs_it(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount, setting: str, event: str
) -> None:
    account.update_auth_config(REF, {**RUSSIAN, setting: "<p>{{ if .Token }}</p>\n"})
    response = auth.post("/auth/v1/otp", json={"email": "anna@example.com"})
    assert response.status_code == 200
    [mail] = handler.received
    # Auth falls back to its built-in subject *and* body, whichever failed.
    assert mail.message["Subject"] == "Confirm your email address"
    assert "<h2>Confirm your email address</h2>" in mail.message.get_content()
    [logged] = events(account, event)
    assert logged["mail_type"] == "confirmation"
    assert logged["level"] == "error"
    assert logged["error"].startswith('templatemailer: template type "confirmation": template: ')
    assert logged["error"].endswith(":2: unexpected EOF")


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ('<a href="{{ .ConfirmationURL }}>Confirm</a>', "ends in a non-text context"),
        ("{{ .Data.missing.x }}{{ index .Data.items 3 }}", "error calling index"),
        ('{{ define "x" }}hi{{ end }}{{ template "x" }}', "sandbox: {{template}}"),
    ],
)
def test_a_template_that_fails_to_run_sends_nothing(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount, template: str, error: str
) -> None:
    account.update_auth_config(REF, {"mailer_templates_confirmation_content": template})
    response = auth.post("/auth/v1/otp", json={"email": "anna@example.com"})
    assert response.status_code == 500
    assert response.json()["msg"] == "Error sending confirmation email"
    assert handler.received == []
    assert events(account, "mail.send") == []
    [request] = [e for e in account.auth_log(REF) if e.get("path") == "/otp"]
    assert error in request["error"]


def test_data_must_be_an_object(auth: httpx.Client) -> None:
    response = auth.post("/auth/v1/otp", json={"email": "anna@example.com", "data": [1]})
    assert response.status_code == 400
    assert response.json()["error_code"] == "bad_json"


def test_the_mailbox_shows_the_decoded_body(
    auth: httpx.Client, handler: Mail, account: SupabaseAccount, stack: Stack
) -> None:
    account.update_auth_config(REF, RUSSIAN)
    auth.post("/auth/v1/otp", json={"email": USER_EMAIL}).raise_for_status()
    listed = httpx.get(f"{stack.smtp2go_url}/_sandbox/mail", timeout=10).json()
    [message] = listed["messages"]
    assert message["subject"] == "Ваша ссылка для входа в KARTO"
    assert "Content-Transfer-Encoding: quoted-printable" in message["raw"]
    assert message["body"].startswith("<h2>Вход в KARTO</h2>\n")
