"""plan / apply against the sandbox over real HTTP: exact output, request bodies, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_runner import run_cli
from tests.e2e.helpers import BASIC_CONFIG, REF, digest, write_config

FIRST_PLAN = f"""\
Resource actions are indicated with the following symbols:
  + create
  ~ update in-place

karto-smtp will perform the following actions:

  # smtp2go.single_sender["karto.help@ro.ru"] will be created
  + smtp2go.single_sender["karto.help@ro.ru"]
      # SMTP2GO emails a verification link to karto.help@ro.ru; until it is clicked, mail from it is refused with "550 From header sender domain not verified"

  # smtp2go.smtp_user["karto"] will be created
  # (SMTP2GO user karto is new: its password is made at apply and handed to every resource that uses it)
  + smtp2go.smtp_user["karto"] {{
      + description    = "KARTO Supabase Auth"
      + status         = "allowed"
      + email_password = (known after apply)
    }}

  # supabase.auth_smtp["{REF}"] will be updated in-place
  # (receives the password of SMTP2GO user karto (made during apply))
  ~ supabase.auth_smtp["{REF}"] {{
      ~ smtp_host             = null -> "mail.smtp2go.com"
      ~ smtp_port             = null -> "587"
      ~ smtp_user             = null -> "karto"
      ~ smtp_admin_email      = null -> "karto.help@ro.ru"
      ~ smtp_sender_name      = null -> "KARTO"
      ~ rate_limit_email_sent = 2 -> 30
      + smtp_pass             = (known after apply)
        # (1 unchanged field hidden)
    }}

