"""Messages say what was found and what to write instead; each case through `validate`."""

from __future__ import annotations

import pytest

USER = "version: 1\nsmtp2go:\n  smtp_users:\n    - username: karto\n"
SMTP = (
    "version: 1\nsupabase:\n  projects:\n    - ref: abcdefghijklmnopqrst\n      name: p\n"
    "      auth:\n        smtp:\n"
)
P = "supabase.projects[0].auth.smtp"
LONG = "x" * 10_000


def _validate(run, tmp_path, text: str):
    (tmp_path / "k.yaml").write_text(text, encoding="utf-8")
    return run("validate", "-c", "k.yaml", cwd=tmp_path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # Mistyped secret references are recognised, not called literal secrets.
        (
            USER + "      password: ENV(KARTO_SMTP_PASSWORD)\n",
            "k.yaml:5:7: error: smtp2go.smtp_users[0].password: looks like a mistyped "
            "reference; write env(KARTO_SMTP_PASSWORD)",
        ),
        (
            USER + "      password: env(KARTO_SMTP_PASSWORD\n",
            "k.yaml:5:7: error: smtp2go.smtp_users[0].password: looks like a mistyped "
            "reference; write env(KARTO_SMTP_PASSWORD)",
        ),
        (
            "version: 1\nsmtp2go:\n  api_key: env:SMTP2GO_API_KEY\n",
            "k.yaml:3:3: error: smtp2go.api_key: looks like a mistyped reference; "
            "write env(SMTP2GO_API_KEY)",
        ),
        (
            "version: 1\nsmtp2go:\n  api_key: ${SMTP2GO_API_KEY}\n",
            "k.yaml:3:3: error: smtp2go.api_key: secrets are references, not literals; "
            "write env(SMTP2GO_API_KEY) instead of a shell variable",
        ),
        # Numbers: what was written, and the number to write.
        (
            SMTP + "          host: smtp.example.com\n          port: 587.0\n",
            f"k.yaml:9:11: error: {P}.port: expected a whole number, got 587.0 (a decimal); "
            "write 587",
        ),
        (
            SMTP + "          port: '08'\n",
            f"k.yaml:8:11: error: {P}.port: expected a whole number, got text '08'; "
            "write 8 without the leading zero",
        ),
        (
            SMTP + "          port: 0o1113\n",
            f"k.yaml:8:11: error: {P}.port: expected a whole number, got text '0o1113'; "
            "write it in decimal: 587",
        ),
        # YAML 1.1 booleans where text is meant.
        (
            SMTP + "          sender_name: no\n",
            f"k.yaml:8:11: error: {P}.sender_name: expected text, got the boolean false "
            "(YAML 1.1 reads an unquoted no as false; YAML 1.2 as text); write 'no' in quotes "
            "if it is text",
        ),
        # Look-alike letters are named, with their position.
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - username: k\u0430rto\n",
            "k.yaml:4:7: error: smtp2go.smtp_users[0].username: 'k\u0430rto' has the non-ASCII "
            "character '\u0430' (U+0430 CYRILLIC SMALL LETTER A), which looks like 'a', at "
            "character 2; retype it in plain ASCII",
        ),
        (
            SMTP + "          host: smtp.ex\u0430mple.com\n",
            f"k.yaml:8:11: error: {P}.host: 'smtp.ex\u0430mple.com' has the non-ASCII character "
            "'\u0430' (U+0430 CYRILLIC SMALL LETTER A), which looks like 'a', at character 8; "
            "retype it in plain ASCII",
        ),
        (
            SMTP + "          admin_email: n\u043ereply@example.com\n",
            f"k.yaml:8:11: error: {P}.admin_email: 'n\u043ereply@example.com' has the non-ASCII "
            "character '\u043e' (U+043E CYRILLIC SMALL LETTER O), which looks like 'o', at "
            "character 2; retype it in plain ASCII",
        ),
        (
            SMTP + "          user: apik\u0435y\n",
            f"k.yaml:8:11: error: {P}.user: 'apik\u0435y' has the non-ASCII character '\u0435' "
            "(U+0435 CYRILLIC SMALL LETTER IE), which looks like 'e', at character 5; "
            "retype it in plain ASCII",
        ),
        (
            SMTP + '          user: "apikey\u200b"\n',
            f"k.yaml:8:11: error: {P}.user: 'apikey\\u200b' has \\u200b (U+200B ZERO WIDTH "
            "SPACE), which is invisible, at character 7; delete it",
        ),
        # Leading and trailing spaces in names.
        (
            SMTP + "          user: 'apikey '\n",
            f"k.yaml:8:11: error: {P}.user: 'apikey ' ends with a space; remove it",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - username: ' karto'\n",
            "k.yaml:4:7: error: smtp2go.smtp_users[0].username: ' karto' starts with a space; "
            "remove it",
        ),
        (
            SMTP + '          sender_name: "Karto\\t"\n',
            f"k.yaml:8:11: error: {P}.sender_name: 'Karto\\t' ends with a tab; remove it",
        ),
        (
            SMTP + "          admin_email: 'help@example.com '\n",
            f"k.yaml:8:11: error: {P}.admin_email: 'help@example.com ' ends with a space; "
            "remove it",
        ),
        # Lengths the RFCs set.
        (
            SMTP + f"          admin_email: {'a' * 65}@example.com\n",
            f"k.yaml:8:11: error: {P}.admin_email: '{'a' * 59}…' is not an email address: the "
            "part before @ has 65 characters, at most 64 are allowed",
        ),
        (
            SMTP + f"          host: {'h' * 64}.example.com\n",
            f"k.yaml:8:11: error: {P}.host: '{'h' * 59}…' is not a host name: its part "
            f"'{'h' * 19}…' has 64 characters, at most 63 are allowed",
        ),
        (
            SMTP + "          host: " + ".".join(["h" * 60] * 5) + "\n",
            f"k.yaml:8:11: error: {P}.host: '{'h' * 59}…' is not a host name: it has 304 "
            "characters, at most 253 are allowed",
        ),
        # Long values are cut to 60 characters.
        (
            f"version: 1\nsmtp2go:\n  region: {LONG}\n",
            f"k.yaml:3:3: error: smtp2go.region: '{'x' * 59}…' is not allowed; use 'global', "
            "'us', 'eu' or 'au'",
        ),
        (
            f"version: 1\nsmtp2go:\n  {'k' * 1000}: 1\n",
            f"k.yaml:3:3: error: smtp2go.{'k' * 1000}: unknown key '{'k' * 59}…'; allowed keys: "
            "api_key, api_url, region, plan, senders, smtp_users",
        ),
        (
            "version: 1\nsmtp2go:\n  smtp_users:\n    - username: karto\n"
            f"      rate_limit: {{value: 5, period: {'9' * 5000} hours}}\n",
            "k.yaml:5:30: error: smtp2go.smtp_users[0].rate_limit.period: "
            f"'{'9' * 59}…' is longer than 68 years (2147483647 seconds); write e.g. '1 month'",
        ),
    ],
)
def test_message(run, tmp_path, text: str, line: str) -> None:
    result = _validate(run, tmp_path, text)
    assert result.code == 1
    assert result.err_lines == [line, "Error: k.yaml: invalid (1 error)"]


