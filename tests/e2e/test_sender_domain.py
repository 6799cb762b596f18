"""A sender domain, end to end: declare, apply, print its DNS records, publish them, apply
again (SMTP2GO checks them), and the next plan is clean."""

from __future__ import annotations

import json

from tests.cli_runner import run_cli
from tests.e2e.helpers import write_config

DOMAIN = "mail.karto.example"
CONFIG = f"""\
version: 1
smtp2go:
  senders:
    domains:
      - domain: {DOMAIN}
"""


def selectors(live) -> tuple[str, str]:
    [entry] = live.smtp2go.post("/domain/view", json={}).json()["data"]["domains"]
    return entry["domain"]["dkim_selector"], entry["domain"]["rpath_selector"]


def test_declare_apply_publish_apply_and_the_next_plan_is_clean(live, capsys, tmp_path):
    path = write_config(tmp_path, CONFIG)
    first = run_cli(capsys, "plan", "-c", str(path))
    assert f'  + smtp2go.sender_domain["{DOMAIN}"]\n' in first.stdout
    assert (
        f"SMTP2GO names the DNS records {DOMAIN} needs when it is added: after apply, "
        "`karto-smtp dns` prints them for your DNS; the next apply asks SMTP2GO to check them"
    ) in first.stdout
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(path)).exit_code == 0
    dkim, rpath = selectors(live)
    records = [f"{dkim}._domainkey.{DOMAIN}", f"{rpath}.{DOMAIN}"]

    # Pending: the plan is an update whose one request asks SMTP2GO to check again.
    pending = run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(path))
    assert pending.exit_code == 2
    reason = (
        "pending verification: SMTP2GO does not see 2 of its 2 DNS records yet "
        f"({', '.join(records)})"
    )
    assert f"  # ({reason})" in pending.stdout
    assert f"publish {records[0]} CNAME dkim.smtp2go.net" in pending.stdout
    document = json.loads(run_cli(capsys, "plan", "--format", "json", "-c", str(path)).stdout)
    [change] = document["plan"]["changes"]
    assert (change["action"], change["reasons"]) == ("update", [reason])
    assert change["requests"] == [
        {"method": "POST", "path": "domain/verify", "body": {"domain": DOMAIN}}
    ]
    assert change["details"] == {
        "verified": False,
        "dns_records": [
            {
                "name": records[0],
                "type": "CNAME",
                "target": "dkim.smtp2go.net",
                "verified": False,
                "found": None,
                "purpose": "DKIM",
            },
            {
                "name": records[1],
                "type": "CNAME",
                "target": "return.smtp2go.net",
                "verified": False,
                "found": None,
                "purpose": "return path",
            },
        ],
    }

    # Applying before the records are published: SMTP2GO checks, and still misses them.
    live.clear_requests()
    early = run_cli(capsys, "apply", "--auto-approve", "-c", str(path))
    assert early.exit_code == 1
    assert (
        f'  applied, not verified: smtp2go.sender_domain["{DOMAIN}"] (update): {reason}\n'
    ) in early.stdout
    assert [(w["path"], w["body"]) for w in live.writes()] == [
        ("/v3/domain/verify", {"domain": DOMAIN})
    ]

    # The records, for the DNS tool; published as a team pastes them.
    zone = run_cli(capsys, "dns", "-c", str(path))
    assert zone.exit_code == 0
    assert zone.stdout == (
        f"; SMTP2GO sender domain {DOMAIN}\n"
        f"{records[0]}. 3600 IN CNAME dkim.smtp2go.net. ; DKIM, pending\n"
        f"{records[1]}. 3600 IN CNAME return.smtp2go.net. ; return path, pending\n"
    )
    live.admin.post("/_sandbox/dns", json={"zone": zone.stdout}).raise_for_status()

    done = run_cli(capsys, "apply", "--auto-approve", "-c", str(path))
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in done.stdout
    clean = run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(path))
    assert clean.exit_code == 0
    assert clean.stdout.endswith("No changes. SMTP2GO and Supabase match karto.yaml.\n")
    verified = run_cli(capsys, "dns", "--format", "json", "-c", str(path))
    [domain] = json.loads(verified.stdout)["dns"]["domains"]
    assert (domain["domain"], domain["verified"]) == (DOMAIN, True)
    assert [(r["verified"], r["found"]) for r in domain["records"]] == [
        (True, "dkim.smtp2go.net"),
        (True, "return.smtp2go.net"),
    ]


