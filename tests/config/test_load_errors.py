"""Every load-time error path through the real CLI: exact lines, exit code 1."""

from __future__ import annotations

import pytest

from tests.config.conftest import FIXTURES

REF_MSG = (
    "is not a project ref: exactly 20 lowercase letters "
    "(from the dashboard URL supabase.com/dashboard/project/<ref>)"
)
LITERAL = (
    "a literal secret is not allowed; write env(NAME) to read an environment variable "
    "or file(PATH) to read a mounted secret file (relative to this file's folder)"
)


@pytest.mark.parametrize(
    ("fixture", "line"),
    [
        (
            "missing_version.yaml",
            "missing_version.yaml:1:1: error: version: required key is missing; "
            "add 'version: 1' at the top",
        ),
        (
            "future_version.yaml",
            "future_version.yaml:1:1: error: version: format version 2 is newer than this "
            "karto-smtp supports (1); upgrade karto-smtp",
        ),
        (
            "duplicate_key.yaml",
            "duplicate_key.yaml:6:7: error: smtp2go.smtp_users[0].description: "
            "duplicate key 'description' (first at line 5, column 7)",
        ),
        (
            "invalid_yaml.yaml",
            "invalid_yaml.yaml:3:15: error: the '[' here is never closed (at line 4: "
            "expected ',' or ']', but got '<stream end>'); add ']'",
        ),
        ("empty.yaml", "empty.yaml:1:1: error: the file is empty; start it with 'version: 1'"),
        (
            "not_mapping.yaml",
            "not_mapping.yaml:1:1: error: expected a mapping at the top level, got a list",
        ),
        ("not_utf8.yaml", "not_utf8.yaml:2:6: error: not UTF-8 text; save the file as UTF-8"),
        ("bad_ref.yaml", f"bad_ref.yaml:4:7: error: supabase.projects[0].ref: 'abc' {REF_MSG}"),
    ],
)
def test_single_error(run, fixture: str, line: str) -> None:
    result = run("validate", "-c", fixture)
    assert result.code == 1
    assert result.err_lines == [line, f"Error: {fixture}: invalid (1 error)"]
    assert result.out == ""


def test_schema_errors_all_reported_in_file_order(run) -> None:
    result = run("validate", "-c", "schema_errors.yaml")
    assert result.code == 1
    f = "schema_errors.yaml"
    assert result.err_lines == [
        f"{f}:3:3: error: smtp2go.api_key: {LITERAL}",
        f"{f}:4:3: error: smtp2go.region: 'eur' is not allowed; use 'global', 'us', 'eu' or 'au'",
        f"{f}:7:7: error: smtp2go.smtp_users[0].usrname: unknown key 'usrname'; "
        "did you mean 'username'?",
        f"{f}:8:7: error: smtp2go.smtp_users[0].password: {LITERAL}, "
        "or generate to let karto-smtp create it",
        f"{f}:9:7: error: smtp2go.smtp_users[0].status: 'blok' is not allowed; "
        "use 'allowed', 'blocked' or 'sandbox'",
        f"{f}:10:7: error: smtp2go.smtp_users[1].username: expected text, got the number "
        "12345; write '12345' in quotes if it is text",
        f"{f}:11:7: error: smtp2go.smtp_users[1].password: secrets are references, not "
        "literals; write env(SMTP_PASSWORD) instead of a shell variable, "
        "or generate to let karto-smtp create it",
        f"{f}:12:7: error: smtp2go.smtp_users[1].colour: unknown key 'colour'; allowed keys: "
        "username, ensure, password, description, status, rate_limit, open_tracking_enabled, "
        "click_tracking_enabled, archive_enabled, audit_email, bounce_notifications, "
        "feedback_enabled, feedback_html, feedback_text, ip_pool",
        f"{f}:14:3: error: supabase.access_token: 'generate' is only for an SMTP user's "
        "password; write env(NAME) or file(PATH)",
        f"{f}:16:7: error: supabase.projects[0].ref: 'KartoProd' {REF_MSG}",
        f"{f}:17:7: error: supabase.projects[0].name: must not be empty",
        f"{f}:20:11: error: supabase.projects[0].auth.smtp.port: expected a whole number, "
        "got text '587'; write 587 without quotes",
        f"{f}:21:11: error: supabase.projects[0].auth.smtp.admin_email: 'not-an-email' is not "
        "an email address",
        f"{f}:22:7: error: supabase.projects[1].ref: required key is missing",
        f"{f}:23:1: error: smtpgo: unknown key 'smtpgo'; did you mean 'smtp2go'?",
        f"Error: {f}: invalid (15 errors)",
    ]


