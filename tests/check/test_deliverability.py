"""`check`'s deliverability rows against the sandbox: live DNS (its resolver), SMTP2GO's
usage, reputation and activity; every failure mode produced for real."""

from __future__ import annotations

import pytest

from tests.check.conftest import OWN_DOMAIN, OWN_SENDER, PROJECT, SENDER, Live, relay_config

ACCOUNT = "SMTP2GO account"


def domain_setup(live: Live, **extra) -> object:
    config = live.config(relay_config(domain=OWN_DOMAIN, **extra))
    live.apply(config)
    return config


def records(live: Live) -> tuple[str, str]:
    [entry] = live.smtp2go.post("/domain/view", json={}).json()["data"]["domains"]
    domain = entry["domain"]
    return (
        f"{domain['dkim_selector']}._domainkey.{OWN_DOMAIN}",
        f"{domain['rpath_selector']}.{OWN_DOMAIN}",
    )


def test_unpublished_records_fail_the_dns_row_and_alignment_waits(live: Live) -> None:
    config = domain_setup(live)
    dkim, rpath = records(live)
    live.dns(f"{rpath}. IN CNAME {OWN_DOMAIN}.\n")
    result = live.check(config)
    rows = result.rows()
    dns = rows[("dns", OWN_DOMAIN)]
    assert dns["status"] == "fail"
    assert dns["detail"] == (
        f"{dkim} CNAME dkim.smtp2go.net: missing; {rpath} CNAME return.smtp2go.net: points to "
        f"{OWN_DOMAIN} instead (asked the resolver at {live.env['KARTO_DNS_RESOLVER']} "
        "(KARTO_DNS_RESOLVER))"
    )
    assert dns["fix"] == (
        "publish the records marked missing or wrong (`karto-smtp dns` prints them for your DNS "
        "tool), then `karto-smtp apply` asks SMTP2GO to check them"
    )
    alignment = rows[("alignment", PROJECT)]
    assert alignment["status"] == "warn"
    assert alignment["detail"] == (
        f"not aligned yet: {OWN_DOMAIN} is declared, but its records are not all published and "
        "verified (see the dns row)"
    )
    # The sender of an unverified domain is told about DNS, not a link.
    assert rows[("sender", PROJECT)]["fix"] == (
        f"{OWN_SENDER} sends as sender domain {OWN_DOMAIN}, which SMTP2GO has not verified: "
        "publish its DNS records (`karto-smtp dns` prints them), then `karto-smtp apply` asks "
        "SMTP2GO to check them"
    )
    # Its own domain without DMARC or SPF: both say what to publish.
    assert rows[("dmarc", PROJECT)]["status"] == "warn"
    assert rows[("dmarc", PROJECT)]["fix"].startswith(
        f'publish `_dmarc.{OWN_DOMAIN}. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{OWN_DOMAIN}"`'
    )
    assert rows[("spf", PROJECT)]["detail"] == f"no SPF record at {OWN_DOMAIN}"


def test_records_in_dns_but_not_yet_verified_by_smtp2go_warn_to_apply(live: Live) -> None:
    config = domain_setup(live)
    dkim, rpath = records(live)
    live.dns(
        f"{dkim}. IN CNAME dkim.smtp2go.net.\n{rpath}. IN CNAME return.smtp2go.net.\n"
        f"link.{OWN_DOMAIN}. IN CNAME track.smtp2go.net.\n"
    )
    row = live.check(config).rows()[("dns", OWN_DOMAIN)]
    assert row["status"] == "warn"
    assert row["detail"].endswith("; SMTP2GO has not verified the domain yet")
    assert row["fix"].startswith("`karto-smtp apply` asks SMTP2GO to check the records now")