Plan: 2 to add, 1 to change, 0 to destroy.
"""


def test_first_plan_shows_every_change_and_reads_three_times(live, config, capsys):
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout.split("Resource actions", 1)[1] == FIRST_PLAN.split("Resource actions", 1)[1]
    )
    assert result.stdout.startswith("Resource actions")  # nothing changed outside karto-smtp
    assert [(r["method"], r["path"]) for r in sorted(live.requests(), key=lambda r: r["path"])] == [
        ("GET", f"/v1/projects/{REF}/config/auth"),
        ("POST", "/v3/single_sender_emails/view"),
        ("POST", "/v3/users/smtp/view"),
    ]
    assert live.writes() == []


def test_apply_sends_exact_bodies_and_delivers_the_generated_password(live, config, capsys):
    result = run_cli(capsys, "apply", "--auto-approve", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("Apply complete! Resources: 2 added, 1 changed, 0 destroyed.\n")
    writes = [(w["method"], w["path"], w["body"]) for w in live.writes()]
    assert writes[0] == (
        "POST",
        "/v3/single_sender_emails/add",
        {"email_address": "karto.help@ro.ru"},
    )
    assert writes[1][:2] == ("POST", "/v3/users/smtp/add")
    user_body = writes[1][2]
    assert {k: v for k, v in user_body.items() if k != "description"} == {
        "username": "karto",
        "status": "allowed",
        "email_password": "(redacted)",
    }
    # The hand-off record rides in the same request as the password it describes.
    assert re.fullmatch(
        r"KARTO Supabase Auth \[karto-smtp:1 [0-9a-f]{8}=[0-9a-f]{12} @=[0-9a-f]{12}\]",
        user_body["description"],
    )
    # SMTP goes on first, the email rate limit second: the API may check the rule
    # "the rate limit needs custom SMTP" before it merges a PATCH.
    assert writes[2:] == [
        (
            "PATCH",
            f"/v1/projects/{REF}/config/auth",
            {
                "smtp_host": "mail.smtp2go.com",
                "smtp_port": "587",
                "smtp_user": "karto",
                "smtp_pass": "(redacted)",
                "smtp_admin_email": "karto.help@ro.ru",
                "smtp_sender_name": "KARTO",
            },
        ),
        ("PATCH", f"/v1/projects/{REF}/config/auth", {"rate_limit_email_sent": 30}),
    ]
    password = live.password_of("karto")
    assert len(password) >= 32
    assert live.auth_config()["smtp_pass"] == digest(REF, password)
    assert password not in result.stdout + result.stderr


def test_apply_then_plan_says_no_changes_and_second_apply_writes_nothing(live, config, capsys):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    live.verify_sender("karto.help@ro.ru")
    live.clear_requests()
    second = run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(config))
    assert second.exit_code == 0
    assert second.stdout.endswith("No changes. SMTP2GO and Supabase match karto.yaml.\n")
    again = run_cli(capsys, "apply", "--auto-approve", "-c", str(config))
    assert again.exit_code == 0
    assert live.writes() == []
    assert len(live.requests()) == 6  # two plans, three reads each


def test_unmanaged_settings_and_undeclared_users_are_never_touched(live, config, capsys):
    live.smtp2go.post(
        "/users/smtp/add", json={"username": "legacy-app", "description": "not in karto.yaml"}
    ).raise_for_status()
    live.patch_auth({"site_url": "https://karto.example", "mailer_otp_exp": 1800})
    before_users = {u["username"]: u for u in live.users()}
    before_auth = live.auth_config()
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    after_users = {u["username"]: u for u in live.users()}
    after_auth = live.auth_config()
    assert after_users["legacy-app"] == before_users["legacy-app"]
    changed = {k for k in after_auth if after_auth[k] != before_auth[k]}
    assert changed == {
        "smtp_host",
        "smtp_port",
        "smtp_user",
        "smtp_pass",
        "smtp_admin_email",
        "smtp_sender_name",
        "rate_limit_email_sent",
    }


def test_only_what_differs_is_patched(live, config, capsys):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    live.patch_auth({"smtp_max_frequency": 5})
    live.clear_requests()
    plan = run_cli(capsys, "plan", "-c", str(config))
    assert "      ~ smtp_max_frequency = 5 -> 60\n" in plan.stdout
    assert plan.stdout.endswith("Plan: 0 to add, 1 to change, 0 to destroy.\n")
    live.clear_requests()
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    assert [(w["method"], w["body"]) for w in live.writes()] == [
        ("PATCH", {"smtp_max_frequency": 60})
    ]


def test_a_changed_smtp_field_sends_the_whole_group(live, config, capsys):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    live.patch_auth({"smtp_sender_name": "Someone"})
    live.clear_requests()
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    assert [w["body"] for w in live.writes()] == [
        {
            "smtp_host": "mail.smtp2go.com",
            "smtp_port": "587",
            "smtp_user": "karto",
            "smtp_admin_email": "karto.help@ro.ru",
            "smtp_sender_name": "KARTO",
        }
    ]


def test_disabling_sends_only_an_empty_host(live, config, capsys, tmp_path):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    disabled = write_config(
        tmp_path,
        f"""\
version: 1
supabase:
  projects:
    - ref: {REF}
      name: karto-production
      auth:
        smtp:
          enabled: false
