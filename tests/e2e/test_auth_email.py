"""Auth email as code against the sandbox: templates, subjects, notifications and links.

Undeclared Auth settings stay untouched (a before/after snapshot of the whole config); a
one-line template edit plans as a one-line diff; SMTP settings are written before templates.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.cli_runner import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
STAGING, PRODUCTION = "kartostagingabcdefgh", "kartoprodabcdefghijk"


@pytest.fixture
def example(live, tmp_path):
    for ref, name in ((STAGING, "karto-staging"), (PRODUCTION, "karto-production")):
        live.supabase_admin.post("/_sandbox/projects", json={"ref": ref, "name": name})
    shutil.copytree(EXAMPLES / "templates", tmp_path / "templates")
    path = tmp_path / "karto.yaml"
    path.write_text((EXAMPLES / "karto-templates.yaml").read_text())
    live.clear_requests()
    return path


def test_templates_subjects_and_links_reach_both_projects_and_nothing_else(live, capsys, example):
    before = {ref: live.auth_config(ref) for ref in (STAGING, PRODUCTION)}
    result = run_cli(capsys, "apply", "--auto-approve", "-c", str(example))
    assert result.exit_code == 0, result.stdout + result.stderr
    confirmation = (example.parent / "templates" / "confirmation.html").read_text()
    for ref, site in ((STAGING, "https://staging.karto.app"), (PRODUCTION, "https://karto.app")):
        after = live.auth_config(ref)
        assert after["mailer_subjects_confirmation"] == "Подтвердите регистрацию в KARTO"
        assert after["mailer_templates_confirmation_content"] == confirmation
        assert after["mailer_notifications_password_changed_enabled"] is True
        assert after["site_url"] == site
        assert after["uri_allow_list"] == f"{site}/**"
        changed = {k for k in after if after[k] != before[ref][k]}
        assert changed == {
            "smtp_host",
            "smtp_port",
            "smtp_user",
            "smtp_pass",
            "smtp_admin_email",
            "smtp_sender_name",
            "rate_limit_email_sent",
            "mailer_subjects_confirmation",
            "mailer_templates_confirmation_content",
            "mailer_subjects_magic_link",
            "mailer_templates_magic_link_content",
            "mailer_subjects_password_changed_notification",
            "mailer_templates_password_changed_notification_content",
            "mailer_notifications_password_changed_enabled",
            "site_url",
            "uri_allow_list",
        } - {k for k in ("mailer_otp_exp", "mailer_otp_length") if after[k] == before[ref][k]}
    # SMTP goes first for each project: templates need custom SMTP on.
    patches = [w for w in live.writes() if w["method"] == "PATCH" and STAGING in w["path"]]
    assert "smtp_host" in patches[0]["body"]
    assert "mailer_subjects_confirmation" in patches[-1]["body"]
    live.verify_sender("karto.help@ro.ru")
    assert run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(example)).exit_code == 0


def test_a_one_line_template_edit_plans_as_a_one_line_diff(live, capsys, example):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(example)).exit_code == 0
    template = example.parent / "templates" / "confirmation.html"
    template.write_text(template.read_text().replace("Подтвердить адрес</a>", "Подтвердить</a>"))
    plan = run_cli(capsys, "plan", "-c", str(example))
    assert plan.exit_code == 0
    block = plan.stdout.split(f'~ supabase.auth_email["{STAGING}"] {{\n', 1)[1].split("    }", 1)[0]
    assert block == (
        "      ~ mailer_templates_confirmation_content =\n"
        "          @@ -3,5 +3,5 @@\n"
        "           <p>Здравствуйте{{ with .Data.name }}, {{ . }}{{ end }}!</p>\n"
        "           <p>Чтобы закончить регистрацию в KARTO, подтвердите адрес {{ .Email }}:</p>\n"
        '          -<p><a href="{{ .ConfirmationURL }}">Подтвердить адрес</a></p>\n'
        '          +<p><a href="{{ .ConfirmationURL }}">Подтвердить</a></p>\n'
        "           <p>Или введите код в приложении: <strong>{{ .Token }}</strong></p>\n"
        "           <p>Если вы не регистрировались в KARTO, просто удалите это письмо.</p>\n"
        "        # (10 unchanged fields hidden)\n"
    )
    assert plan.stdout.endswith("Plan: 0 to add, 2 to change, 0 to destroy.\n")


def test_turning_smtp_off_says_templates_may_stop_applying(live, capsys, example):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(example)).exit_code == 0
    off = example.read_text().replace(
        "      smtp:\n        relay:", "      smtp:\n        enabled: false\n        relay:"
    )
    example.write_text(off)
    plan = run_cli(capsys, "plan", "-c", str(example))
    assert plan.stdout.count("the project's email templates may stop applying") == 2


def test_templates_without_custom_smtp_get_a_note(live, capsys, tmp_path):
    live.supabase_admin.post("/_sandbox/projects", json={"ref": STAGING, "name": "karto-staging"})
    path = tmp_path / "karto.yaml"
    path.write_text(
        f"""\
