"""One grammar for API base URLs: the file's api_url and the *_API_URL environment variables."""

from __future__ import annotations

import pytest

from karto_smtp.config.api_url import api_url_problem
from karto_smtp.config.model import Smtp2goAccountConfig, SupabaseConfig
from karto_smtp.errors import ConfigError

EXAMPLE = "https://api.smtp2go.com/v3"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.smtp2go.com/v3",
        "https://api.smtp2go.com/v3/",
        "http://127.0.0.1:8080",
        "http://localhost:1/v3",
        "http://[::1]:65535/v3",
        "HTTPS://API.SUPABASE.COM",
    ],
)
def test_usable_urls(url: str) -> None:
    assert api_url_problem(url, EXAMPLE) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "is empty; write a URL such as https://api.smtp2go.com/v3"),
        (
            "api.smtp2go.com/v3",
            "'api.smtp2go.com/v3' has no scheme; write https://api.smtp2go.com/v3",
        ),
        (
            "ftp://x",
            "'ftp://x' is not an http(s) URL (it starts with ftp://); write e.g. "
            "https://api.smtp2go.com/v3",
        ),
        ("https://x:99999/v3", "'https://x:99999/v3' has port 99999, outside 1..65535"),
        ("https://x:0", "'https://x:0' has port 0, outside 1..65535"),
        ("https://x:abc", "'https://x:abc' has an invalid port 'abc'; write a number 1..65535"),
        ("https://x/v3\n", "'https://x/v3\\n' ends with a newline; remove it"),
        (" https://x/v3", "' https://x/v3' starts with a space; remove it"),
        ("https://x/ v3", "'https://x/ v3' contains a space or control character; remove it"),
        (
            "https://user:token@x/v3",
            "contains a user name or password before '@'; remove them: credentials come from "
            "the API key or token settings",
        ),
        (
            "https://x/v3?api_key=1",
            "'https://x/v3?api_key=1' has a query (?...); give the base URL only, e.g. "
            "https://api.smtp2go.com/v3",
        ),
        (
            "https://x/v3#top",
            "'https://x/v3#top' has a fragment (#...); give the base URL only, e.g. "
            "https://api.smtp2go.com/v3",
        ),
        ("https:///v3", "'https:///v3' has no host name; write e.g. https://api.smtp2go.com/v3"),
        ("https://bad_host/", "'https://bad_host/' has an invalid host name 'bad_host'"),
        ("http://[::zz]/", "'http://[::zz]/' has an invalid host name"),
        (
            "https://" + "a" * 100 + ".example/",
            "'https://" + "a" * 51 + "…' has an invalid host name '" + "a" * 39 + "…'",
        ),
    ],
)
def test_problems(url: str, problem: str) -> None:
    assert api_url_problem(url, EXAMPLE) == problem


def test_credentials_in_a_url_are_never_echoed() -> None:
    problem = api_url_problem("https://user:s3cr3t-token@x/v3", EXAMPLE)
    assert problem is not None and "s3cr3t" not in problem


def test_resolved_api_url_refuses_a_bad_environment_value() -> None:
    account = Smtp2goAccountConfig(region="eu")
    with pytest.raises(ConfigError) as info:
        account.resolved_api_url({"SMTP2GO_API_URL": "eu-api.smtp2go.com/v3"})
    assert str(info.value) == (
        "environment variable SMTP2GO_API_URL: 'eu-api.smtp2go.com/v3' has no scheme; "
        "write https://eu-api.smtp2go.com/v3"
    )
    with pytest.raises(ConfigError) as info:
        SupabaseConfig().resolved_api_url({"SUPABASE_API_URL": "https://x:99999"})
    assert str(info.value) == (
        "environment variable SUPABASE_API_URL: 'https://x:99999' has port 99999, outside 1..65535"
    )


def test_an_empty_environment_value_counts_as_unset() -> None:
    account = Smtp2goAccountConfig(region="eu")
    assert account.resolved_api_url({"SMTP2GO_API_URL": ""}) == "https://eu-api.smtp2go.com/v3"


CONFIG = "version: 1\nsmtp2go:\n  region: eu\nsupabase:\n  projects: []\n"
SMTP2GO_HINT = "fix or unset SMTP2GO_API_URL, which overrides smtp2go.api_url [env-api-url]"
SUPABASE_HINT = "fix or unset SUPABASE_API_URL, which overrides supabase.api_url [env-api-url]"


@pytest.mark.parametrize(
    ("variable", "value", "problem", "hint"),
    [
        (
            "SMTP2GO_API_URL",
            "eu-api.smtp2go.com/v3",
            "'eu-api.smtp2go.com/v3' has no scheme; write https://eu-api.smtp2go.com/v3",
            SMTP2GO_HINT,
        ),
        (
            "SMTP2GO_API_URL",
            "ftp://mirror.example/v3",
            "'ftp://mirror.example/v3' is not an http(s) URL (it starts with ftp://); write e.g. "
            "https://eu-api.smtp2go.com/v3",
            SMTP2GO_HINT,
        ),
        (
            "SUPABASE_API_URL",
            "https://api.supabase.com:99999",
            "'https://api.supabase.com:99999' has port 99999, outside 1..65535",
            SUPABASE_HINT,
        ),
        (
            "SUPABASE_API_URL",
            "https://api.supabase.com\n",
            "'https://api.supabase.com\\n' ends with a newline; remove it",
            SUPABASE_HINT,
        ),
    ],
)
def test_environment_urls_through_the_cli(
    run, tmp_path, monkeypatch, variable, value, problem, hint
) -> None:
    (tmp_path / "k.yaml").write_text(CONFIG)
    monkeypatch.setenv(variable, value)
    where = f"environment variable {variable}"
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        f"{where}: error: {problem}; {hint}",
        "Error: k.yaml: invalid (1 error)",
    ]
    # plan stops before any request: the URL is never used.
    result = run("plan", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [f"Error: {where}: {problem}; {hint}"]
    assert result.out == ""


def test_environment_url_of_a_section_the_file_does_not_have_is_ignored(
    run, tmp_path, monkeypatch
) -> None:
    (tmp_path / "k.yaml").write_text("version: 1\nsupabase:\n  projects: []\n")
    monkeypatch.setenv("SMTP2GO_API_URL", "not a url")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")


def test_file_api_url_uses_the_same_grammar(run, tmp_path) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  api_url: https://api.supabase.com:99999\n"
    )
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        "k.yaml:3:3: error: supabase.api_url: 'https://api.supabase.com:99999' has port 99999, "
        "outside 1..65535",
        "Error: k.yaml: invalid (1 error)",
    ]
