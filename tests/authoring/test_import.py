"""`karto-smtp import` end to end: a hand-made setup in the sandbox, import, then plan/apply."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.authoring.conftest import (
    FROM,
    HAND_MADE,
    MARKETING,
    PROD,
    SENDER,
    SENDGRID,
    STAGING,
    Services,
)
from tests.e2e.helpers import digest

USER = 'smtp2go.smtp_user["karto-auth"]'


def changed_fields(plan: dict) -> set[tuple[str, str, bool]]:
    return {
        (change["address"], field["field"], field["sensitive"])
        for change in plan["plan"]["changes"]
        for field in change["fields"]
    }


def test_first_plan_after_import_changes_nothing_and_one_apply_takes_the_password_over(
    services: Services, monkeypatch
):
    services.hand_made()
    services.clear_requests()

    result = services.cli("import", "--all", "-o", "karto.yaml")
    assert result.exit_code == 0, result.stderr
    assert services.writes() == []  # import only reads
    text = Path("karto.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=karto.schema.json"
    assert result.stderr.splitlines()[-3:] == [
        "Wrote karto.yaml: 2 SMTP users, 1 sender, 1 sender domain, 3 Supabase projects, "
        "6 template files.",
        "Next: `karto-smtp plan` changes no setting; it shows the password take-over.",
        "The first `karto-smtp apply` sets one new password for karto-auth on both sides, "
        "once (see the comment in the file).",
    ]
    data = yaml.safe_load(text)
    assert data["smtp2go"]["smtp_users"][0] == {
        "username": "karto-auth",
        "description": "Supabase: auth mail",
        "status": "allowed",
        "open_tracking_enabled": False,
        "click_tracking_enabled": False,
        "archive_enabled": False,
        "bounce_notifications": "from",
        "feedback_enabled": False,
        "rate_limit": {"value": 100, "period": "1 day"},
        "password": "generate",
    }
    assert "password" not in data["smtp2go"]["smtp_users"][1]  # nothing relays through it
    assert data["smtp2go"]["senders"]["emails"] == [{"address": SENDER}]
    assert [d["domain"] for d in data["smtp2go"]["senders"]["domains"]] == ["karto.example"]
    projects = {p["ref"]: p for p in data["supabase"]["projects"]}
    assert projects[PROD] == {
        "ref": PROD,
        "name": "karto-production",
        "auth": {
            "smtp": {
                "relay": {"smtp2go_user": "karto-auth", "port": 2525},
                "admin_email": FROM,
                "sender_name": "KARTO",
                "max_frequency": 60,
                "rate_limit_email_sent": 30,
            },
            "links": {"site_url": "http://localhost:3000"},
        },
    }
    # Three projects with the same (new-project) email settings declare them once.
    shared = data["supabase"]["defaults"]["auth"]["email"]
    assert shared["templates"]["confirmation"] == {
        "subject": "Confirm Your Signup",
        "content_path": "templates/confirmation.html",
    }
    assert projects[MARKETING]["auth"]["smtp"] == {
        "host": "smtp.sendgrid.net",
        "port": 587,
        "user": "apikey",
        "password": "env(MARKETING_SMTP_PASSWORD)",
        "admin_email": "news@karto.example",
        "max_frequency": 60,
        "rate_limit_email_sent": 100,
    }
    assert "kartosandboxprojecta" not in projects  # SMTP off: --all leaves it out

    assert services.cli("validate").exit_code == 0

    monkeypatch.setenv("MARKETING_SMTP_PASSWORD", SENDGRID)
    services.clear_requests()
    first = services.cli("plan", "--format", "json", "--detailed-exitcode")
    assert first.exit_code == 2, first.stdout
    plan = first.json()
    # Not one setting changes: only the password is taken over, on both sides, once.
    assert changed_fields(plan) == {
        (USER, "email_password", True),
        (f'supabase.auth_smtp["{PROD}"]', "smtp_pass", True),
        (f'supabase.auth_smtp["{STAGING}"]', "smtp_pass", True),
    }
    assert [h["decision"] for h in plan["plan"]["handoffs"]] == ["take-over", "none"]
    assert services.writes() == []

    applied = services.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    new = services.password_of("karto-auth")
    assert new != HAND_MADE
    assert new not in applied.stdout + applied.stderr
    for ref in (PROD, STAGING):
        assert services.auth_config(ref)["smtp_pass"] == digest(ref, new)
    assert services.auth_config(MARKETING)["smtp_pass"] == digest(MARKETING, SENDGRID)

    again = services.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0
    assert again.stdout.endswith("No changes. SMTP2GO and Supabase match karto.yaml.\n")


def test_one_project_brings_the_user_it_relays_through_and_the_senders(services: Services):
    services.hand_made()
    result = services.cli("import", "--project", PROD, "-o", "-")
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert [u["username"] for u in data["smtp2go"]["smtp_users"]] == ["karto-auth"]
    assert [p["ref"] for p in data["supabase"]["projects"]] == [PROD]
    assert result.stderr.splitlines()[-3] == (
        "Wrote stdout: 1 SMTP user, 1 sender, 1 sender domain, 1 Supabase project."
    )
    assert not Path("karto.yaml").exists()


def test_a_known_password_in_an_env_variable_compares_through_the_digest(
    services: Services, monkeypatch
):
    services.hand_made()
    result = services.cli(
        "import", "--project", PROD, "--password-env", "karto-auth=KARTO_SMTP_PASSWORD"
    )
    assert result.exit_code == 0, result.stderr
    user = yaml.safe_load(Path("karto.yaml").read_text())["smtp2go"]["smtp_users"][0]
    assert user["password"] == "env(KARTO_SMTP_PASSWORD)"
    assert "sets one new password for" not in result.stderr

    monkeypatch.setenv("KARTO_SMTP_PASSWORD", HAND_MADE)
    same = services.cli("plan", "--format", "json", "--detailed-exitcode")
    # The project holds it already; SMTP2GO gets it once more, with its hand-off record.
    assert (same.exit_code, changed_fields(same.json())) == (2, {(USER, "email_password", True)})
    assert services.cli("apply", "--auto-approve").exit_code == 0
    assert services.cli("plan", "--detailed-exitcode").exit_code == 0

    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "A-New-Password-For-Both-Sides-42")
    rotate = services.cli("plan", "--format", "json", "--detailed-exitcode")
    assert rotate.exit_code == 2
    assert changed_fields(rotate.json()) == {
        (USER, "email_password", True),
        (f'supabase.auth_smtp["{PROD}"]', "smtp_pass", True),
    }


def test_a_bare_password_env_names_the_only_password(services: Services):
    services.hand_made()
    result = services.cli("import", "--project", PROD, "--password-env", "SMTP_PASSWORD", "-o", "-")
    assert result.exit_code == 0, result.stderr
    user = yaml.safe_load(result.stdout)["smtp2go"]["smtp_users"][0]
    assert user["password"] == "env(SMTP_PASSWORD)"

    ambiguous = services.cli("import", "--all", "--password-env", "SMTP_PASSWORD", "-o", "-")
    assert ambiguous.exit_code == 1
    assert ambiguous.stdout == ""
    assert ambiguous.stderr.splitlines()[-1] == (
        "Error: --password-env SMTP_PASSWORD: a bare NAME needs exactly one password to name; "
        "write KEY=NAME (an SMTP user, or a project's ref or name)"
    )


def test_a_project_with_smtp_off_is_declared_off_when_asked_for(services: Services):
    services.project(PROD, "karto-production")
    result = services.cli("import", "--project", PROD)
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(Path("karto.yaml").read_text())
    assert "smtp2go" not in data
    auth = data["supabase"]["projects"][0]["auth"]
    assert auth["smtp"] == {"enabled": False}
    assert set(auth) == {"smtp", "email", "links"}
    plan = services.cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout


def test_an_explicit_host_on_smtp2go_with_an_unknown_user_stays_explicit(services: Services):
    services.hand_made()
    services.relay(STAGING, smtp_user="someone-else", smtp_host="mail-eu.smtp2go.com")
    result = services.cli("import", "--project", STAGING, "-o", "-")
    assert result.exit_code == 0, result.stderr
    smtp = yaml.safe_load(result.stdout)["supabase"]["projects"][0]["auth"]["smtp"]
    assert smtp["host"] == "mail-eu.smtp2go.com"
    assert smtp["user"] == "someone-else"
    assert smtp["password"] == "env(KARTO_STAGING_SMTP_PASSWORD)"
    assert (
        "# user someone-else is not an SMTP user on this SMTP2GO account: host, port, user and "
        "password stay explicit" in result.stdout
    )


def test_a_regional_relay_host_is_kept_in_the_relay(services: Services):
    services.hand_made()
    services.relay(PROD, smtp_host="mail-eu.smtp2go.com", smtp_port="465")
    result = services.cli("import", "--project", PROD, "-o", "-")
    smtp = yaml.safe_load(result.stdout)["supabase"]["projects"][0]["auth"]["smtp"]
    assert smtp["relay"] == {
        "smtp2go_user": "karto-auth",
        "port": 465,
        "host": "mail-eu.smtp2go.com",
    }


def test_a_live_setup_that_breaks_a_rule_is_written_and_named(services: Services):
    services.hand_made()
    services.relay(PROD, smtp_admin_email="someone@elsewhere.example")
    result = services.cli("import", "--project", PROD)
    assert result.exit_code == 1
    assert Path("karto.yaml").exists()
    lines = result.stderr.splitlines()
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 1
    assert errors[0].startswith(
        "karto.yaml:51:11: error: supabase.projects[0].auth.smtp.admin_email: sender "
        "someone@elsewhere.example is not a declared SMTP2GO sender"
    )
    assert Path("karto.yaml").read_text().splitlines()[50].strip() == (
        "admin_email: someone@elsewhere.example"
    )
    assert lines[-1] == (
        "Error: the live setup breaks 1 rule that karto-smtp enforces (above); fix karto.yaml "
        "before `karto-smtp plan`"
    )


def test_an_existing_file_is_refused_before_any_call_and_force_replaces_it(services: Services):
    services.hand_made()
    Path("karto.yaml").write_text("version: 1\n")
    services.clear_requests()
    refused = services.cli("import", "--all")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: karto.yaml already exists; pass --force to replace it, or -o another file "
        "(-o - prints it)\n"
    )
    assert services.requests() == []
    assert Path("karto.yaml").read_text() == "version: 1\n"

    forced = services.cli("import", "--all", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "karto-auth" in Path("karto.yaml").read_text()


def test_bad_selections_fail_with_one_line(services: Services, monkeypatch):
    services.hand_made()
    assert services.cli("import").stderr == (
        "Error: say what to import: --all, or --project REF and/or --smtp-user NAME\n"
    )
    assert services.cli("import", "--project", "Prod").stderr == (
        "Error: --project Prod: not a project ref (exactly 20 lowercase letters, from "
        "supabase.com/dashboard/project/<ref>)\n"
    )
    unknown = services.cli("import", "--smtp-user", "karto", "-o", "-")
    assert (unknown.exit_code, unknown.stdout) == (1, "")
    assert unknown.stderr.splitlines()[-1] == (
        "Error: --smtp-user karto: no such SMTP user on this SMTP2GO account "
        "(found: karto-auth, newsletter)"
    )
    missing = services.cli("import", "--project", "abcdefghijabcdefghij", "-o", "-")
    assert missing.exit_code == 1
    assert missing.stderr.splitlines()[-1] == (
        "Error: Supabase: read project abcdefghijabcdefghij failed (HTTP 404): Project not found"
    )
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN")
    services.clear_requests()
    no_token = services.cli("import", "--all")
    assert no_token.stderr.splitlines()[-1] == (
        "Error: the Supabase access token is not set: export SUPABASE_ACCESS_TOKEN "
        "(Supabase dashboard > Account > Access Tokens)"
    )
    assert services.requests() == []
    assert not Path("karto.yaml").exists()


@pytest.mark.parametrize("variable", ["SUPABASE_API_URL", "SMTP2GO_API_URL"])
def test_an_unusable_api_url_is_refused_as_plan_refuses_it(
    services: Services, monkeypatch, variable: str
):
    services.hand_made()
    services.clear_requests()
    monkeypatch.setenv(variable, "https://user:pw@api.example/v1")
    refused = services.cli("import", "--all", "-o", "-")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.splitlines()[-1] == (
        f"Error: environment variable {variable}: contains a user name or password before "
        "'@'; remove them: credentials come from the API key or token settings"
    )
    assert "pw" not in refused.stderr
    assert services.requests() == []


# -- Auth email settings ----------------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFIRMATION = (EXAMPLES / "templates" / "confirmation.html").read_text(encoding="utf-8")
MAGIC_LINK = (EXAMPLES / "templates" / "magic_link.html").read_text(encoding="utf-8")
NOTIFICATION = "<p>Пароль от {{ .Email }} изменён.</p>\r\n"


def russian_email(services: Services) -> None:
    """Templates set by hand through the Management API, production's confirmation edited."""
    for ref, site in ((PROD, "https://karto.app"), (STAGING, "https://staging.karto.app")):
        services.patch_auth(
            {
                "mailer_subjects_confirmation": "Подтвердите регистрацию в KARTO",
                "mailer_templates_confirmation_content": CONFIRMATION
                + ("" if ref == STAGING else "<p>KARTO</p>\n"),
                "mailer_subjects_magic_link": "Ваша ссылка для входа в KARTO",
                "mailer_templates_magic_link_content": MAGIC_LINK,
                "mailer_notifications_password_changed_enabled": True,
                "mailer_subjects_password_changed_notification": "Пароль изменён",
                "mailer_templates_password_changed_notification_content": NOTIFICATION,
                "mailer_otp_length": 8,
                "site_url": site,
                "uri_allow_list": f"{site}/**, {site}/welcome",
            },
            ref,
        )


