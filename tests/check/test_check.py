"""`karto-smtp check` against the sandbox: real SMTP on loopback, real HTTP, exact rows."""

from __future__ import annotations

import socket

import pytest

from karto_smtp.check.relay_map import CA_FILE_ENV, RELAY_ENV
from tests.check.conftest import (
    OTHER_PASSWORD,
    OWN_DOMAIN,
    OWN_SENDER,
    PASSWORD,
    PASSWORD_ENV,
    PROJECT,
    REF,
    SENDER,
    Live,
    explicit_config,
    relay_config,
)

RELAY = "karto @ mail.smtp2go.com:587"
ACCOUNT = "SMTP2GO account"
STATUS_ORDER = [
    "reach",
    "tls",
    "auth",
    "sender",
    "send",
    "supabase_smtp",
    "supabase_mail",
    "delivery",
    "dmarc",
    "spf",
    "alignment",
    "dns",
    "quota",
    "bounces",
    "spam",
]


def return_path(live: Live) -> str:
    [entry] = live.smtp2go.post("/domain/view", json={}).json()["data"]["domains"]
    return f"{entry['domain']['rpath_selector']}.{OWN_DOMAIN}"


def statuses(result) -> dict[str, str]:
    return {row["link"]: row["status"] for row in result.json()["check"]["rows"]}


def test_happy_path_generated_password_mails_through_supabase(live: Live) -> None:
    config = live.config(relay_config(password="generate", domain=OWN_DOMAIN))
    live.apply(config)
    live.publish_domain()
    live.clear_requests()

    result = live.check(config, "--via-supabase", "user@example.com")

    assert result.exit_code == 0, result.stdout
    # The sender's row and the domain rows share one read of SMTP2GO's domains.
    assert [r["path"] for r in live.requests()].count("/v3/domain/view") == 1
    document = result.json()
    assert (document["format_version"], document["command"], document["status"]) == (
        "2.0",
        "check",
        "ok",
    )
    assert document["check"]["ok"] is True
    assert [r["link"] for r in document["check"]["rows"]] == STATUS_ORDER
    assert set(document["check"]["rows"][0]) == {
        "link",
        "subject",
        "status",
        "ms",
        "detail",
        "fix",
    }
    assert statuses(result) == {
        "reach": "pass",
        "tls": "pass",
        "auth": "skip",
        "sender": "pass",
        "send": "skip",
        "supabase_smtp": "pass",
        "supabase_mail": "pass",
        "delivery": "pass",
        "dmarc": "pass",
        "spf": "pass",
        "alignment": "pass",
        "dns": "pass",
        "quota": "pass",
        "bounces": "pass",
        "spam": "pass",
    }
    rows = result.rows()
    assert rows[("delivery", PROJECT)]["detail"] == (
        "Supabase's mail to user@example.com: delivered (250 2.0.0 OK: message accepted for "
        "delivery)"
    )
    assert rows[("alignment", PROJECT)]["detail"] == (
        f"aligned: mail from {OWN_SENDER} passes DMARC: SMTP2GO signs DKIM as d={OWN_DOMAIN} "
        f"and its return path {return_path(live)} passes SPF"
    )
    assert rows[("dmarc", PROJECT)]["detail"] == (
        f"_dmarc.{OWN_DOMAIN}: v=DMARC1; p=reject; rua=mailto:dmarc@{OWN_DOMAIN} "
        f"(policy for {OWN_DOMAIN}: reject)"
    )
    assert rows[("quota", ACCOUNT)]["detail"].startswith("1 of 1000 emails this cycle (0%, ")
    assert rows[("auth", RELAY)]["detail"] == (
        "skipped: the password is `generate`: SMTP2GO never returns it and Supabase returns "
        "only an HMAC digest of it, so AUTH cannot be tried from here; SMTP2GO lists karto with "
        "status allowed; the Supabase mail row tests the password Supabase holds"
    )
    assert rows[("sender", PROJECT)]["detail"] == (
        f"{OWN_SENDER} is a verified sender per SMTP2GO's API (MAIL FROM not tried: it needs AUTH)"
    )
    assert rows[("supabase_smtp", PROJECT)]["detail"] == (
        f"custom SMTP on, mail.smtp2go.com:587 as karto, from {OWN_SENDER}; it holds the "
        "password karto-smtp handed over from SMTP2GO user karto (its digest matches the "
        "hand-off record)"
    )
    assert rows[("supabase_mail", PROJECT)]["detail"].startswith("Auth answered 200")
    message = live.sandbox.mailbox.wait_for(lambda m: "user@example.com" in m.rcpt_tos)
    assert message is not None
    assert message.from_header == f"KARTO <{OWN_SENDER}>"
    assert message.smtp_user == "karto"
    assert message.subject == "Confirm Your Signup"