""",
    )
    live.clear_requests()
    plan = run_cli(capsys, "plan", "-c", str(disabled))
    assert '      ~ smtp_host = "mail.smtp2go.com" -> null\n' in plan.stdout
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(disabled)).exit_code == 0
    assert [w["body"] for w in live.writes()] == [{"smtp_host": ""}]
    assert live.auth_config()["smtp_host"] is None


def test_rotate_password_of_an_unknown_user_is_an_error(live, config, capsys):
    result = run_cli(capsys, "plan", "--rotate-password", "nobody", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: --rotate-password nobody: karto.yaml declares no password of that name "
        "(known: karto)\n"
    )
    assert "Reading live state" not in result.stderr
    assert live.requests() == []


def test_a_failed_write_is_not_retried_and_reports_the_api_message(live, config, capsys):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        method="POST",
        path="/v3/users/smtp/add",
        status=400,
        body={
            "request_id": "x",
            "data": {
                "error": "Free plans can add a maximum of 5 verified senders",
                "error_code": "E_ApiResponseCodes.API_EXCEPTION",
            },
        },
    )
    result = run_cli(capsys, "apply", "--auto-approve", "-c", str(config))
    assert result.exit_code == 1
    assert (
        '  failed: smtp2go.smtp_user["karto"] (create): SMTP2GO: add SMTP user karto failed '
        "(HTTP 400): Free plans can add a maximum of 5 verified senders [E_ApiResponseCodes.API_EXCEPTION]\n"
    ) in result.stdout
    assert (
        f'  not attempted: supabase.auth_smtp["{REF}"] (update): '
        'smtp2go.smtp_user["karto"] was not applied\n'
    ) in result.stdout
    assert live.auth_config()["smtp_host"] is None and live.users() == []
    adds = [r for r in live.requests() if r["path"] == "/v3/users/smtp/add"]
    assert len(adds) == 1


def test_reads_are_retried_on_429(live, config, capsys):
    # Once: a 429 that names no wait may be SMTP2GO's IP throttle (tests/e2e/test_time.py).
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        path="/v3/users/smtp/view",
        status=429,
        times=1,
        body={
            "request_id": "x",
            "data": {
                "error": "rate limited",
                "error_code": "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED",
            },
        },
    )
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    views = [r for r in live.requests() if r["path"] == "/v3/users/smtp/view"]
    assert [v["status"] for v in views] == [429, 200]


def test_bad_api_key_is_one_line_naming_the_service(live, config, capsys, monkeypatch):
    monkeypatch.setenv("SMTP2GO_API_KEY", "api-" + "0" * 32)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: SMTP2GO: view ")
    assert "(HTTP 401)" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_token_fails_before_any_call(live, config, capsys, monkeypatch):
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN")
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}:11:1: supabase.access_token: ")
    assert "SUPABASE_ACCESS_TOKEN" in result.stderr
    assert live.requests() == []


def test_detailed_exitcode(live, config, capsys):
    assert run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(config)).exit_code == 2
    assert run_cli(capsys, "plan", "-c", str(config)).exit_code == 0


def test_apply_without_a_terminal_refuses_and_changes_nothing(live, config, capsys):
    result = run_cli(capsys, "apply", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: apply needs approval: run it in a terminal and answer yes, or pass --auto-approve\n"
    )
    assert live.writes() == []


def test_apply_asks_and_only_yes_approves(live, config, capsys, monkeypatch):
    monkeypatch.setattr("karto_smtp.cli.apply._stdin_is_terminal", lambda: True)
    monkeypatch.setattr("click.prompt", lambda *a, **k: "y")
    result = run_cli(capsys, "apply", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith("Error: Apply cancelled.\n")
    assert live.writes() == []
    monkeypatch.setattr("click.prompt", lambda *a, **k: "yes")
    assert run_cli(capsys, "apply", "-c", str(config)).exit_code == 0
    assert len(live.writes()) == 4


def test_json_plan_is_versioned_and_secret_free(live, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "correct-horse-battery-staple-42")
    path = write_config(
        tmp_path, BASIC_CONFIG.replace("password: generate", "password: env(KARTO_SMTP_PASSWORD)")
    )
    result = run_cli(capsys, "plan", "--format", "json", "-c", str(path))
    document = json.loads(result.stdout)
    assert (document["format_version"], document["command"], document["status"]) == (
        "2.0",
        "plan",
        "changes",
    )
    plan = document["plan"]
    assert plan["summary"] == {"add": 2, "change": 1, "destroy": 0, "unchanged": 0}
    user = next(c for c in plan["changes"] if c["kind"] == "smtp_user")
    assert user["requests"] == [
        {
            "method": "POST",
            "path": "users/smtp/add",
            "body": {
                "username": "karto",
                "description": "KARTO Supabase Auth [karto-smtp hand-off record, made at apply]",
                "status": "allowed",
                "email_password": {"$secret": 'smtp2go.smtp_user["karto"].password'},
            },
        }
    ]
    assert [h["decision"] for h in plan["handoffs"]] == ["create"]
    assert "correct-horse" not in result.stdout
    assert "Reading live state" in result.stderr


def test_markdown_plan_for_pull_requests(live, config, capsys):
    result = run_cli(capsys, "plan", "--format", "markdown", "-c", str(config))
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "### karto-smtp plan",
        "",
        "**Plan: 2 to add, 1 to change, 0 to destroy.**",
    ]
    assert (
        '| `+` | `smtp2go.smtp_user["karto"]` | create | `description`, `status`, `email_password` |'
        in lines
    )
    assert "<details><summary>Full plan</summary>" in lines


def test_target_limits_the_plan_and_warns(live, config, capsys):
    result = run_cli(capsys, "plan", "--target", "smtp2go.single_sender", "-c", str(config))
    assert result.stdout.startswith(
        "Warning: Resource targeting is in effect: this plan covers only smtp2go.single_sender"
    )
    assert result.stdout.endswith("Plan: 1 to add, 0 to change, 0 to destroy.\n")
    unknown = run_cli(capsys, "plan", "--target", "smtp2go.nothing", "-c", str(config))
    assert unknown.exit_code == 1
    assert "--target smtp2go.nothing matches nothing in karto.yaml" in unknown.stderr


def test_ensure_absent_deletes_only_what_the_file_names(live, config, capsys, tmp_path):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    live.smtp2go.post("/users/smtp/add", json={"username": "other-user"}).raise_for_status()
    removal = write_config(
        tmp_path,
        """\