def test_literal_secrets_are_never_echoed(run) -> None:
    result = run("validate", "-c", "schema_errors.yaml")
    text = result.out + result.err
    assert "hunter2" not in text
    assert "api-0123456789abcdef" not in text


def test_missing_file(run) -> None:
    result = run("validate", "-c", "nope.yaml")
    assert result.code == 1
    assert result.err_lines == ["Error: nope.yaml: no such file (pass -c PATH or set KARTO_CONFIG)"]


def test_plan_style_loading_raises_one_line(tmp_path) -> None:
    """load_config (what plan/apply use) raises one ConfigError line naming file:line:col."""
    from karto_smtp.config import load_config
    from karto_smtp.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_config(FIXTURES / "schema_errors.yaml")
    assert str(info.value) == (
        f"{FIXTURES / 'schema_errors.yaml'}:3:3: smtp2go.api_key: {LITERAL} "
        "(and 14 more; run karto-smtp validate)"
    )
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("version: '1'\n", "k.yaml:1:1: error: version: must be 1, got text '1'; write version: 1"),
        (
            "version: true\n",
            "k.yaml:1:1: error: version: must be 1, got the boolean true; write version: 1",
        ),
        (
            "version: yes\n",
            "k.yaml:1:1: error: version: must be 1, got the boolean true (YAML 1.1 reads an "
            "unquoted yes as true; YAML 1.2 as text); write version: 1",
        ),
        (
            "version: 1.0\n",
            "k.yaml:1:1: error: version: must be 1, got 1.0 (a decimal); write version: 1",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users: {username: karto}\n",
            "k.yaml:3:3: error: smtp2go.smtp_users: expected a list, got a mapping",
        ),
        (
            "version: 1\nsupabase: [1]\n",
            "k.yaml:2:1: error: supabase: expected a mapping, got a list",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - {username: karto, ip_pool: 1.5}\n",
            "k.yaml:4:25: error: smtp2go.smtp_users[0].ip_pool: expected a whole number, "
            "got 1.5 (a decimal)",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - {username: karto, archive_enabled: 'yes'}\n",
            "k.yaml:4:25: error: smtp2go.smtp_users[0].archive_enabled: expected true or false, "
            "got text 'yes'; write true",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - {username: karto, password: 12345}\n",
            "k.yaml:4:25: error: smtp2go.smtp_users[0].password: expected a secret reference: "
            "env(NAME) or file(PATH), not a number",
        ),
        (
            "version: 1\nsmtp2go:\n  api_key: env(1BAD)\n",
            "k.yaml:3:3: error: smtp2go.api_key: env() needs an environment variable name: "
            "letters, digits and _, not starting with a digit",
        ),
        (
            "version: 1\nsmtp2go:\n  api_key: file()\n",
            "k.yaml:3:3: error: smtp2go.api_key: file() needs a path, "
            "e.g. file(secrets/smtp_password)",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - username: kar\n",
            "k.yaml:4:7: error: smtp2go.smtp_users[0].username: 'kar' is not an SMTP2GO "
            "username: 5 to 100 letters, digits, '.', '_', '-' or '@'",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n"
            "    - {username: karto, rate_limit: {value: 10, period: fortnight}}\n",
            "k.yaml:4:49: error: smtp2go.smtp_users[0].rate_limit.period: 'fortnight' is not an "
            "SMTP2GO period; write e.g. '1 hour', '2 days', '1 month' or '0:30:00'",
        ),
        (
            "version: 1\nsmtp2go:\n  api_url: ftp://x\n",
            "k.yaml:3:3: error: smtp2go.api_url: 'ftp://x' is not an http(s) URL (it starts "
            "with ftp://); write e.g. https://api.smtp2go.com/v3",
        ),
        (
            "version: 1\nsmtp2go:\n  senders: {domains: [{domain: localhost}]}\n",
            "k.yaml:3:24: error: smtp2go.senders.domains[0].domain: 'localhost' is not a domain "
            "name (e.g. example.com)",
        ),
        (
            "version: 1\nsupabase:\n  projects:\n    - {ref: kartoprodabcdefghijk, name: p,"
            " auth: {smtp: {relay: {smtp2go_user: karto, port: 70000}}}}\n",
            "k.yaml:4:87: error: supabase.projects[0].auth.smtp.relay.port: must be at most "
            "65535, got 70000",
        ),
        (
            "version: 1\n1: one\n",
            "k.yaml:2:1: error: a key must be text, but YAML reads 1 as a number; "
            "write '1' in quotes",
        ),
    ],
)
def test_type_and_format_errors(run, tmp_path, text: str, line: str) -> None:
    (tmp_path / "k.yaml").write_text(text)
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [line, "Error: k.yaml: invalid (1 error)"]