def test_email_of_more_than_254_characters(run, tmp_path) -> None:
    address = "a@" + ".".join(["b" * 49] * 5) + ".com"
    assert len(address) == 255  # one more than RFC 5321 allows
    result = _validate(run, tmp_path, SMTP + f"          admin_email: {address}\n")
    assert result.err_lines[0] == (
        f"k.yaml:8:11: error: {P}.admin_email: 'a@{'b' * 49}.{'b' * 7}…' is not an email address: it "
        "has 255 characters, at most 254 are allowed"
    )


def test_misspelled_required_key_is_reported_once(run, tmp_path) -> None:
    result = _validate(run, tmp_path, "version: 1\nsmtp2go:\n  smtp_users:\n    - usrname: karto\n")
    assert result.code == 1
    assert result.err_lines == [
        "k.yaml:4:7: error: smtp2go.smtp_users[0].usrname: unknown key 'usrname'; "
        "did you mean 'username'?",
        "Error: k.yaml: invalid (1 error)",
    ]


def test_missing_key_not_explained_by_a_misspelling_is_still_reported(run, tmp_path) -> None:
    result = _validate(
        run, tmp_path, "version: 1\nsmtp2go:\n  smtp_users:\n    - {pasword: generate}\n"
    )
    assert result.err_lines == [
        "k.yaml:4:8: error: smtp2go.smtp_users[0].pasword: unknown key 'pasword'; "
        "did you mean 'password'?",
        "k.yaml:4:7: error: smtp2go.smtp_users[0].username: required key is missing",
        "Error: k.yaml: invalid (2 errors)",
    ]


def test_yes_where_a_boolean_is_meant_is_a_warning(run, tmp_path) -> None:
    result = _validate(
        run, tmp_path, USER + "      archive_enabled: yes\n      feedback_enabled: Off\n"
    )
    assert result.code == 0
    assert result.err_lines == [
        "k.yaml:5:7: warning: smtp2go.smtp_users[0].archive_enabled: yes means true here "
        "(YAML 1.1), but YAML 1.2 tools read it as text; write true [yaml11-boolean]",
        "k.yaml:6:7: warning: smtp2go.smtp_users[0].feedback_enabled: Off means false here "
        "(YAML 1.1), but YAML 1.2 tools read it as text; write false [yaml11-boolean]",
    ]
    strict = run("validate", "--strict", "-c", "k.yaml", cwd=tmp_path)
    assert strict.code == 1


def test_the_period_that_validate_refuses_stops_plan_too(run, tmp_path) -> None:
    text = (
        "version: 1\nsmtp2go:\n  smtp_users:\n    - username: karto\n"
        f"      rate_limit: {{value: 5, period: {'9' * 5000} hours}}\n"
    )
    (tmp_path / "k.yaml").write_text(text)
    result = run("plan", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        f"Error: k.yaml:5:30: smtp2go.smtp_users[0].rate_limit.period: '{'9' * 59}…' is longer "
        "than 68 years (2147483647 seconds); write e.g. '1 month'"
    ]


@pytest.mark.parametrize(
    ("period", "valid"),
    [
        ("1 hour", True),
        ("828 months", True),
        ("829 months", False),
        ("'999:59:59'", True),
        ("'1000:00:00'", False),
    ],
)
def test_period_bound(run, tmp_path, period: str, valid: bool) -> None:
    text = f"{USER}      rate_limit: {{value: 5, period: {period}}}\n"
    result = _validate(run, tmp_path, text)
    assert result.code == (0 if valid else 1)


def test_non_latin_display_names_are_fine(run, tmp_path) -> None:
    text = (
        "version: 1\nsupabase:\n  projects:\n    - ref: abcdefghijklmnopqrst\n"
        "      name: Продакшн\n      auth:\n        smtp:\n          enabled: false\n"
        "          sender_name: Müller & Søn\n"
    )
    result = _validate(run, tmp_path, text)
    assert (result.code, result.err) == (0, "")
