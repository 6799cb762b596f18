"""The redaction registry: every secret value and its derived forms, scrubbed from text."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest

from karto_smtp import redaction
from karto_smtp.errors import ApiError
from karto_smtp.providers.supabase.fields import redact_digests
from karto_smtp.redaction import REDACTED, RedactingFilter, redact, redact_url
from karto_smtp.secrets import Secret, generate_password

PASSWORD = 'pa"ss/wörd+1 x'


def test_a_secret_registers_itself_in_every_spelling_a_body_or_url_uses():
    Secret(PASSWORD)
    spellings = [
        PASSWORD,
        json.dumps(PASSWORD)[1:-1],  # pa\"ss/w\u00f6rd+1 x
        json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
        "pa%22ss%2Fw%C3%B6rd%2B1%20x",
        "pa%22ss%2Fw%C3%B6rd%2B1+x",
    ]
    for spelling in spellings:
        assert redact(f"before {spelling} after") == f"before {REDACTED} after", spelling


def test_generated_passwords_are_registered_too():
    value = generate_password().reveal()
    assert redact(f"echo: {value}") == f"echo: {REDACTED}"


def test_the_longest_value_wins_when_one_contains_another():
    Secret("abcdefgh")
    Secret("abcdefgh-and-more")
    assert redact("x abcdefgh-and-more y abcdefgh") == f"x {REDACTED} y {REDACTED}"


def test_short_values_are_not_searched_for():
    Secret("abc12")
    assert redact("abc12 stays") == "abc12 stays"


def test_supabase_digests_of_every_secret_are_scrubbed_for_every_managed_project():
    Secret("first-password")
    redact_digests(["refone", "reftwo"])
    Secret("later-password")
    for value in ("first-password", "later-password"):
        for ref in ("refone", "reftwo"):
            digest = hmac.new(ref.encode(), value.encode(), hashlib.sha256).hexdigest()
            assert redact(f'"smtp_pass": "{digest}"') == f'"smtp_pass": "{REDACTED}"'


def test_forget_all_starts_over():
    Secret("forgettable-value")
    redaction.forget_all()
    assert redact("forgettable-value") == "forgettable-value"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://user:token@api.example.com/v3/x?api_key=abc#frag",
            "https://api.example.com/v3/x",
        ),
        ("http://127.0.0.1:8080/v1/?q=1", "http://127.0.0.1:8080/v1/"),
        ("https://[::1]:9/p", "https://[::1]:9/p"),
        ("api.example.com/x?api_key=abc", "api.example.com/x"),
        ("https://host:99999/x", "https://host:99999/x"),
    ],
)
def test_urls_are_shown_without_user_info_query_or_fragment(url, shown):
    assert redact_url(url) == shown


def test_a_secret_in_a_url_path_is_scrubbed_as_well():
    Secret("path-secret-123")
    assert redact_url("https://h/x/path-secret-123/y") == f"https://h/x/{REDACTED}/y"


def test_api_errors_never_carry_a_secret_the_service_echoed():
    Secret("echoed-password-1")
    error = ApiError("SMTP2GO", "add SMTP user karto", "bad value 'echoed-password-1'", 400)
    assert error.api_message == f"bad value '{REDACTED}'"
    assert "echoed-password-1" not in str(error)


def test_the_log_filter_redacts_arguments_and_tracebacks():
    Secret("logged-token-xyz")
    record = logging.LogRecord(
        "karto_smtp.x", logging.DEBUG, __file__, 1, "got %s", ("logged-token-xyz",), None
    )
    try:
        raise ValueError("logged-token-xyz")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert record.getMessage() == f"got {REDACTED}"
    assert "logged-token-xyz" not in (record.exc_text or "")
    assert REDACTED in (record.exc_text or "")
