"""One test per lint rule, through the real CLI, asserting the exact lines and exit code."""

from __future__ import annotations

from pathlib import Path

from tests.config.conftest import FIXTURES

LINT = FIXTURES / "lint"
EMAIL_HINT = (
    "use the SMTP username from SMTP2GO > Sending > SMTP Users, not an email; "
    'an email here is the usual cause of "535 Authentication failed" [username-is-email]'
)
FILE_HINT = "fix the path; file() paths are relative to the config file's folder"
PORTS = "use 587, 2525, 8025, 25 or 80 (STARTTLS), 465, 8465 or 443 (TLS) [smtp2go-port]"
NOT_VERIFIED = 'SMTP2GO refuses its mail with "550 From header sender domain not verified"'
SMTP = "supabase.projects[0].auth.smtp"


def validate(run, name: str, *extra: str):
    return run("validate", "-c", name, *extra, cwd=LINT)


def test_username_is_email(run) -> None:
    result = validate(run, "username_is_email.yaml")
    assert result.code == 1
    assert result.err_lines == [
        "username_is_email.yaml:5:7: error: smtp2go.smtp_users[0].username: "
        f"'help@karto.example' looks like an email address; {EMAIL_HINT}",
        f"username_is_email.yaml:15:11: error: {SMTP}.user: "
        f"'owner@karto.example' looks like an email address; {EMAIL_HINT}",
        "Error: username_is_email.yaml: invalid (2 errors)",
    ]


def test_username_is_email_ignores_absent_users_and_other_relays(run, tmp_path) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\n"
        "smtp2go:\n  smtp_users: [{username: old@karto.example, ensure: absent}]\n"
        "supabase:\n  projects:\n    - ref: kartoprodabcdefghijk\n      name: p\n"
        "      auth: {smtp: {host: smtp.sendgrid.net, port: 587, user: me@karto.example,"
        " password: env(SMTP_PASSWORD), admin_email: a@karto.example}}\n"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


def test_secret_whitespace_from_file(run) -> None:
    result = validate(run, "secret_whitespace.yaml")
    assert result.code == 1
    assert result.err_lines == [
        "secret_whitespace.yaml:6:7: error: smtp2go.smtp_users[0].password: the value of "
        "file(padded_password.txt) has leading or trailing whitespace; remove it; SMTP2GO and "
        "Supabase compare secrets byte for byte [secret-whitespace]",
        "Error: secret_whitespace.yaml: invalid (1 error)",
    ]
    assert "s3cr3t" not in result.err


def test_secret_whitespace_from_env(run, monkeypatch) -> None:
    monkeypatch.setenv("SMTP2GO_API_KEY", "api-key-with-newline\n")
    result = validate(run, "secret_whitespace.yaml")
    assert result.err_lines[0] == (
        "secret_whitespace.yaml:3:3: error: smtp2go.api_key: the value of env(SMTP2GO_API_KEY) "
        "has leading or trailing whitespace; remove it; SMTP2GO and Supabase compare secrets "
        "byte for byte [secret-whitespace]"
    )
    assert "api-key-with" not in result.err


UNAVAILABLE_ENV = (
    "secret_unavailable.yaml:5:7: {0}: smtp2go.smtp_users[0].password: environment "
    "variable KARTO_SMTP_PASSWORD is not set; export KARTO_SMTP_PASSWORD before running "
    "karto-smtp [secret-unavailable]"
)
UNAVAILABLE_FILE = (
    "secret_unavailable.yaml:7:7: {0}: smtp2go.smtp_users[1].password: secret file "
    f"missing/password.txt does not exist; {FILE_HINT} [secret-unavailable]"
)
NOT_A_FILE = (
    "secret_unavailable.yaml:9:3: error: supabase.access_token: secret file . is a "
    f"directory; {FILE_HINT} [secret-unavailable]"
)


def test_secret_not_here_is_a_note_but_a_wrong_file_stays_an_error(run, monkeypatch) -> None:
    monkeypatch.delenv("KARTO_SMTP_PASSWORD")
    result = validate(run, "secret_unavailable.yaml")
    assert result.code == 1
    assert result.err_lines == [
        UNAVAILABLE_ENV.format("note"),
        UNAVAILABLE_FILE.format("note"),
        NOT_A_FILE,
        "Error: secret_unavailable.yaml: invalid (1 error)",
    ]