version: 1
supabase:
  projects:
    - ref: {STAGING}
      name: karto-staging
      auth:
        email:
          templates:
            confirmation:
              subject: "Подтвердите регистрацию"
"""
    )
    plan = run_cli(capsys, "plan", "-c", str(path))
    assert "custom SMTP is off and karto.yaml does not turn it on" in plan.stdout


def test_the_russian_subject_arrives_with_the_real_link(live, capsys, example):
    """The issue's "done when": apply the example, check through Supabase, read the mailbox."""
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(example)).exit_code == 0
    live.verify_sender("karto.help@ro.ru")
    address = "new.user@example.com"

    check = run_cli(
        capsys, "check", "-c", str(example), "--target", "karto-production",
        "--via-supabase", address, "--format", "json",
    )  # fmt: skip
    # ro.ru, a free mailbox, cannot align with DMARC: a warning (exit 1), nothing failed.
    assert json.loads(check.stdout)["check"]["summary"]["fail"] == 0, check.stdout
    rows = json.loads(check.stdout)["check"]["rows"]
    [row] = [r for r in rows if r["link"] == "supabase_mail"]
    assert row["status"] == "pass"
    assert row["detail"] == (
        "Auth answered 200: OK; it sent a mail to new.user@example.com through "
        "mail.smtp2go.com:587: look for a sign-up confirmation with the subject "
        '"Подтвердите регистрацию в KARTO" if the address is new, else a magic link with the '
        'subject "Ваша ссылка для входа в KARTO", from karto.help@ro.ru'
    )

    mailbox = run_cli(capsys, "sandbox", "mail", "--to", address, "--wait", "5", "--body")
    assert mailbox.exit_code == 0, mailbox.stderr
    heading, body = mailbox.stdout.split("\n", 1)
    assert heading.endswith(
        f"  karto  KARTO <karto.help@ro.ru> -> {address}  'Подтвердите регистрацию в KARTO'"
    )
    assert "{{" not in body
    assert "<h2>Подтвердите регистрацию</h2>" in body
    project_url = live.env["SUPABASE_PROJECT_URL"].replace("{ref}", PRODUCTION)
    match = re.search(r'<p><a href="([^"]+)">Подтвердить адрес</a></p>', body)
    assert match, body
    assert re.fullmatch(
        rf"{re.escape(project_url)}/auth/v1/verify\?token=[0-9a-f]{{56}}&amp;type=signup"
        "&amp;redirect_to=https://karto.app",
        match.group(1),
    )
    # The link is the real one: following it signs the new user in on the project's site.
    followed = httpx.get(html.unescape(match.group(1)), timeout=10)
    assert followed.status_code == 303
    assert followed.headers["Location"].startswith("https://karto.app#access_token=")