def test_resolver_errors_and_timeouts_are_rows(live: Live) -> None:
    config = domain_setup(live)
    live.publish_domain()
    dkim, _rpath = records(live)
    live.admin.post("/_sandbox/dns/faults", json={"name": dkim, "fault": "timeout"})
    live.admin.post(
        "/_sandbox/dns/faults", json={"name": f"_dmarc.{OWN_DOMAIN}", "fault": "servfail"}
    )
    result = live.check(config, "--step-timeout", "0.5")
    rows = result.rows()
    dns = rows[("dns", OWN_DOMAIN)]
    assert dns["status"] == "warn"
    assert f"{dkim} CNAME dkim.smtp2go.net: not answered (no answer within 0.5s)" in dns["detail"]
    assert dns["fix"] == (
        "check KARTO_DNS_RESOLVER (HOST:PORT of a resolver that answers), then run check again"
    )
    dmarc = rows[("dmarc", PROJECT)]
    assert (dmarc["status"], dmarc["detail"]) == (
        "warn",
        f"could not ask DNS for _dmarc.{OWN_DOMAIN}: the resolver answered SERVFAIL (asked the "
        f"resolver at {live.env['KARTO_DNS_RESOLVER']} (KARTO_DNS_RESOLVER))",
    )


@pytest.mark.parametrize(
    ("policy", "status", "verdict"),
    [
        ("reject", "fail", "ro.ru publishes p=reject, so receivers that enforce DMARC refuse it"),
        ("quarantine", "fail", "ro.ru publishes p=quarantine, so receivers put it in spam"),
        (
            None,
            "warn",
            "Gmail and Yahoo require alignment from bulk senders, and treat a free mailbox's "
            "mail from elsewhere as spoofed",
        ),
    ],
)
def test_a_free_mailbox_sender_cannot_align(live: Live, policy, status, verdict) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    if policy:
        live.dns(f'_dmarc.ro.ru. IN TXT "v=DMARC1; p={policy}"\n')
    rows = live.check(config).rows()
    alignment = rows[("alignment", PROJECT)]
    assert alignment == {
        "link": "alignment",
        "subject": PROJECT,
        "status": status,
        "ms": None,
        "detail": f"not aligned: mail may land in spam or be refused ({verdict}); {SENDER} is a "
        "single sender: SMTP2GO signs its mail with its own domain and returns bounces to its "
        "own, never as ro.ru",
        "fix": "send from a domain you control: declare it under smtp2go.senders.domains, run "
        "`karto-smtp apply`, publish its records (`karto-smtp dns`) and set admin_email to an "
        "address there",
    }
    dmarc = rows[("dmarc", PROJECT)]
    if policy:
        assert (dmarc["status"], dmarc["detail"]) == (
            "pass",
            f"_dmarc.ro.ru: v=DMARC1; p={policy} (policy for ro.ru: {policy})",
        )
    else:
        assert dmarc["status"] == "skip"


def test_two_spf_records_on_an_own_domain_fail(live: Live) -> None:
    config = domain_setup(live)
    live.publish_domain()
    live.dns(f'{OWN_DOMAIN}. IN TXT "v=spf1 -all"\n')
    row = live.check(config).rows()[("spf", PROJECT)]
    assert (row["status"], row["fix"]) == ("fail", "merge them into one record")
    assert row["detail"].startswith(f"{OWN_DOMAIN} has 2 SPF records")


@pytest.mark.parametrize(
    ("used", "status", "tail"),
    [
        (799, "pass", ""),
        (805, "warn", ": past 80%"),
        (905, "warn", ": past 90%"),
        (955, "warn", ": past 95%"),
        (1005, "fail", ": the plan's quota is used up"),
    ],
)
def test_quota_warns_at_80_90_95_and_fails_when_used_up(live: Live, used, status, tail) -> None:
    config = domain_setup(live)
    live.publish_domain()
    live.admin.post("/_sandbox/usage", json={"cycle_used": used}).raise_for_status()
    row = live.check(config).rows()[("quota", ACCOUNT)]
    assert row["status"] == status
    assert row["detail"].startswith(f"{used} of 1000 emails this cycle ({100 * used / 1000:.0f}%, ")
    assert row["detail"].endswith(tail or ")")


