"""The public API the core engineer codes against: load_config, LoadedConfig, the helpers."""

from __future__ import annotations

import hashlib

import pytest

from karto_smtp.config import (
    ConfigProblems,
    EffectiveSmtp,
    KartoConfig,
    LoadedConfig,
    load_config,
    resolve_smtp,
)
from karto_smtp.config.model import Smtp2goAccountConfig, SupabaseConfig
from karto_smtp.errors import ConfigError
from karto_smtp.secrets import Secret, SecretRef
from tests.config.conftest import FIXTURES

VALID = FIXTURES / "valid.yaml"


@pytest.fixture
def loaded() -> LoadedConfig:
    return load_config(VALID)


def test_loaded_config(loaded: LoadedConfig) -> None:
    assert isinstance(loaded.config, KartoConfig)
    assert loaded.path == VALID
    assert loaded.digest == hashlib.sha256(VALID.read_bytes()).hexdigest()
    assert loaded.findings == [] and loaded.warnings == []
    assert loaded.locate(("smtp2go", "smtp_users", 0, "username")) == f"{VALID}:12:7"
    assert loaded.locate(("supabase", "projects", 1, "auth", "smtp", "relay", "port")) == (
        f"{VALID}:34:40"
    )


def test_models(loaded: LoadedConfig) -> None:
    account = loaded.config.smtp2go
    assert account is not None
    assert account.plan.name == "starter" and account.plan.monthly_quota == 50000
    assert [s.address for s in account.senders.emails] == ["help@karto.example"]
    domain = account.senders.domains[0]
    assert (
        domain.domain,
        domain.tracking_subdomain,
        domain.returnpath_subdomain,
        domain.ensure,
    ) == (
        "mail.example.org",
        "link",
        None,
        "present",
    )
    user = account.smtp_users[0]
    assert user.username == "karto" and user.status == "allowed"
    assert user.rate_limit is not None and (user.rate_limit.value, user.rate_limit.period) == (
        500,
        "1 day",
    )
    assert user.open_tracking_enabled is None  # not managed
    assert account.smtp_users[1].ensure == "absent"
    assert account.user("karto") is user and account.user("nobody") is None


def test_secret_refs_carry_their_location(loaded: LoadedConfig) -> None:
    account = loaded.config.smtp2go
    supabase = loaded.config.supabase
    assert account is not None and supabase is not None
    password = account.smtp_users[0].password
    assert password is not None
    assert (password.kind, password.name, password.location, password.path) == (
        "env",
        "KARTO_SMTP_PASSWORD",
        f"{VALID}:15:7",
        "smtp2go.smtp_users[0].password",
    )
    assert loaded.resolve_secret(password) == Secret("karto-password")
    default_key = account.api_key_ref()
    assert default_key == SecretRef.env("SMTP2GO_API_KEY")
    assert default_key.where == f"{VALID}:2:1: smtp2go.api_key"
    token = supabase.access_token_ref()
    assert token.kind == "file"
    assert loaded.resolve_secret(token).reveal() == "sbp_0123456789"


def test_resolve_smtp(loaded: LoadedConfig) -> None:
    supabase = loaded.config.supabase
    assert supabase is not None
    staging, production, other = supabase.projects
    config = loaded.config
    password = config.smtp2go.smtp_users[0].password  # type: ignore[union-attr]
    assert resolve_smtp(staging, config) == EffectiveSmtp(
        host="mail-eu.smtp2go.com",
        port=587,
        user="karto",
        password=password,
        admin_email="noreply@mail.example.org",
        sender_name="KARTO staging",
        max_frequency=None,
        rate_limit_email_sent=30,
        relay_user="karto",
    )
    prod = resolve_smtp(production, config)
    assert prod is not None and (prod.host, prod.port, prod.max_frequency) == (
        "mail-eu.smtp2go.com",
        465,
        60,
    )
    assert prod.via_smtp2go
    direct = resolve_smtp(other, config)
    assert direct is not None
    assert (direct.host, direct.port, direct.user, direct.relay_user) == (
        "smtp.sendgrid.net",
        587,
        "apikey",
        None,
    )
    assert direct.password == SecretRef.env("SENDGRID_API_KEY")
    assert not direct.via_smtp2go