RELAY = (
    "version: 1\nsupabase:\n  projects:\n    - ref: abcdefghijklmnopqrst\n      name: p\n"
    "      auth:\n        smtp:\n          relay:\n            smtp2go_user: karto\n"
)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "version: 1\x00\n",
            "k.yaml:1:11: error: the control character U+0000 (NUL) is not allowed in YAML; "
            "delete it (is this a binary file?)",
        ),
        (
            "version: 1\nsmtp2go: " + "[" * 500 + "]" * 500 + "\n",
            "k.yaml:2:73: error: nested more than 64 levels deep; karto.yaml needs at most 7",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - {username: karto, ip_pool: "
            + "1" * 5000
            + "}\n",
            "k.yaml:4:34: error: smtp2go.smtp_users[0].ip_pool: a number with 5000 digits is far "
            "too large for any setting here; quote it if it is text",
        ),
        (
            RELAY + "            port: 01113\n",
            "k.yaml:10:19: error: supabase.projects[0].auth.smtp.relay.port: YAML 1.1 reads 01113 "
            "as the octal number 587 (a leading 0 means octal); write 587, or 1113 if you meant "
            "that",
        ),
        (
            'version: 1\nsmtp2go:\n  smtp_users:\n    - username: "karto\n      status: allowed\n',
            'k.yaml:4:17: error: the quoted text that starts here is never closed; end it with "',
        ),
        (
            "version: 1\nsmtp2go:\n\tregion: eu\n",
            "k.yaml:3:1: error: a tab character here; indent with spaces, not tabs",
        ),
    ],
)
def test_reader_errors_are_one_line_with_the_right_position(run, tmp_path, text, line) -> None:
    (tmp_path / "k.yaml").write_text(text)
    for command in ("validate", "plan"):
        result = run(command, "-c", "k.yaml", cwd=tmp_path)
        assert result.code == 1
        if command == "validate":
            assert result.err_lines == [line, "Error: k.yaml: invalid (1 error)"]
        else:
            assert result.err_lines == ["Error: " + line.replace(": error:", ":", 1)]
        assert result.out == ""


def test_line_column_counts_characters_in_text_and_bytes_in_bytes():
    from karto_smtp.config.offsets import line_column

    assert line_column("ab\ncé\nx", 0) == (1, 1)
    assert line_column("ab\ncé\nx", 4) == (2, 2)  # é: the second character of line 2
    assert line_column("ab\ncé\nx", 6) == (3, 1)
    assert line_column("ab\ncé\nx".encode(), 5) == (2, 3)  # é's second byte
    assert line_column(b"\n\n", 2) == (3, 1)