def test_require_secrets_makes_every_unreadable_secret_an_error(run, monkeypatch) -> None:
    monkeypatch.delenv("KARTO_SMTP_PASSWORD")
    result = validate(run, "secret_unavailable.yaml", "--require-secrets")
    assert result.code == 1
    assert result.err_lines == [
        UNAVAILABLE_ENV.format("error"),
        UNAVAILABLE_FILE.format("error"),
        NOT_A_FILE,
        "Error: secret_unavailable.yaml: invalid (3 errors)",
    ]


def test_validate_needs_no_credentials(run, monkeypatch) -> None:
    monkeypatch.delenv("SMTP2GO_API_KEY")
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN")
    result = run("validate", "-c", "examples/karto.yaml", cwd=FIXTURES.parents[2])
    assert result.code == 0
    assert result.err_lines[:2] == [
        "examples/karto.yaml:8:1: note: smtp2go.api_key: environment variable SMTP2GO_API_KEY "
        "is not set; export SMTP2GO_API_KEY (the default when api_key is omitted) before "
        "running karto-smtp [secret-unavailable]",
        "examples/karto.yaml:24:1: note: supabase.access_token: environment variable "
        "SUPABASE_ACCESS_TOKEN is not set; export SUPABASE_ACCESS_TOKEN (the default when "
        "access_token is omitted) before running karto-smtp [secret-unavailable]",
    ]
    assert result.out == (
        "examples/karto.yaml: valid (2 SMTP2GO objects, 1 Supabase project; 2 warnings; 2 notes)\n"
    )


def test_default_api_key_and_token_env_missing_with_require_secrets(run, monkeypatch) -> None:
    monkeypatch.delenv("SMTP2GO_API_KEY")
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN")
    result = run(
        "validate", "--require-secrets", "-c", "examples/karto.yaml", cwd=FIXTURES.parents[2]
    )
    assert result.code == 1
    assert result.err_lines[:2] == [
        "examples/karto.yaml:8:1: error: smtp2go.api_key: environment variable SMTP2GO_API_KEY "
        "is not set; export SMTP2GO_API_KEY (the default when api_key is omitted) before "
        "running karto-smtp [secret-unavailable]",
        "examples/karto.yaml:24:1: error: supabase.access_token: environment variable "
        "SUPABASE_ACCESS_TOKEN is not set; export SUPABASE_ACCESS_TOKEN (the default when "
        "access_token is omitted) before running karto-smtp [secret-unavailable]",
    ]
    assert result.err_lines[-1] == "Error: examples/karto.yaml: invalid (2 errors, 2 warnings)"


def test_plan_still_refuses_an_unset_secret_before_any_call(run, monkeypatch) -> None:
    monkeypatch.delenv("SMTP2GO_API_KEY")
    result = run("plan", "-c", "examples/karto.yaml", cwd=FIXTURES.parents[2])
    assert result.code == 1
    assert result.err_lines[-1] == (
        "Error: examples/karto.yaml:8:1: smtp2go.api_key: environment variable SMTP2GO_API_KEY "
        "is not set; export SMTP2GO_API_KEY (the default when api_key is omitted) before "
        "running karto-smtp [secret-unavailable]"
    )


def test_empty_env_var(run, monkeypatch) -> None:
    # CI systems pass an undefined secret as an empty variable: the same as unset.
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "")
    message = (
        "secret_unavailable.yaml:5:7: {0}: smtp2go.smtp_users[0].password: environment "
        "variable KARTO_SMTP_PASSWORD is empty; export KARTO_SMTP_PASSWORD before running "
        "karto-smtp [secret-unavailable]"
    )
    assert validate(run, "secret_unavailable.yaml").err_lines[0] == message.format("note")
    result = validate(run, "secret_unavailable.yaml", "--require-secrets")
    assert result.err_lines[0] == message.format("error")


def test_secret_file_permission_denied(run, tmp_path, monkeypatch) -> None:
    secret = tmp_path / "key"
    secret.write_text("api-key\n")
    from karto_smtp import secrets

    real_read = secrets.read_small_file

    def read_small_file(path: Path, limit: int) -> bytes:
        # Root reads any file, so simulate the EACCES a normal user would get.
        if path.name == "key":
            raise PermissionError(13, "Permission denied")
        return real_read(path, limit)

    monkeypatch.setattr(secrets, "read_small_file", read_small_file)
    (tmp_path / "k.yaml").write_text("version: 1\nsmtp2go:\n  api_key: file(key)\n")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.err_lines == [
        "k.yaml:3:3: error: smtp2go.api_key: secret file key is not readable "
        f"(permission denied); {FILE_HINT} [secret-unavailable]",
        "Error: k.yaml: invalid (1 error)",
    ]