def test_resolve_smtp_unmanaged_and_disabled() -> None:
    config = KartoConfig.model_validate(
        {
            "version": 1,
            "supabase": {
                "projects": [
                    {"ref": "a" * 20, "name": "unmanaged"},
                    {"ref": "b" * 20, "name": "off", "auth": {"smtp": {"enabled": False}}},
                ]
            },
        }
    )
    assert config.supabase is not None
    unmanaged, off = config.supabase.projects
    assert resolve_smtp(unmanaged, config) is None
    effective = resolve_smtp(off, config)
    assert effective is not None and effective.enabled is False and effective.host is None


@pytest.mark.parametrize(
    ("region", "api", "relay"),
    [
        (None, "https://api.smtp2go.com/v3", "mail.smtp2go.com"),
        ("global", "https://api.smtp2go.com/v3", "mail.smtp2go.com"),
        ("us", "https://us-api.smtp2go.com/v3", "mail-us.smtp2go.com"),
        ("eu", "https://eu-api.smtp2go.com/v3", "mail-eu.smtp2go.com"),
        ("au", "https://au-api.smtp2go.com/v3", "mail-au.smtp2go.com"),
    ],
)
def test_smtp2go_region(region: str | None, api: str, relay: str) -> None:
    account = Smtp2goAccountConfig.model_validate({"region": region})
    assert account.resolved_api_url({}) == api
    assert account.relay_host() == relay


def test_api_url_precedence() -> None:
    account = Smtp2goAccountConfig.model_validate(
        {"region": "eu", "api_url": "https://proxy.example/v3/"}
    )
    assert account.resolved_api_url({}) == "https://proxy.example/v3"
    assert account.resolved_api_url({"SMTP2GO_API_URL": "http://127.0.0.1:9/v3"}) == (
        "http://127.0.0.1:9/v3"
    )
    assert account.relay_host() == "mail-eu.smtp2go.com"
    supabase = SupabaseConfig.model_validate({})
    assert supabase.resolved_api_url({}) == "https://api.supabase.com"
    assert supabase.resolved_api_url({"SUPABASE_API_URL": "http://127.0.0.1:8/"}) == (
        "http://127.0.0.1:8"
    )
    assert supabase.access_token_ref() == SecretRef.env("SUPABASE_ACCESS_TOKEN")


def test_config_dump_and_repr_hold_references_not_values(loaded: LoadedConfig) -> None:
    dumped = loaded.config.model_dump_json()
    assert "env(KARTO_SMTP_PASSWORD)" in dumped
    for text in (dumped, repr(loaded), str(loaded)):
        assert "karto-password" not in text and "sbp_0123456789" not in text
        assert "api-test-key" not in text


def test_check_raises_on_lint_errors_with_one_line() -> None:
    path = FIXTURES / "lint" / "duplicates.yaml"
    with pytest.raises(ConfigProblems) as info:
        load_config(path)
    assert isinstance(info.value, ConfigError)
    assert len(info.value.findings) == 4
    assert str(info.value) == (
        f"{path}:6:9: smtp2go.senders.emails[1].address: duplicate sender 'Help@Karto.example' "
        f"(first at {path}:5:9); declare each once; merge the two entries [duplicate-sender] "
        "(and 3 more; run karto-smtp validate)"
    )
    unchecked = load_config(path, check=False)
    assert unchecked.findings == []


def test_environ_argument_is_used_instead_of_os_environ() -> None:
    with pytest.raises(ConfigProblems, match="environment variable KARTO_SMTP_PASSWORD is not set"):
        load_config(VALID, environ={"SMTP2GO_API_KEY": "k", "SENDGRID_API_KEY": "s"})
