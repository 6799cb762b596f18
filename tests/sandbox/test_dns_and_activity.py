"""The sandbox's DNS (zone, resolver on loopback) and SMTP2GO's view of the mail it relayed:
domain verification against the zone, activity events, usage and reputation statistics."""

from __future__ import annotations

import smtplib
import ssl

import dns.exception
import dns.resolver
import httpx
import pytest

from karto_sandbox.cli import sandbox as sandbox_cli
from karto_sandbox.stack import Stack

KEY = "api-" + "D4n5A6c7" * 4
PASSWORD = "Vq7#mL2!xR9$wK4p"


@pytest.fixture
def admin(stack: Stack):
    with httpx.Client(base_url=stack.smtp2go_url, timeout=5) as client:
        yield client


@pytest.fixture
def api(stack: Stack):
    stack.smtp2go_account.add_api_key(KEY)
    with httpx.Client(
        base_url=f"{stack.smtp2go_url}/v3", headers={"X-Smtp2go-Api-Key": KEY}, timeout=5
    ) as client:
        yield client


def resolver(stack: Stack, lifetime: float = 2.0) -> dns.resolver.Resolver:
    host, _, port = stack.env["KARTO_DNS_RESOLVER"].partition(":")
    found = dns.resolver.Resolver(configure=False)
    found.nameservers = [host]
    found.port = int(port)
    found.lifetime = lifetime
    return found


# -- the resolver --------------------------------------------------------------------
def test_the_resolver_answers_what_the_admin_route_published(stack: Stack, admin) -> None:
    response = admin.post(
        "/_sandbox/dns",
        json={
            "records": [
                {"name": "_dmarc.Example.COM.", "type": "txt", "value": "v=DMARC1; p=none"}
            ],
            "zone": "s1._domainkey.example.com. 3600 IN CNAME dkim.smtp2go.net. ; DKIM\n"
            'example.com. IN TXT "v=spf1 " "-all"\n',
        },
    )
    assert response.status_code == 200, response.text
    assert [r["name"] for r in response.json()["added"]] == [
        "_dmarc.example.com",
        "s1._domainkey.example.com",
        "example.com",
    ]
    ask = resolver(stack)
    [dmarc] = ask.resolve("_dmarc.example.com", "TXT")
    assert b"".join(dmarc.strings) == b"v=DMARC1; p=none"
    [spf] = ask.resolve("example.com", "TXT")
    assert b"".join(spf.strings) == b"v=spf1 -all"
    [cname] = ask.resolve("s1._domainkey.example.com", "CNAME")
    assert cname.target.to_text() == "dkim.smtp2go.net."
    with pytest.raises(dns.resolver.NXDOMAIN):
        ask.resolve("_dmarc.ro.ru", "TXT")
    with pytest.raises(dns.resolver.NoAnswer):
        ask.resolve("example.com", "MX")  # the name exists, the type does not


def test_a_cname_is_followed_for_other_types(stack: Stack) -> None:
    stack.zone.add("_dmarc.shop.example", "CNAME", "_dmarc.example.com")
    stack.zone.add("_dmarc.example.com", "TXT", "v=DMARC1; p=reject")
    answer = resolver(stack).resolve("_dmarc.shop.example", "TXT")
    assert [b"".join(r.strings) for r in answer] == [b"v=DMARC1; p=reject"]
    assert answer.canonical_name.to_text() == "_dmarc.example.com."


def test_faults_give_servfail_or_no_answer_at_all(stack: Stack, admin) -> None:
    admin.post("/_sandbox/dns/faults", json={"name": "_dmarc.a.example", "fault": "servfail"})
    admin.post("/_sandbox/dns/faults", json={"name": "_dmarc.b.example", "fault": "timeout"})
    with pytest.raises(dns.resolver.NoNameservers, match="SERVFAIL"):
        resolver(stack).resolve("_dmarc.a.example", "TXT")
    with pytest.raises(dns.exception.Timeout):
        resolver(stack, lifetime=0.3).resolve("_dmarc.b.example", "TXT")
    admin.post("/_sandbox/dns/faults", json={"name": "_dmarc.a.example", "fault": None})
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver(stack).resolve("_dmarc.a.example", "TXT")
    bad = admin.post("/_sandbox/dns/faults", json={"name": "x.example", "fault": "slow"})
    assert bad.status_code == 400
    assert bad.json() == {"message": "fault must be one of servfail, timeout or null"}


