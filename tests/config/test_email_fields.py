"""karto.yaml email settings -> Management API fields, checked against the saved OpenAPI spec."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from karto_smtp.config import load_config
from karto_smtp.config.model import AuthConfig, effective_auth
from karto_smtp.config.template_files import TemplateFiles
from karto_smtp.errors import ConfigError
from karto_smtp.providers.supabase.email_fields import (
    EMAIL_FIELD_KEYS,
    desired_email_fields,
    normalise_live_email_fields,
)
from tests.config.conftest import REPO

SPEC = REPO / "tests" / "specs" / "supabase-management-api.openapi.json"
EXAMPLE = REPO / "examples" / "karto-templates.yaml"
_TYPES = {"string": str, "integer": int, "boolean": bool}


@cache
def _schemas() -> dict[str, Any]:
    return json.loads(SPEC.read_text())["components"]["schemas"]


def _check_against(schema: dict[str, Any], fields: dict[str, Any]) -> None:
    properties = schema["properties"]
    for key, value in fields.items():
        spec = properties[key]
        assert isinstance(value, _TYPES[spec["type"]]), key
        assert not isinstance(value, bool) or spec["type"] == "boolean", key
        if "pattern" in spec:
            assert re.search(spec["pattern"], value), key
        if "minimum" in spec:
            assert spec["minimum"] <= value <= spec["maximum"], key


def test_every_key_is_in_the_request_and_the_response_schemas() -> None:
    schemas = _schemas()
    for name in ("UpdateAuthConfigBody", "AuthConfigResponse"):
        properties = schemas[name]["properties"]
        assert [key for key in EMAIL_FIELD_KEYS if key not in properties] == [], name
    mailer = {
        key
        for key in schemas["UpdateAuthConfigBody"]["properties"]
        if key.startswith(("mailer_subjects_", "mailer_templates_", "mailer_notifications_"))
    }
    assert mailer <= set(EMAIL_FIELD_KEYS)


def test_the_example_maps_to_exact_api_fields() -> None:
    loaded = load_config(EXAMPLE, {"SMTP2GO_API_KEY": "k", "SUPABASE_ACCESS_TOKEN": "t"})
    config = loaded.config
    assert config.supabase is not None
    staging, production = config.supabase.projects
    fields = desired_email_fields(effective_auth(config, production), loaded.templates)
    templates = EXAMPLE.parent / "templates"
    assert fields == {
        "mailer_subjects_confirmation": "Подтвердите регистрацию в KARTO",
        "mailer_templates_confirmation_content": (templates / "confirmation.html").read_text(),
        "mailer_subjects_magic_link": "Ваша ссылка для входа в KARTO",
        "mailer_templates_magic_link_content": (templates / "magic_link.html").read_text(),
        "mailer_subjects_password_changed_notification": "Пароль от KARTO изменён",
        "mailer_templates_password_changed_notification_content": (
            "<p>Пароль от вашего аккаунта KARTO ({{ .Email }}) только что изменили.</p>\n"
            "<p>Если это были не вы, восстановите доступ и напишите нам.</p>\n"
        ),
        "mailer_notifications_password_changed_enabled": True,
        "mailer_otp_exp": 3600,
        "mailer_otp_length": 6,
        "site_url": "https://karto.app",
        "uri_allow_list": "https://karto.app/**",
    }
    _check_against(_schemas()["UpdateAuthConfigBody"], fields)
    staging_fields = desired_email_fields(effective_auth(config, staging), loaded.templates)
    assert staging_fields["site_url"] == "https://staging.karto.app"


def test_every_setting_maps_and_undeclared_ones_produce_no_key() -> None:
    auth = AuthConfig.model_validate(
        {
            "email": {
                "templates": {
                    "reauthentication": {"subject": "{{ .Token }}"},
                    "email_change": {"content": "<p>{{ .ConfirmationURL }}</p>"},
                },
                "notifications": {
                    "mfa_factor_enrolled": {"enabled": False},
                    "identity_linked": {"subject": "Linked", "content": "<p>{{ .Provider }}</p>"},
                },
                "otp": {"length": 8},
                "secure_email_change": True,
            },
            "links": {"redirect_urls": ["https://a.example/**", "app.karto://callback"]},
        }
    )
    fields = desired_email_fields(auth, TemplateFiles())
    assert fields == {
        "mailer_subjects_reauthentication": "{{ .Token }}",
        "mailer_templates_email_change_content": "<p>{{ .ConfirmationURL }}</p>",
        "mailer_notifications_mfa_factor_enrolled_enabled": False,
        "mailer_subjects_identity_linked_notification": "Linked",
        "mailer_templates_identity_linked_notification_content": "<p>{{ .Provider }}</p>",
        "mailer_otp_length": 8,
        "mailer_secure_email_change_enabled": True,
        "uri_allow_list": "https://a.example/**,app.karto://callback",
    }
    _check_against(_schemas()["UpdateAuthConfigBody"], fields)
    assert desired_email_fields(AuthConfig(), TemplateFiles()) == {}
    assert desired_email_fields(
        AuthConfig.model_validate({"links": {"redirect_urls": []}}), TemplateFiles()
    ) == {"uri_allow_list": ""}


def test_an_unreadable_template_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(
        "version: 1\nsupabase:\n  projects:\n    - ref: kartoprodabcdefghijk\n      name: p\n"
        "      auth: {email: {templates: {invite: {content_path: gone.html}}}}\n"
    )
    loaded = load_config(tmp_path / "k.yaml", check=False)
    assert loaded.config.supabase is not None
    auth = effective_auth(loaded.config, loaded.config.supabase.projects[0])
    with pytest.raises(ConfigError) as caught:
        desired_email_fields(auth, loaded.templates)
    assert str(caught.value) == f"template file {tmp_path / 'gone.html'} does not exist"


def test_live_fields_are_normalised_for_comparison() -> None:
    live = {
        "uri_allow_list": "https://karto.app/**, https://staging.karto.app/**,",
        "mailer_otp_exp": 3600,
        "mailer_subjects_confirmation": None,
        "smtp_host": "mail.smtp2go.com",
        "jwt_exp": 3600,
    }
    assert normalise_live_email_fields(live) == {
        "uri_allow_list": ["https://karto.app/**", "https://staging.karto.app/**"],
        "mailer_otp_exp": 3600,
        "mailer_subjects_confirmation": None,
    }
    assert normalise_live_email_fields({"uri_allow_list": None}) == {"uri_allow_list": []}
    assert normalise_live_email_fields({"uri_allow_list": ""}) == {"uri_allow_list": []}
    desired = {"uri_allow_list": "https://karto.app/**", "site_url": "https://karto.app"}
    assert normalise_live_email_fields(desired) == {
        "uri_allow_list": ["https://karto.app/**"],
        "site_url": "https://karto.app",
    }