def test_smtp2go_port(run) -> None:
    result = validate(run, "smtp2go_port.yaml")
    assert result.code == 1
    assert result.err_lines == [
        f"smtp2go_port.yaml:11:40: error: {SMTP}.relay.port: SMTP2GO does not serve port 2526; "
        + PORTS,
        "Error: smtp2go_port.yaml: invalid (1 error)",
    ]


def test_smtp2go_host(run) -> None:
    result = validate(run, "smtp2go_host.yaml")
    assert result.code == 1
    assert result.err_lines == [
        f"smtp2go_host.yaml:10:11: error: {SMTP}.host: 'smtp.smtp2go.com' is not an SMTP2GO "
        "relay host; use one of mail-au.smtp2go.com, mail-eu.smtp2go.com, "
        "mail-eu2.smtp2go.com, mail-us.smtp2go.com, mail.smtp2go.com [smtp2go-host]",
        "Error: smtp2go_host.yaml: invalid (1 error)",
    ]


def test_sender_not_declared(run) -> None:
    """Parent domain and single sender cover; absent senders and look-alike domains don't."""
    result = validate(run, "sender_not_declared.yaml")
    assert result.code == 1
    assert result.err_lines == [
        "sender_not_declared.yaml:17:51: error: supabase.projects[2].auth.smtp.admin_email: "
        f"sender old@karto.example is not a declared SMTP2GO sender; {NOT_VERIFIED}; add it "
        "under smtp2go.senders.emails, or karto.example under smtp2go.senders.domains "
        "[sender-not-declared]",
        "sender_not_declared.yaml:20:51: error: supabase.projects[3].auth.smtp.admin_email: "
        f"sender a@badexample.org is not a declared SMTP2GO sender; {NOT_VERIFIED}; add it "
        "under smtp2go.senders.emails, or badexample.org under smtp2go.senders.domains "
        "[sender-not-declared]",
        "Error: sender_not_declared.yaml: invalid (2 errors)",
    ]


QUOTA_WARNING = (
    "quota.yaml:20:11: {sev}: supabase.projects[1].auth.smtp.rate_limit_email_sent: Supabase "
    "may send up to 23040 emails a month through SMTP2GO (staging: 2/hour, prod: 30/hour; "
    "32 * 24 * 30 = 23040), more than the free plan's 1000 a month; lower "
    "rate_limit_email_sent to 1/hour in total, or set smtp2go.plan to your plan and its "
    "monthly_quota [rate-limit-exceeds-quota]"
)


def test_quota_is_a_warning(run) -> None:
    result = validate(run, "quota.yaml")
    assert result.code == 0
    assert result.err_lines == [QUOTA_WARNING.format(sev="warning")]
    assert result.out == "quota.yaml: valid (2 SMTP2GO objects, 3 Supabase projects; 1 warning)\n"


def test_strict_turns_warnings_into_errors(run) -> None:
    result = validate(run, "quota.yaml", "--strict")
    assert result.code == 1
    assert result.err_lines == [
        QUOTA_WARNING.format(sev="error"),
        "Error: quota.yaml: invalid (1 error)",
    ]
    assert result.out == ""