def test_a_wrong_target_is_named_in_the_plan(live, capsys, tmp_path):
    path = write_config(tmp_path, CONFIG)
    run_cli(capsys, "apply", "--auto-approve", "-c", str(path))
    dkim, rpath = selectors(live)
    live.admin.post(
        "/_sandbox/dns",
        json={
            "zone": f"{dkim}._domainkey.{DOMAIN}. IN CNAME dkim.smtp2go.net.\n"
            f"{rpath}.{DOMAIN}. IN CNAME {DOMAIN}.\n"
        },
    )
    result = run_cli(capsys, "apply", "--auto-approve", "-c", str(path))
    assert result.exit_code == 1
    plan = run_cli(capsys, "plan", "-c", str(path))
    assert (
        f"publish {rpath}.{DOMAIN} CNAME return.smtp2go.net (SMTP2GO found {DOMAIN})" in plan.stdout
    )
    assert f"publish {dkim}._domainkey" not in plan.stdout


def test_dns_formats_for_dns_tools(live, capsys, tmp_path):
    path = write_config(tmp_path, CONFIG)
    run_cli(capsys, "apply", "--auto-approve", "-c", str(path))
    dkim, rpath = selectors(live)
    octodns = run_cli(capsys, "dns", "--format", "octodns", "-c", str(path)).stdout
    assert octodns == (
        f"# zone {DOMAIN}. (octoDNS YAML provider), SMTP2GO sender domain\n"
        f"{dkim}._domainkey:\n  # DKIM, pending\n  type: CNAME\n  ttl: 3600\n"
        "  value: dkim.smtp2go.net.\n"
        f"{rpath}:\n  # return path, pending\n  type: CNAME\n  ttl: 3600\n"
        "  value: return.smtp2go.net.\n"
    )
    dnscontrol = run_cli(capsys, "dns", "--format", "dnscontrol", "-c", str(path)).stdout
    assert dnscontrol == (
        f"// SMTP2GO sender domain {DOMAIN}\n"
        f'D_EXTEND("{DOMAIN}",\n'
        f'    CNAME("{dkim}._domainkey", "dkim.smtp2go.net.", TTL(3600)), // DKIM, pending\n'
        f'    CNAME("{rpath}", "return.smtp2go.net.", TTL(3600)), // return path, pending\n'
        ");\n"
    )
    terraform = run_cli(capsys, "dns", "--format", "terraform", "-c", str(path)).stdout
    assert terraform.startswith(
        f"# DKIM of SMTP2GO sender domain {DOMAIN}, pending\n"
        'resource "dns_cname_record" "smtp2go_dkim_mail_karto_example" {\n'
        f'  zone  = "{DOMAIN}."\n'
        f'  name  = "{dkim}._domainkey"\n'
        '  cname = "dkim.smtp2go.net."\n'
        "  ttl   = 3600\n"
        "}\n"
    )
    assert 'resource "dns_cname_record" "smtp2go_return_path_mail_karto_example"' in terraform


def test_dns_before_the_domain_exists_says_to_apply_first(live, capsys, tmp_path):
    path = write_config(tmp_path, CONFIG)
    result = run_cli(capsys, "dns", "-c", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"Error: sender domain {DOMAIN} is not on SMTP2GO yet: `karto-smtp apply` adds it, "
        "and SMTP2GO then names its records\n"
    )
    as_json = json.loads(run_cli(capsys, "dns", "--format", "json", "-c", str(path)).stdout)
    assert (as_json["command"], as_json["status"]) == ("dns", "incomplete")
    assert as_json["dns"] == {"domains": []}
    assert [e["domain"] for e in as_json["errors"]] == [DOMAIN]


def test_dns_without_sender_domains(live, capsys, tmp_path):
    path = write_config(tmp_path, "version: 1\nsmtp2go:\n  smtp_users: []\n")
    result = run_cli(capsys, "dns", "-c", str(path))
    assert (result.exit_code, result.stdout) == (0, "")
    assert "declares no sender domain (smtp2go.senders.domains)" in result.stderr