def test_a_project_that_lost_the_generated_password_fails_through_the_hand_off_record(
    live: Live,
) -> None:
    config = live.config(relay_config(password="generate"))
    live.apply(config)
    live.patch_auth({"smtp_pass": "typed-in-the-dashboard"})
    result = live.check(config)
    assert result.exit_code == 1
    row = result.rows()[("supabase_smtp", PROJECT)]
    assert row["status"] == "fail"
    assert row["detail"].endswith(
        "it does not hold the current password of SMTP2GO user karto (the hand-off record on "
        "SMTP2GO names another)"
    )
    assert row["fix"].startswith("run `karto-smtp plan`: it proposes one new password")


def test_a_hand_made_setup_without_a_record_is_a_warning_that_names_the_take_over(
    live: Live,
) -> None:
    config = live.config(relay_config(password="generate"))
    live.apply(config)
    live.patch_smtp_user(username="karto", description="made by hand")
    result = live.check(config)
    row = result.rows()[("supabase_smtp", PROJECT)]
    assert row["status"] == "warn"
    assert "karto-smtp has not handed this password over" in row["detail"]


def test_generated_password_still_finds_a_blocked_user_and_an_unverified_sender(
    live: Live,
) -> None:
    config = live.config(relay_config(password="generate"))
    live.apply(config)
    live.patch_smtp_user(username="karto", status="blocked")

    result = live.check(config)

    assert result.exit_code == 1
    rows = result.rows()
    assert rows[("auth", RELAY)] == {
        "link": "auth",
        "subject": RELAY,
        "status": "fail",
        "ms": None,
        "detail": "SMTP2GO lists karto with status blocked (AUTH not tried: generated password)",
        "fix": "karto was blocked outside karto.yaml, which says status: allowed: "
        "`karto-smtp apply` restores it",
    }
    sender = rows[("sender", PROJECT)]
    assert sender["status"] == "fail"
    assert sender["fix"] == (
        f"{SENDER} is declared under smtp2go.senders but not verified yet: click the link "
        "SMTP2GO emailed to it (SMTP2GO: Sending > Verified Senders resends it)"
    )


def test_happy_path_known_password_sends_a_test_message(live: Live) -> None:
    config = live.config(relay_config(domain=OWN_DOMAIN))
    live.apply(config)
    live.publish_domain()

    result = live.check(config, "--send-test-to", "ops@example.com")

    assert result.exit_code == 0, result.stdout
    assert statuses(result) == {
        "reach": "pass",
        "tls": "pass",
        "auth": "pass",
        "sender": "pass",
        "send": "pass",
        "supabase_smtp": "pass",
        "supabase_mail": "skip",
        "delivery": "pass",
        "dmarc": "pass",
        "spf": "pass",
        "alignment": "pass",
        "dns": "pass",
        "quota": "pass",
        "bounces": "pass",
        "spam": "pass",
    }
    rows = result.rows()
    assert rows[("tls", RELAY)]["detail"].startswith(
        "STARTTLS, TLSv1.3, certificate verified for mail.smtp2go.com"
    )
    # The relay offers CRAM-MD5 PLAIN LOGIN, as SMTP2GO's does; Supabase's mailer takes CRAM-MD5.
    assert rows[("auth", RELAY)]["detail"] == "CRAM-MD5 as karto: 235 Authentication succeeded"
    assert rows[("sender", PROJECT)]["detail"] == (
        f"MAIL FROM:<{OWN_SENDER}>: 250 OK; the test message from {OWN_SENDER} was accepted at DATA"
    )
    assert rows[("supabase_smtp", PROJECT)]["detail"] == (
        f"custom SMTP on, mail.smtp2go.com:587 as karto, from {OWN_SENDER}; "
        f"password matches env({PASSWORD_ENV}) (HMAC digest)"
    )
    [message] = live.sandbox.mailbox.messages()
    assert message.rcpt_tos == ["ops@example.com"]
    assert message.from_header == f"KARTO <{OWN_SENDER}>"
    assert rows[("delivery", PROJECT)]["detail"] == (
        "the test message to ops@example.com: delivered (250 2.0.0 OK: message accepted for "
        "delivery)"
    )
    assert f"Message-ID {message.message_id}" in rows[("send", PROJECT)]["detail"]