def test_bad_records_are_refused_and_reset_empties_the_zone(stack: Stack, admin) -> None:
    bad = admin.post("/_sandbox/dns", json={"records": [{"name": "a.example", "type": "SRV"}]})
    assert bad.status_code == 400
    bad = admin.post("/_sandbox/dns", json={"zone": "only-a-name.example.\n"})
    assert bad.json() == {"message": "line 1: expected NAME [TTL] [IN] TYPE VALUE"}
    admin.post("/_sandbox/dns", json={"zone": "a.example. IN A 192.0.2.1\n"})
    assert admin.get("/_sandbox/dns").json()["records"] == [
        {"name": "a.example", "type": "A", "value": "192.0.2.1"}
    ]
    admin.post("/_sandbox/reset")
    assert admin.get("/_sandbox/dns").json() == {"records": [], "faults": {}}


def test_the_sandbox_dns_command_publishes_zone_lines_and_lists_them(
    stack: Stack, tmp_path, monkeypatch
) -> None:
    from click.testing import CliRunner

    monkeypatch.setenv("KARTO_SANDBOX_URL", stack.smtp2go_url)
    zone = tmp_path / "records.zone"
    zone.write_text(
        "s9._domainkey.example.org. IN CNAME dkim.smtp2go.net.\n"
        '_dmarc.example.org. IN TXT "v=DMARC1; p=quarantine"\n'
    )
    runner = CliRunner()
    published = runner.invoke(sandbox_cli, ["dns", str(zone)])
    assert (published.exit_code, published.output) == (0, "Published 2 records.\n")
    listed = runner.invoke(sandbox_cli, ["dns"])
    assert listed.output == (
        "s9._domainkey.example.org. IN CNAME dkim.smtp2go.net.\n"
        '_dmarc.example.org. IN TXT "v=DMARC1; p=quarantine"\n'
    )


# -- SMTP2GO's domain verification looks at the same zone ----------------------------
def test_domain_verify_sees_the_records_published_in_the_zone(stack: Stack, api, admin) -> None:
    [entry] = api.post("/domain/add", json={"domain": "example.com", "auto_verify": False}).json()[
        "data"
    ]["domains"]
    selector = entry["domain"]["dkim_selector"]
    rpath = entry["domain"]["rpath_selector"]
    admin.post(
        "/_sandbox/dns",
        json={
            "zone": f"{selector}._domainkey.example.com. IN CNAME dkim.smtp2go.net.\n"
            f"{rpath}.example.com. IN CNAME elsewhere.example.net.\n"
        },
    )
    [checked] = api.post("/domain/verify", json={"domain": "example.com"}).json()["data"]["domains"]
    domain = checked["domain"]
    assert (domain["dkim_verified"], domain["dkim_value"]) == (True, "dkim.smtp2go.net")
    assert (domain["rpath_verified"], domain["rpath_value"]) == (False, "elsewhere.example.net")
    assert domain["rpath_status"] == "Target: elsewhere.example.net (expected return.smtp2go.net)"
    stack.zone.add(f"{rpath}.example.com", "CNAME", "return.smtp2go.net")
    [again] = api.post("/domain/verify", json={"domain": "example.com"}).json()["data"]["domains"]
    assert again["domain"]["rpath_verified"] is True


def test_marking_dns_present_publishes_the_records_in_the_zone(stack: Stack, api, admin) -> None:
    api.post("/domain/add", json={"domain": "example.org", "auto_verify": False})
    admin.post("/_sandbox/domains/dns", json={"domain": "example.org"})
    names = {r["name"]: r["value"] for r in admin.get("/_sandbox/dns").json()["records"]}
    [(dkim, target)] = [(n, v) for n, v in names.items() if "_domainkey" in n]
    assert target == "dkim.smtp2go.net"
    assert names["link.example.org"] == "track.smtp2go.net"