def test_quota_respects_declared_plan(run, tmp_path) -> None:
    text = (
        (LINT / "quota.yaml")
        .read_text()
        .replace("smtp2go:\n", "smtp2go:\n  plan: {name: starter, monthly_quota: 23040}\n", 1)
    )
    (tmp_path / "quota.yaml").write_text(text)
    result = run("validate", "-c", "quota.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


def test_out_of_range(run) -> None:
    result = validate(run, "out_of_range.yaml")
    assert result.code == 1
    assert result.err_lines == [
        f"out_of_range.yaml:13:11: error: {SMTP}.max_frequency: 40000 is outside the Supabase "
        "API's range 0..32767; use 0 to 32767 (seconds between emails to one user) "
        "[out-of-range]",
        f"out_of_range.yaml:14:11: error: {SMTP}.rate_limit_email_sent: 0 is outside the "
        "Supabase API's range 1..2147483647; use 1 to 2147483647 (emails per hour) "
        "[out-of-range]",
        "Error: out_of_range.yaml: invalid (2 errors)",
    ]


def test_duplicates(run) -> None:
    result = validate(run, "duplicates.yaml")
    assert result.code == 1
    fix = "declare each once; merge the two entries"
    assert result.err_lines == [
        "duplicates.yaml:6:9: error: smtp2go.senders.emails[1].address: duplicate sender "
        f"'Help@Karto.example' (first at duplicates.yaml:5:9); {fix} [duplicate-sender]",
        "duplicates.yaml:9:9: error: smtp2go.senders.domains[1].domain: duplicate sender "
        f"domain 'karto.example' (first at duplicates.yaml:8:9); {fix} [duplicate-sender]",
        "duplicates.yaml:12:7: error: smtp2go.smtp_users[1].username: duplicate SMTP user "
        f"'karto' (first at duplicates.yaml:11:7); {fix} [duplicate-username]",
        "duplicates.yaml:16:8: error: supabase.projects[1].ref: duplicate project ref "
        f"'kartoprodabcdefghijk' (first at duplicates.yaml:15:8); {fix} [duplicate-ref]",
        "Error: duplicates.yaml: invalid (4 errors)",
    ]


def test_relay_user_problems(run) -> None:
    result = validate(run, "relay_user.yaml")
    assert result.code == 1
    user = "auth.smtp.relay.smtp2go_user"
    assert result.err_lines == [
        f"relay_user.yaml:15:29: error: supabase.projects[0].{user}: SMTP2GO user 'kart0' is "
        "not declared; did you mean 'karto'? [relay-unknown-user]",
        f"relay_user.yaml:18:29: error: supabase.projects[1].{user}: SMTP2GO user 'retired' is "
        "declared with ensure: absent; relay through a present user, or keep this one "
        "(ensure: present) [relay-user-absent]",
        f"relay_user.yaml:21:29: error: supabase.projects[2].{user}: SMTP2GO user 'nopass' has "
        "no password, and Supabase needs it; add password: generate (or env(NAME)) to "
        "smtp2go.smtp_users[2] [relay-no-password]",
        "Error: relay_user.yaml: invalid (3 errors)",
    ]


def test_relay_without_smtp2go_section(run) -> None:
    result = validate(run, "relay_no_account.yaml")
    assert result.code == 1
    assert result.err_lines == [
        f"relay_no_account.yaml:6:29: error: {SMTP}.relay.smtp2go_user: SMTP2GO user 'karto' "
        "is not declared; declare it under smtp2go.smtp_users [relay-unknown-user]",
        "Error: relay_no_account.yaml: invalid (1 error)",
    ]


def test_relay_conflict(run) -> None:
    result = validate(run, "relay_conflict.yaml")
    assert result.code == 1
    assert result.err_lines == [
        f"relay_conflict.yaml:12:11: error: {SMTP}.host: relay cannot be combined with host, "
        "password; remove host, password (the relay's SMTP2GO user supplies them), or remove "
        "relay [relay-conflict]",
        "Error: relay_conflict.yaml: invalid (1 error)",
    ]


def test_smtp_incomplete(run) -> None:
    result = validate(run, "smtp_incomplete.yaml")
    assert result.code == 1
    assert result.err_lines == [
        f"smtp_incomplete.yaml:7:9: error: {SMTP}: enabled SMTP needs host, port, user and "
        "password; missing: port, password; add them, or write relay: {smtp2go_user: NAME} "
        "to use a declared SMTP2GO user [smtp-incomplete]",
        f"smtp_incomplete.yaml:7:9: error: {SMTP}: enabled SMTP needs admin_email (the From "
        "address); add admin_email: a verified sender address [smtp-incomplete]",
        "Error: smtp_incomplete.yaml: invalid (2 errors)",
    ]


def test_valid_multi_environment_file(run) -> None:
    result = run("validate", "-c", "valid.yaml")
    assert (result.code, result.err) == (0, "")
    assert result.out == "valid.yaml: valid (4 SMTP2GO objects, 3 Supabase projects)\n"


def test_lint_api_returns_findings() -> None:
    from karto_smtp.config import LintFinding, lint, load_config

    loaded = load_config(LINT / "quota.yaml", check=False)
    findings = lint(loaded)
    assert [f.code for f in findings] == ["rate-limit-exceeds-quota"]
    finding = findings[0]
    assert isinstance(finding, LintFinding)
    assert finding.severity == "warning"
    assert finding.location == f"{LINT / 'quota.yaml'}:20:11"
    assert finding.path == "supabase.projects[1].auth.smtp.rate_limit_email_sent"
    assert finding.hint.startswith("lower rate_limit_email_sent to 1/hour")
    checked = load_config(LINT / "quota.yaml")
    assert checked.warnings == findings


DELIVERABILITY = """\
version: 1
smtp2go:
  senders:
    emails:
      - address: karto.help@gmail.com
  smtp_users:
    - username: karto
      password: generate
      open_tracking_enabled: true
      click_tracking_enabled: true
      feedback_enabled: true
    - username: newsletter
      password: generate
      click_tracking_enabled: true
supabase:
  projects:
    - ref: kartoprodabcdefghijk
      name: karto-production
      auth:
        smtp:
          relay: {smtp2go_user: karto}
          admin_email: karto.help@gmail.com
"""
AUTH_USER = "SMTP user karto relays Supabase Auth mail (karto-production)"
TRACKING_OFF = "(Supabase's docs ask to turn email tracking off for auth mail)"


def test_deliverability_warnings_name_the_fix_and_strict_makes_them_errors(run, tmp_path) -> None:
    (tmp_path / "k.yaml").write_text(DELIVERABILITY)
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 0
    notes = [line for line in result.err_lines if ": note: " not in line]
    assert notes == [
        "k.yaml:9:7: warning: smtp2go.smtp_users[0].open_tracking_enabled: "
        f"{AUTH_USER}, and open tracking rewrites its HTML to add a tracking image; "
        f"set open_tracking_enabled: false {TRACKING_OFF} [tracking-rewrites-auth-links]",
        "k.yaml:10:7: warning: smtp2go.smtp_users[0].click_tracking_enabled: "
        f"{AUTH_USER}, and click tracking rewrites every link in it: the confirmation and magic "
        "links then go through SMTP2GO's tracking domain instead of reaching the user intact; "
        f"set click_tracking_enabled: false {TRACKING_OFF} [tracking-rewrites-auth-links]",
        "k.yaml:11:7: warning: smtp2go.smtp_users[0].feedback_enabled: "
        f"{AUTH_USER}, and feedback_enabled adds an unsubscribe footer to it: sign-up and "
        "password mail then looks like bulk mail and scores higher as spam; set "
        "feedback_enabled: false for the SMTP user that relays auth mail "
        "[feedback-footer-on-auth-mail]",
        "k.yaml:22:11: warning: supabase.projects[0].auth.smtp.admin_email: "
        "karto.help@gmail.com is a free mailbox at gmail.com: SMTP2GO cannot sign mail as "
        "gmail.com, so it cannot pass DMARC alignment (RFC 7489 section 3.1) and receivers that "
        "enforce gmail.com's policy put it in spam or refuse it; send from a domain you own: "
        "declare it under smtp2go.senders.domains, publish its records (`karto-smtp dns`) and "
        "set admin_email to an address there [from-free-mailbox]",
    ]
    # The newsletter user relays no auth mail: its click tracking is its own business.
    assert "smtp_users[1]" not in result.err
    strict = run("validate", "--strict", "-c", "k.yaml", cwd=tmp_path)
    assert strict.code == 1
    assert strict.err_lines[-1] == "Error: k.yaml: invalid (4 errors)"


def test_a_from_address_on_an_own_domain_or_another_relay_is_not_flagged(run, tmp_path) -> None:
    own = DELIVERABILITY.replace("karto.help@gmail.com", "auth@karto.example")
    (tmp_path / "own.yaml").write_text(own)
    assert "from-free-mailbox" not in run("validate", "-c", "own.yaml", cwd=tmp_path).err
    gmail_smtp = (
        "version: 1\nsupabase:\n  projects:\n    - ref: kartoprodabcdefghijk\n      name: p\n"
        "      auth:\n        smtp:\n          host: smtp.gmail.com\n          port: 587\n"
        "          user: me@gmail.com\n          password: env(GMAIL_APP_PASSWORD)\n"
        "          admin_email: me@gmail.com\n"
    )
    (tmp_path / "gmail.yaml").write_text(gmail_smtp)
    assert "from-free-mailbox" not in run("validate", "-c", "gmail.yaml", cwd=tmp_path).err