def test_nothing_is_sent_unless_asked(live: Live) -> None:
    config = live.config(relay_config(domain=OWN_DOMAIN))
    live.apply(config)
    live.publish_domain()

    result = live.check(config)

    assert result.exit_code == 0
    assert live.sandbox.mailbox.messages(include_rejected=True) == []
    rows = result.rows()
    assert rows[("send", PROJECT)]["detail"] == (
        "not asked: --send-test-to ADDRESS sends a test message"
    )


def _closed_port() -> tuple[socket.socket, int]:
    """A bound socket that never listens: connecting to it is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def test_blocked_port_names_the_port_that_works(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    closed, port = _closed_port()
    # A rule for one port wins over the sandbox's rule for every port.
    rules = f"mail.smtp2go.com:587=127.0.0.1:{port},{live.env[RELAY_ENV]}"
    monkeypatch.setenv(RELAY_ENV, rules)
    try:
        result = live.check(config)
    finally:
        closed.close()

    assert result.exit_code == 1
    reach = result.rows()[("reach", RELAY)]
    assert reach["status"] == "fail"
    assert reach["detail"] == (
        "mail.smtp2go.com:587: connection refused; other SMTP2GO ports that answer: "
        "2525, 465, 8025, 25, 8465, 443, 80"
    )
    assert reach["fix"] == (
        "port 587 is blocked from here; 2525 works: set relay port: 2525 "
        "(also open: 465, 8025, 25, 8465, 443, 80)"
    )
    # The rest of the path is still proved, over the port that works.
    rows = result.rows()
    assert rows[("tls", RELAY)]["status"] == "pass"
    assert rows[("tls", RELAY)]["detail"].startswith("on port 2525: STARTTLS, TLSv1.3")
    assert rows[("auth", RELAY)]["status"] == "pass"
    assert rows[("sender", PROJECT)]["status"] == "pass"


def test_port_dropping_packets_times_out_and_every_port_is_reported(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    from karto_sandbox.relay.blocked import BlockedPort

    config = live.config(relay_config())
    blocked = BlockedPort("timeout")
    monkeypatch.setenv(RELAY_ENV, f"mail.smtp2go.com=127.0.0.1:{blocked.port}")
    try:
        result = live.check(config, "--step-timeout", "0.3")
    finally:
        blocked.close()

    assert result.exit_code == 1
    rows = result.rows()
    assert rows[("reach", RELAY)]["detail"] == (
        "mail.smtp2go.com:587: timed out after 0.3 s; not answering: 2525, 465, 8025, 25, 8465, 443, 80"
    )
    assert rows[("reach", RELAY)]["fix"] == (
        "no SMTP2GO port answers from here (port 587 and every alternative): check the relay "
        "host name and this network's outbound firewall"
    )
    assert [rows[(link, RELAY)]["status"] for link in ("tls", "auth")] == ["skip", "skip"]


def test_wrong_password(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    monkeypatch.setenv(PASSWORD_ENV, OTHER_PASSWORD)

    result = live.check(config)

    assert result.exit_code == 1
    rows = result.rows()
    auth = rows[("auth", RELAY)]
    assert auth["status"] == "fail"
    assert auth["detail"] == "Authentication failed: 535 Incorrect authentication data"
    assert auth["fix"] == (
        "535 means a wrong SMTP user or password. The usual causes: an email address used as "
        "the SMTP user instead of the SMTP2GO username, or whitespace pasted into / a truncated "
        f"copy of the password in env({PASSWORD_ENV}). If env({PASSWORD_ENV}) is right, "
        "`karto-smtp apply --rotate-password karto` sets it on SMTP2GO (and Supabase) again; if "
        f"it was changed in SMTP2GO on purpose, put the new one in env({PASSWORD_ENV}) and run "
        "`karto-smtp apply`"
    )
    assert rows[("sender", PROJECT)]["status"] == "skip"
    smtp = rows[("supabase_smtp", PROJECT)]
    assert smtp["status"] == "fail"
    assert smtp["fix"] == (
        f"put the SMTP2GO user's current password in env({PASSWORD_ENV}), then run "
        "`karto-smtp apply`"
    )


def test_email_used_as_username(live: Live) -> None:
    live.add_smtp_user("karto", PASSWORD)
    config = live.config(explicit_config(user=SENDER))

    result = live.check(config)

    assert result.exit_code == 1
    relay = f"{SENDER} @ mail.smtp2go.com:587"
    auth = result.rows()[("auth", relay)]
    assert auth["detail"] == "Authentication failed: 535 Incorrect authentication data"
    assert auth["fix"] == (
        f"the SMTP user '{SENDER}' looks like an email address: SMTP2GO logs in with an SMTP "
        "user's username (SMTP2GO: Sending > SMTP Users), not your account email or a sender "
        "address; declare that username"
    )
    # The lint rule says the same before any connection; it does not stop the check.
    assert "looks like an email address" in result.stderr


def test_unverified_sender_not_declared(live: Live) -> None:
    live.apply(live.config(relay_config()))
    live.verify_sender()
    other = "noreply@karto.example"
    # An admin_email that SMTP2GO does not know (lint flags it too; check still runs).
    config = live.config(relay_config(sender=other))
    live.patch_auth({"smtp_admin_email": other})

    result = live.check(config)

    assert result.exit_code == 1
    sender = result.rows()[("sender", PROJECT)]
    assert sender["status"] == "fail"
    # MAIL FROM is accepted (SMTP2GO reads the From header only in DATA): the API decides.
    assert sender["detail"] == (
        f"{other} is not a verified sender per SMTP2GO's API: its mail is refused with 550 "
        f"From header sender domain not verified; MAIL FROM:<{other}>: 250 OK (then RSET)"
    )
    assert sender["fix"] == (
        f"verify {other} in SMTP2GO: Sending > Verified Senders, or declare it under "
        "smtp2go.senders and apply"
    )


def test_a_relay_that_refuses_the_sender_at_mail_from(live: Live) -> None:
    live.admin.post(
        "/_sandbox/options", json={"relay_sender_check": "mail_from"}
    ).raise_for_status()
    live.apply(live.config(relay_config()))
    other = "noreply@karto.example"
    config = live.config(relay_config(sender=other))
    live.patch_auth({"smtp_admin_email": other})

    result = live.check(config, "--send-test-to", "ops@example.com")

    rows = result.rows()
    assert rows[("sender", PROJECT)]["status"] == "fail"
    assert rows[("sender", PROJECT)]["detail"] == (
        f"MAIL FROM:<{other}>: 550 From header sender domain not verified"
    )
    assert rows[("send", PROJECT)]["detail"] == "skipped: the sender was refused"


def test_a_250_to_mail_from_alone_never_proves_the_sender(live: Live) -> None:
    # No SMTP2GO account in karto.yaml, so no API to ask, and no test message.
    live.add_smtp_user("karto", PASSWORD)
    config = live.config(explicit_config(user="karto"))

    result = live.check(config)

    sender = result.rows()[("sender", PROJECT)]
    assert sender == {
        "link": "sender",
        "subject": PROJECT,
        "status": "skip",
        "ms": None,
        "detail": f"not proven: MAIL FROM:<{SENDER}>: 250 OK (then RSET), but SMTP2GO refuses "
        "an unverified sender only in DATA, once it has read the From header; --send-test-to "
        "ADDRESS sends a message that proves it",
        "fix": None,
    }


def test_declared_sender_awaiting_verification(live: Live) -> None:
    config = live.config(relay_config())
    live.apply(config)

    result = live.check(config, "--send-test-to", "ops@example.com")

    assert result.exit_code == 1
    rows = result.rows()
    assert rows[("sender", PROJECT)]["fix"] == (
        f"{SENDER} is declared under smtp2go.senders but not verified yet: click the link "
        "SMTP2GO emailed to it (SMTP2GO: Sending > Verified Senders resends it)"
    )
    assert rows[("sender", PROJECT)]["detail"] == (
        f"MAIL FROM:<{SENDER}>: 250 OK, but the test message was refused at DATA: 550 From "
        "header sender domain not verified"
    )
    send = rows[("send", PROJECT)]
    assert send["status"] == "fail"
    assert send["detail"].startswith(f"not sent to ops@example.com from KARTO <{SENDER}>, ")
    assert send["detail"].endswith(": DATA: 550 From header sender domain not verified")
    assert send["fix"] == rows[("sender", PROJECT)]["fix"]
    assert live.sandbox.mailbox.messages(include_rejected=True) == []
    assert live.sandbox.mailbox.messages(include_rejected=True) == []


def test_blocked_smtp_user(live: Live) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    live.patch_smtp_user(username="karto", status="blocked")

    result = live.check(config)

    assert result.exit_code == 1
    auth = result.rows()[("auth", RELAY)]
    assert auth["status"] == "fail"
    assert auth["detail"] == (
        "SMTP user is blocked: 535 5.7.8 SMTP user is blocked: sending is not allowed"
    )
    assert auth["fix"] == (
        "karto was blocked outside karto.yaml, which says status: allowed: `karto-smtp apply` "
        "restores it"
    )


def test_supabase_smtp_off(live: Live) -> None:
    live.add_smtp_user("karto", PASSWORD)
    live.add_sender()
    live.verify_sender()
    config = live.config(relay_config())

    result = live.check(config, "--via-supabase", "user@example.com")

    assert result.exit_code == 1
    rows = result.rows()
    assert [rows[(link, RELAY)]["status"] for link in ("reach", "tls", "auth")] == ["pass"] * 3
    smtp = rows[("supabase_smtp", PROJECT)]
    assert smtp["status"] == "fail"
    assert smtp["detail"] == (
        "custom SMTP is off: Auth sends with Supabase's built-in mailer (team addresses only, "
        "a few mails an hour)"
    )
    assert smtp["fix"] == "`karto-smtp apply` turns custom SMTP on with karto.yaml's settings"
    assert rows[("supabase_mail", PROJECT)]["detail"] == (
        "skipped: custom SMTP is off, so Auth would not use the relay"
    )


def test_supabase_holds_a_stale_password_after_rotation_in_smtp2go(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    # Someone rotates the password in SMTP2GO and updates the secret, but not Supabase.
    live.patch_smtp_user(username="karto", email_password=OTHER_PASSWORD)
    monkeypatch.setenv(PASSWORD_ENV, OTHER_PASSWORD)

    result = live.check(config, "--via-supabase", "user@example.com")

    assert result.exit_code == 1
    rows = result.rows()
    assert rows[("auth", RELAY)]["status"] == "pass"
    smtp = rows[("supabase_smtp", PROJECT)]
    assert smtp["status"] == "fail"
    assert smtp["detail"] == (
        f"Supabase holds a stale password: it differs from env({PASSWORD_ENV}), which SMTP2GO "
        "just accepted (changed in SMTP2GO, or in karto.yaml, since the last apply?)"
    )
    assert smtp["fix"] == "`karto-smtp apply` sends the current password to Supabase"
    mail = rows[("supabase_mail", PROJECT)]
    assert mail["status"] == "fail"
    assert mail["detail"] == (
        "Auth answered 500: Error sending confirmation email (unexpected_failure)"
    )

    # The fix works: apply, then the same check passes the whole mail path.
    live.apply(config)
    again = live.check(config, "--via-supabase", "other@example.com")
    not_passed = {
        r["link"] for r in again.json()["check"]["rows"] if r["status"] in ("fail", "warn")
    }
    assert not_passed == {"alignment"}, again.stdout  # ro.ru, a free mailbox, cannot align
    assert live.sandbox.mailbox.wait_for(lambda m: "other@example.com" in m.rcpt_tos)


def test_the_mail_row_names_the_subject_auth_uses(live: Live) -> None:
    config = live.config(relay_config(password="generate"))
    live.apply(config)
    live.verify_sender()
    live.patch_auth(
        {
            "mailer_subjects_confirmation": "Подтвердите регистрацию",
            "mailer_subjects_magic_link": "{{ .Token }} — ваш код",
        }
    )

    result = live.check(config, "--via-supabase", "user@example.com")

    # The one problem left is ro.ru's alignment (a free mailbox): a warning, exit 1.
    assert result.json()["check"]["summary"]["fail"] == 0, result.stdout
    mail = result.rows()[("supabase_mail", PROJECT)]
    assert mail["detail"] == (
        "Auth answered 200: OK; it sent a mail to user@example.com through mail.smtp2go.com:587: "
        'look for a sign-up confirmation with the subject "Подтвердите регистрацию" if the '
        "address is new, else a magic link with a subject made from the template "
        f'"{{{{ .Token }}}} — ваш код", from {SENDER}'
    )
    arrived = live.sandbox.mailbox.wait_for(lambda m: "user@example.com" in m.rcpt_tos)
    assert arrived is not None and arrived.subject == "Подтвердите регистрацию"

    live.patch_auth({"mailer_autoconfirm": True})
    again = live.check(config, "--via-supabase", "someone@example.com")
    assert again.rows()[("supabase_mail", PROJECT)]["detail"].endswith(
        "look for a magic link with a subject made from the template "
        f'"{{{{ .Token }}}} — ваш код", from {SENDER}'
    )


def test_a_template_auth_cannot_parse_is_a_warning(live: Live) -> None:
    config = live.config(relay_config(password="generate"))
    live.apply(config)
    live.verify_sender()
    live.patch_auth(
        {
            "mailer_subjects_confirmation": "Подтвердите регистрацию",
            "mailer_templates_confirmation_content": "<p>Hi</p>\n<p>{{ if .Token }}</p>\n",
        }
    )

    result = live.check(config, "--via-supabase", "user@example.com")

    assert result.exit_code == 1
    mail = result.rows()[("supabase_mail", PROJECT)]
    assert mail["status"] == "warn"
    assert mail["detail"].endswith(
        "; Auth cannot use the sign-up confirmation template: its body does not parse (line 3, "
        "column 1: unexpected EOF), so it sends its built-in subject and body instead"
    )
    assert "look for a sign-up confirmation with Auth's built-in subject if" in mail["detail"]
    assert mail["fix"] == (
        "fix the template: `karto-smtp validate` shows the line when karto.yaml declares it, "
        "`karto-smtp plan` whether Supabase holds another one; then `karto-smtp apply`"
    )
    # And so it is: the mail that arrived is Auth's own.
    arrived = live.sandbox.mailbox.wait_for(lambda m: "user@example.com" in m.rcpt_tos)
    assert arrived is not None and arrived.subject == "Confirm your email address"


def test_text_table_is_plain_and_lists_fixes(live: Live, monkeypatch) -> None:
    config = live.config(relay_config())
    live.apply(config)

    monkeypatch.setenv("COLUMNS", "400")
    result = live.cli("check", "-c", str(config))

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["STATUS", "LINK", "SUBJECT", "MS", "DETAIL"]
    assert "\x1b[" not in result.stdout
    sender = next(i for i, line in enumerate(lines) if line.startswith("fail    sender"))
    assert lines[sender + 1].strip().startswith(f"fix: {SENDER} is declared under smtp2go.senders")
    assert lines[-1] == "14 checks: 7 pass, 1 fail, 1 warn, 5 skip: problems found"


def test_text_table_fits_the_terminal(live: Live, monkeypatch) -> None:
    config = live.config(relay_config())
    live.apply(config)

    monkeypatch.setenv("COLUMNS", "120")
    wide = live.cli("check", "-c", str(config)).stdout.splitlines()
    assert max(len(line) for line in wide) <= 120
    detail = wide[0].index("DETAIL")
    sender = next(i for i, line in enumerate(wide) if line.startswith("fail    sender"))
    following = []
    for line in wide[sender + 1 :]:
        if not line.startswith(" "):
            break
        following.append(line)
    # Wrapped inside the DETAIL column: continuation and fix lines start under DETAIL.
    assert following and all(line[:detail].strip() == "" for line in following)
    assert any(line[detail:].startswith("fix: ") for line in following)

    monkeypatch.setenv("COLUMNS", "60")
    narrow = live.cli("check", "-c", str(config)).stdout.splitlines()
    assert max(len(line) for line in narrow) <= 60
    assert narrow[0].split() == ["STATUS", "LINK", "SUBJECT", "MS"]
    sender = next(i for i, line in enumerate(narrow) if line.startswith("fail    sender"))
    assert narrow[sender + 1].startswith("    ") and narrow[sender + 1][4] != " "


def test_lint_warnings_are_one_line_pointing_at_validate(live: Live) -> None:
    config = live.config(relay_config() + "          rate_limit_email_sent: 30\n")
    result = live.cli("check", "-c", str(config))
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert notes == [
        f"note: {config}: 2 warnings (from-free-mailbox, rate-limit-exceeds-quota); "
        f"`karto-smtp validate -c {config}` shows them in full"
    ]


def test_target_selects_and_rejects(live: Live) -> None:
    config = live.config(relay_config(domain=OWN_DOMAIN))
    live.apply(config)
    live.publish_domain()

    assert live.check(config, "--target", PROJECT).exit_code == 0
    assert live.check(config, "--target", REF).exit_code == 0

    bad = live.cli("check", "-c", str(config), "--target", "nope")
    assert bad.exit_code == 1
    assert bad.stdout == ""
    assert bad.stderr == (
        "Error: --target nope: not an SMTP user or a project (ref or name) in karto.yaml that "
        f"sends mail; choose from: karto, {REF}, {PROJECT}\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--via-supabase", "not-an-address"),
            "--via-supabase: 'not-an-address' is not an email address",
        ),
        (("--send-test-to", "a@b"), "--send-test-to: 'a@b' is not an email address"),
    ],
)
def test_bad_input_is_one_line(live: Live, args: tuple[str, ...], message: str) -> None:
    config = live.config(relay_config())
    result = live.cli("check", "-c", str(config), *args)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"


def test_missing_config_is_one_line(live: Live) -> None:
    result = live.cli("check", "-c", "missing.yaml")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: missing.yaml: no such file")


def test_password_env_unset_is_a_red_row(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    config = live.config(relay_config())
    live.apply(config)
    monkeypatch.delenv(PASSWORD_ENV)

    result = live.check(config)

    assert result.exit_code == 1
    auth = result.rows()[("auth", RELAY)]
    assert auth["status"] == "fail"
    assert auth["detail"].endswith(f"environment variable {PASSWORD_ENV} is not set")
    assert PASSWORD not in result.stdout


def test_whitespace_pasted_into_the_password(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    config = live.config(relay_config())
    live.apply(config)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD + "\n")

    result = live.check(config)

    auth = result.rows()[("auth", RELAY)]
    assert auth["detail"] == "Authentication failed: 535 Incorrect authentication data"
    assert auth["fix"] == (
        f"the password in env({PASSWORD_ENV}) starts or ends with whitespace (a paste "
        "accident?): remove it; SMTP2GO compares passwords byte for byte"
    )


def test_sandboxed_user_is_a_warning(live: Live) -> None:
    config = live.config(relay_config(status="sandbox"))
    live.apply(config)
    live.verify_sender()

    result = live.check(config)

    assert result.exit_code == 1
    auth = result.rows()[("auth", RELAY)]
    assert auth["status"] == "warn"
    assert auth["fix"] == (
        "karto has status: sandbox: SMTP2GO accepts its mail and never delivers it; set "
        "status: allowed and run `karto-smtp apply`"
    )


def test_certificate_is_verified_without_the_sandbox_ca(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = live.config(relay_config())
    live.apply(config)
    monkeypatch.delenv(CA_FILE_ENV)

    result = live.check(config)

    tls = result.rows()[("tls", RELAY)]
    assert tls["status"] == "fail"
    assert tls["detail"].startswith("certificate not trusted for mail.smtp2go.com: ")
    assert tls["fix"] == (
        "the certificate does not verify for mail.smtp2go.com: check the host name "
        "(mail.smtp2go.com, mail-us/-eu/-eu2/-au.smtp2go.com); behind a TLS-inspecting proxy, "
        "put its CA in KARTO_SMTP_CA_FILE"
    )
    assert result.rows()[("auth", RELAY)]["detail"] == "skipped: no TLS connection"


def test_certificate_is_checked_against_the_declared_host_name(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The relay map sends another host to the sandbox relay, whose certificate does not
    # name it: the check must fail even though the CA is trusted.
    config = live.config(explicit_config(user="karto", host="relay.example.net"))
    sandbox_rule = live.env[RELAY_ENV]
    _pattern, _, target = sandbox_rule.partition("=")
    monkeypatch.setenv(RELAY_ENV, f"relay.example.net={target},{sandbox_rule}")

    result = live.check(config)

    relay = "karto @ relay.example.net:587"
    assert result.rows()[("reach", relay)]["status"] == "pass"
    tls = result.rows()[("tls", relay)]
    assert tls["status"] == "fail"
    assert tls["detail"].startswith("certificate not trusted for relay.example.net: ")
    assert "Hostname mismatch" in tls["detail"]