# -- activity and statistics, over mail the relay really accepted --------------------
def send(stack: Stack, to: str, username: str = "mailer01") -> str:
    """One message through the relay's STARTTLS port; SMTP2GO's email id from the reply."""
    assert stack.tls is not None and stack.relay is not None
    context = ssl.create_default_context(cafile=str(stack.tls.cert_file))
    with smtplib.SMTP("127.0.0.1", stack.relay.starttls_port, timeout=5) as client:
        client.starttls(context=context)
        client.login(username, PASSWORD)
        client.sendmail(
            "ops@example.org",
            [to],
            f"From: Ops <ops@example.org>\r\nTo: {to}\r\nSubject: Welcome\r\n\r\nhi\r\n",
        )
        code, reply = client.noop()
        assert code == 250
    [message] = [m for m in stack.mailbox.messages(include_rejected=True) if to in m.rcpt_tos]
    return message.id


@pytest.fixture
def relaying(stack: Stack) -> Stack:
    account = stack.smtp2go_account
    account.add_user("mailer01", {}, PASSWORD)
    account.add_sender("ops@example.org")
    account.verify_sender("ops@example.org")
    return stack


def test_activity_shows_processed_then_the_fate_of_each_message(relaying: Stack, api, admin):
    delivered = send(relaying, "user@example.net")
    response = admin.post(
        "/_sandbox/delivery",
        json={"recipient": "Gone@Example.net", "event": "hard-bounced"},
    )
    assert response.json() == {
        "recipient": "gone@example.net",
        "event": "hard-bounced",
        "smtp_response": "550 5.1.1 The email account that you tried to reach does not exist",
        "reason": "",
    }
    bounced = send(relaying, "gone@example.net")
    data = api.post("/activity/search", json={"search_email_id": bounced}).json()["data"]
    assert [(e["event"], e["smtp_response"]) for e in data["events"]] == [
        ("hard-bounced", "550 5.1.1 The email account that you tried to reach does not exist"),
        ("processed", ""),
    ]
    assert data["total_events"] == 2
    assert data["events"][0]["recipient"] == "gone@example.net"
    assert data["events"][0]["username"] == "mailer01"
    assert data["events"][0]["subject"] == "Welcome"
    latest = api.post(
        "/activity/search", json={"search_recipient": "user@example.net", "only_latest": True}
    ).json()["data"]["events"]
    assert [(e["email_id"], e["event"]) for e in latest] == [(delivered, "delivered")]
    nobody = api.post("/activity/search", json={"search_usernames": ["someone-else"]})
    assert nobody.json()["data"] == {"events": [], "total_events": 0, "continue_token": None}
    past = api.post("/activity/search", json={"end_date": "2000-01-01"})
    assert past.json()["data"]["total_events"] == 0


def test_a_message_left_in_the_queue_has_only_its_processed_event(relaying: Stack, api, admin):
    admin.post("/_sandbox/delivery", json={"recipient": "slow@example.net", "event": "processed"})
    email_id = send(relaying, "slow@example.net")
    events = api.post("/activity/search", json={"search_email_id": email_id}).json()["data"][
        "events"
    ]
    assert [e["event"] for e in events] == ["processed"]


def test_statistics_count_the_relayed_mail_plus_the_usage_set(relaying: Stack, api, admin):
    admin.post(
        "/_sandbox/delivery", json={"recipient": "gone@example.net", "event": "hard-bounced"}
    )
    send(relaying, "user@example.net")
    send(relaying, "gone@example.net")
    cycle = api.post("/stats/email_cycle", json={}).json()["data"]
    assert (cycle["cycle_used"], cycle["cycle_max"], cycle["cycle_remaining"]) == (2, 1000, 998)
    bounces = api.post("/stats/email_bounces", json={}).json()["data"]
    assert bounces == {
        "emails": 2,
        "rejects": 0,
        "softbounces": 0,
        "hardbounces": 1,
        "bounce_percent": "50.00",
    }
    usage = admin.post("/_sandbox/usage", json={"cycle_used": 948, "emails": 998, "spams": 3})
    assert usage.json()["cycle_used"] == 948
    cycle = api.post("/stats/email_cycle", json={}).json()["data"]
    assert (cycle["cycle_used"], cycle["cycle_remaining"]) == (950, 50)
    spam = api.post("/stats/email_spam", json={}).json()["data"]
    assert spam == {"emails": 1000, "rejects": 0, "spams": 3, "spam_percent": "0.30"}
    # Per user: the real mail only.
    mine = api.post("/stats/email_spam", json={"username": "mailer01"}).json()["data"]
    assert (mine["emails"], mine["spams"]) == (2, 0)
    bad = admin.post("/_sandbox/usage", json={"spams": -1})
    assert bad.json() == {"message": "spams must be a whole number >= 0"}