@pytest.mark.parametrize(
    ("counts", "link", "status", "detail"),
    [
        (
            {"emails": 1000, "hardbounces": 40, "softbounces": 20},
            "bounces",
            "warn",
            "40 hard and 20 soft bounces of 1000 emails in the last 30 days: 6.00%, at or over "
            "5% (Amazon SES reviews a sender at 5% and may pause it at 10%)",
        ),
        (
            {"emails": 1000, "hardbounces": 120},
            "bounces",
            "fail",
            "120 hard and 0 soft bounces of 1000 emails in the last 30 days: 12.00%, at or over "
            "10% (Amazon SES reviews a sender at 5% and may pause it at 10%)",
        ),
        (
            {"emails": 1000, "spams": 2},
            "spam",
            "warn",
            "2 spam complaints of 1000 emails in the last 30 days: 0.20%, at or over 0.1% "
            "(Gmail asks senders to stay under 0.1% and never reach 0.3%)",
        ),
        (
            {"emails": 1000, "spams": 5},
            "spam",
            "fail",
            "5 spam complaints of 1000 emails in the last 30 days: 0.50%, at or over 0.3% "
            "(Gmail asks senders to stay under 0.1% and never reach 0.3%)",
        ),
        (
            {"emails": 10, "spams": 5},
            "spam",
            "pass",
            "5 spam complaints of 10 emails in the last 30 days: 50.00% (under 100 emails: not "
            "judged)",
        ),
    ],
)
def test_bounce_and_spam_rates_against_their_thresholds(
    live: Live, counts, link, status, detail
) -> None:
    config = domain_setup(live)
    live.publish_domain()
    live.admin.post("/_sandbox/usage", json=counts).raise_for_status()
    row = live.check(config).rows()[(link, ACCOUNT)]
    assert (row["status"], row["detail"]) == (status, detail)


@pytest.mark.parametrize(
    ("event", "status", "detail"),
    [
        (
            "hard-bounced",
            "fail",
            "the test message to gone@example.net: bounced, the receiving server answered 550 "
            "5.1.1 The email account that you tried to reach does not exist",
        ),
        (
            "soft-bounced",
            "warn",
            "the test message to gone@example.net: deferred, the receiving server answered 451 "
            "4.2.0 Mailbox temporarily unavailable, try again later",
        ),
        (
            "rejected",
            "fail",
            "the test message to gone@example.net: rejected by SMTP2GO (the recipient is on the "
            "account's suppression list)",
        ),
        (
            "processed",
            "warn",
            "the test message to gone@example.net: still queued at SMTP2GO after 0s",
        ),
    ],
)
def test_delivery_reports_what_became_of_the_test_message(
    live: Live, event, status, detail
) -> None:
    config = domain_setup(live)
    live.publish_domain()
    live.admin.post(
        "/_sandbox/delivery", json={"recipient": "gone@example.net", "event": event}
    ).raise_for_status()
    result = live.check(config, "--send-test-to", "gone@example.net", "--wait-delivery", "0")
    rows = result.rows()
    assert rows[("send", PROJECT)]["status"] == "pass"
    row = rows[("delivery", PROJECT)]
    assert (row["status"], row["detail"]) == (status, detail)


def test_delivery_of_supabase_mail_is_found_by_recipient_and_user(live: Live) -> None:
    config = domain_setup(live, password="generate")
    live.publish_domain()
    live.admin.post(
        "/_sandbox/delivery",
        json={"recipient": "new@example.net", "event": "hard-bounced", "smtp_response": "550 no"},
    ).raise_for_status()
    row = live.check(config, "--via-supabase", "new@example.net").rows()[("delivery", PROJECT)]
    assert (row["status"], row["detail"]) == (
        "fail",
        "Supabase's mail to new@example.net: bounced, the receiving server answered 550 no",
    )


def test_a_bad_resolver_variable_is_one_line(live: Live, monkeypatch) -> None:
    config = live.config(relay_config())
    monkeypatch.setenv("KARTO_DNS_RESOLVER", "not a resolver:x")
    result = live.cli("check", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: KARTO_DNS_RESOLVER: 'not a resolver:x' is not HOST[:PORT] (e.g. 127.0.0.1:5353)\n"
    )