version: 1
smtp2go:
  senders:
    emails:
      - address: karto.help@ro.ru
        ensure: absent
""",
    )
    live.clear_requests()
    plan = run_cli(capsys, "plan", "-c", str(removal))
    assert '  - smtp2go.single_sender["karto.help@ro.ru"]\n' in plan.stdout
    assert plan.stdout.endswith("Plan: 0 to add, 0 to change, 1 to destroy.\n")
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(removal)).exit_code == 0
    assert [w["path"] for w in live.writes()] == ["/v3/single_sender_emails/remove"]
    assert {u["username"] for u in live.users()} == {"karto", "other-user"}


def test_no_secret_reaches_any_output(live, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "correct-horse-battery-staple-42")
    path = write_config(
        tmp_path, BASIC_CONFIG.replace("password: generate", "password: env(KARTO_SMTP_PASSWORD)")
    )
    outputs = []
    for args in (
        ("plan",),
        ("plan", "--format", "json"),
        ("plan", "--format", "markdown"),
        ("apply", "--auto-approve"),
        ("apply", "--auto-approve", "--format", "json"),
    ):
        result = run_cli(capsys, *args, "-c", str(path))
        outputs.append(result.stdout + result.stderr)
    everything = "\n".join(outputs)
    for secret in (
        "correct-horse-battery-staple-42",
        digest(REF, "correct-horse-battery-staple-42"),
        live.env["SMTP2GO_API_KEY"],
        live.env["SUPABASE_ACCESS_TOKEN"],
    ):
        assert secret not in everything
    logged = json.dumps(live.requests())
    assert "correct-horse" not in logged


def test_the_example_reaches_no_changes(live, capsys, monkeypatch):
    example = Path(__file__).resolve().parents[2] / "examples" / "karto.yaml"
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(example)).exit_code == 0
    for sender in ("karto.help@ro.ru",):
        live.verify_sender(sender)
    result = run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(example))
    assert result.exit_code == 0
    assert result.stdout.endswith("No changes. SMTP2GO and Supabase match karto.yaml.\n")


def test_every_call_names_karto_smtp_in_its_user_agent(live, config, capsys):
    from karto_smtp import __version__

    assert run_cli(capsys, "plan", "-c", str(config)).exit_code == 0
    agents = {r["headers"].get("user-agent") for r in live.requests()}
    assert agents == {f"karto-smtp/{__version__}"}


def test_a_malformed_read_is_retried(live, config, capsys):
    live.fault(live.env["SUPABASE_API_URL"], kind="malformed", method="GET", times=1)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("Plan: 2 to add, 1 to change, 0 to destroy.\n")