def test_import_writes_the_live_templates_beside_karto_yaml_and_plans_no_email_change(
    services: Services,
):
    services.hand_made()
    russian_email(services)

    result = services.cli("import", "--project", PROD, "--project", STAGING)
    assert result.exit_code == 0, result.stderr
    assert "2 Supabase projects, 8 template files." in result.stderr
    files = {str(p): p.read_bytes() for p in Path("templates").rglob("*.html")}
    # Production and staging hold different confirmation HTML: one folder each.
    assert (
        files["templates/karto-production/confirmation.html"]
        == (CONFIRMATION + "<p>KARTO</p>\n").encode()
    )
    assert files["templates/karto-staging/confirmation.html"] == CONFIRMATION.encode()
    assert files["templates/magic_link.html"] == MAGIC_LINK.encode()
    # The exact bytes, carriage returns too.
    assert files["templates/password_changed.html"] == NOTIFICATION.encode()
    data = yaml.safe_load(Path("karto.yaml").read_text())
    assert "defaults" not in data["supabase"]
    prod = next(p for p in data["supabase"]["projects"] if p["ref"] == PROD)["auth"]
    assert prod["email"]["templates"]["confirmation"] == {
        "subject": "Подтвердите регистрацию в KARTO",
        "content_path": "templates/karto-production/confirmation.html",
    }
    assert prod["email"]["notifications"]["password_changed"] == {
        "enabled": True,
        "subject": "Пароль изменён",
        "content_path": "templates/password_changed.html",
    }
    assert prod["email"]["notifications"]["email_changed"] == {"enabled": False}
    assert prod["email"]["otp"] == {"expiry": 3600, "length": 8}
    assert prod["email"]["secure_email_change"] is True
    assert prod["links"] == {
        "site_url": "https://karto.app",
        "redirect_urls": ["https://karto.app/**", "https://karto.app/welcome"],
    }

    plan = services.cli("plan", "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    # Only the password take-over: not one subject, template, switch or link.
    assert {address for address, _f, _s in changed_fields(plan.json())} == {
        USER,
        f'supabase.auth_smtp["{PROD}"]',
        f'supabase.auth_smtp["{STAGING}"]',
    }

    # An edited template file plans as a change of that project's content only.
    edited = Path("templates/karto-staging/confirmation.html")
    edited.write_text(CONFIRMATION.replace("Подтвердить адрес", "Подтвердить"), encoding="utf-8")
    again = services.cli("plan", "--format", "json")
    assert (
        f'supabase.auth_email["{STAGING}"]',
        "mailer_templates_confirmation_content",
        False,
    ) in (changed_fields(again.json()))


def test_projects_with_the_same_email_settings_share_them_under_defaults(services: Services):
    services.hand_made()
    for ref in (PROD, STAGING, MARKETING):
        services.patch_auth({"mailer_subjects_magic_link": "Ваша ссылка"}, ref)
    result = services.cli("import", "--all")
    assert result.exit_code == 0, result.stderr
    text = Path("karto.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["supabase"]["defaults"]["auth"]["email"]["templates"]["magic_link"] == {
        "subject": "Ваша ссылка",
        "content_path": "templates/magic_link.html",
    }
    assert all("email" not in p["auth"] for p in data["supabase"]["projects"])
    assert "# Every imported project has the same email settings" in text


def test_printed_to_stdout_the_templates_are_inline(services: Services):
    services.hand_made()
    russian_email(services)
    result = services.cli("import", "--project", PROD, "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert not Path("templates").exists()
    email = yaml.safe_load(result.stdout)["supabase"]["projects"][0]["auth"]["email"]
    assert email["templates"]["magic_link"]["content"] == MAGIC_LINK
    assert email["notifications"]["password_changed"]["content"] == NOTIFICATION
    assert "      content: |\n" in result.stdout  # a block a person can read


def test_existing_template_files_are_refused_and_force_replaces_them(services: Services):
    services.hand_made()
    russian_email(services)
    Path("templates").mkdir()
    Path("templates/magic_link.html").write_text("mine\n")
    refused = services.cli("import", "--project", PROD)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        "Error: templates/magic_link.html already exists; pass --force to replace "
        "the template files, or -o a file in another folder"
    )
    assert not Path("karto.yaml").exists()
    assert Path("templates/magic_link.html").read_text() == "mine\n"

    forced = services.cli("import", "--project", PROD, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert Path("templates/magic_link.html").read_text(encoding="utf-8") == MAGIC_LINK


def test_a_live_template_auth_cannot_parse_is_written_and_named(services: Services):
    services.hand_made()
    services.patch_auth({"mailer_templates_magic_link_content": "<p>{{ if .Token }}</p>\n"}, PROD)
    result = services.cli("import", "--project", PROD)
    assert result.exit_code == 1
    assert Path("templates/magic_link.html").read_text() == "<p>{{ if .Token }}</p>\n"
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [e.split(" error: ")[0] for e in errors] == ["templates/magic_link.html:2:1:"]
    assert "unexpected EOF" in errors[0]
