"""Every Supabase Management API response of the emulator checked against the vendored spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from karto_smtp.sandbox.auth_config_defaults import (
    AUTH_CONFIG_DEFAULTS,
    NEWER_THAN_SPEC_DEFAULTS,
    NEWER_THAN_SPEC_RULES,
    RESPONSE_NOT_NULLABLE,
    UPDATE_FIELD_RULES,
)
from karto_smtp.sandbox.http_server import HttpServer
from karto_smtp.sandbox.supabase_api import SupabaseAccount, SupabaseApp

SPEC_FILE = Path(__file__).resolve().parents[1] / "specs" / "supabase-management-api.openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
SCHEMAS = SPEC["components"]["schemas"]
TOKEN = "sbp_spec"
REF = "abcdefghijklmnopqrst"
SMTP_ON = {
    "smtp_host": "mail.smtp2go.com",
    "smtp_port": "587",
    "smtp_user": "karto",
    "smtp_pass": "secret",
    "smtp_admin_email": "karto.help@ro.ru",
    "smtp_sender_name": "KARTO",
    "rate_limit_email_sent": 30,
}


def _null_in_nullable_enums(node: Any) -> Any:
    """Read `nullable: true` + `enum` as allowing null, as the spec's generator means it.

    OpenAPI 3.0.3 says such an enum must list null itself; the Supabase spec never does, yet
    the API returns null for unset enum keys (e.g. `db_max_pool_size_unit`).
    """
    if isinstance(node, list):
        return [_null_in_nullable_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _null_in_nullable_enums(value) for key, value in node.items()}
    if (
        out.get("nullable") is True
        and isinstance(out.get("enum"), list)
        and None not in out["enum"]
    ):
        out["enum"] = [*out["enum"], None]
    return out


COMPONENTS = _null_in_nullable_enums(SPEC["components"])


def validator(schema: dict[str, Any]) -> OAS30Validator:
    """An OpenAPI 3.0 validator whose `#/components/...` references resolve in the spec."""
    return OAS30Validator(
        {**schema, "components": COMPONENTS},
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )


def operation(path: str, method: str) -> dict[str, Any]:
    return SPEC["paths"][path][method.lower()]


def check_response(path: str, method: str, response: httpx.Response) -> None:
    """The status is declared for the operation and a declared body schema validates."""
    declared = operation(path, method)["responses"]
    assert str(response.status_code) in declared, (
        f"{method} {path} answered {response.status_code}, the spec declares {sorted(declared)}"
    )
    content = declared[str(response.status_code)].get("content")
    if content is None:
        # The spec gives error statuses no body schema; the API's is {"message": str}.
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("message"), str)
        return
    schema = content["application/json"]["schema"]
    validator(schema).validate(response.json())


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    account = SupabaseAccount(tokens=[TOKEN])
    account.add_project(REF, "karto-production")
    account.add_project("zyxwvutsrqponmlkjihg", "karto-staging")
    with HttpServer(SupabaseApp(account)) as running:
        yield running


@pytest.fixture
def api(server: HttpServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        yield client


GETS = [
    ("/v1/projects", "/v1/projects"),
    ("/v1/projects/{ref}", f"/v1/projects/{REF}"),
    ("/v1/projects/{ref}/config/auth", f"/v1/projects/{REF}/config/auth"),
    ("/v1/projects/{ref}/api-keys", f"/v1/projects/{REF}/api-keys"),
    ("/v1/projects/{ref}/api-keys", f"/v1/projects/{REF}/api-keys?reveal=true"),
    ("/v1/projects/{ref}/billing/addons", f"/v1/projects/{REF}/billing/addons"),
]


@pytest.mark.parametrize(("template", "url"), GETS, ids=[url for _t, url in GETS])
def test_get_responses_match_the_spec(api: httpx.Client, template: str, url: str) -> None:
    response = api.get(url)
    assert response.status_code == 200
    check_response(template, "GET", response)


@pytest.mark.parametrize(
    "body",
    [
        SMTP_ON,
        {"smtp_host": ""},
        {"site_url": "https://karto.example", "mailer_otp_length": 8},
        {"mfa_phone_otp_length": None, "oauth_server_enabled": None},
    ],
    ids=["enable-smtp", "disable-smtp", "other-keys", "nulls-on-non-nullable"],
)
def test_patch_auth_config_response_matches_the_spec(api: httpx.Client, body: dict) -> None:
    template = "/v1/projects/{ref}/config/auth"
    response = api.patch(f"/v1/projects/{REF}/config/auth", json=body)
    assert response.status_code == 200
    check_response(template, "PATCH", response)
    check_response(template, "GET", api.get(f"/v1/projects/{REF}/config/auth"))


def test_patch_bodies_the_emulator_accepts_are_valid_update_bodies() -> None:
    validator({"$ref": "#/components/schemas/UpdateAuthConfigBody"}).validate(SMTP_ON)


@pytest.mark.parametrize(
    ("template", "method", "url"),
    [(t, "GET", u) for t, u in GETS] + [("/v1/projects/{ref}/config/auth", "PATCH", GETS[2][1])],
)
def test_401_is_declared_for_every_operation(
    server: HttpServer, template: str, method: str, url: str
) -> None:
    response = httpx.request(method, server.url + url, json={} if method == "PATCH" else None)
    assert response.status_code == 401
    check_response(template, method, response)


def test_429_is_declared_and_carries_a_message(server: HttpServer) -> None:
    account = SupabaseAccount(tokens=[TOKEN], rate_limit_per_minute=1)
    account.add_project(REF, "p")
    with HttpServer(SupabaseApp(account)) as limited:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        url = f"{limited.url}/v1/projects/{REF}/config/auth"
        assert httpx.get(url, headers=headers).status_code == 200
        response = httpx.get(url, headers=headers)
    assert response.status_code == 429
    check_response("/v1/projects/{ref}/config/auth", "GET", response)


# -- the generated defaults module stays in step with the spec ---------------------------------


def test_defaults_cover_exactly_the_auth_config_response_keys() -> None:
    response = SCHEMAS["AuthConfigResponse"]
    from_spec = [k for k in AUTH_CONFIG_DEFAULTS if k not in NEWER_THAN_SPEC_DEFAULTS]
    assert from_spec == list(response["properties"])
    assert set(response["required"]) == set(from_spec)
    assert not set(NEWER_THAN_SPEC_DEFAULTS) & set(response["properties"])
    validator({"$ref": "#/components/schemas/AuthConfigResponse"}).validate(AUTH_CONFIG_DEFAULTS)
    assert {
        k for k, v in response["properties"].items() if not v.get("nullable")
    } == RESPONSE_NOT_NULLABLE


def test_update_rules_mirror_the_update_body_schema() -> None:
    properties = SCHEMAS["UpdateAuthConfigBody"]["properties"]
    from_spec = {k: v for k, v in UPDATE_FIELD_RULES.items() if k not in NEWER_THAN_SPEC_RULES}
    assert list(from_spec) == list(properties)
    for name, rule in from_spec.items():
        spec_rule = properties[name]
        assert rule["type"] == spec_rule["type"], name
        assert rule["nullable"] == bool(spec_rule.get("nullable")), name
        for key in ("minimum", "maximum", "format", "pattern", "enum"):
            assert rule.get(key) == spec_rule.get(key), (name, key)


def test_the_ref_parameter_rule_matches_the_emulator() -> None:
    parameter = operation("/v1/projects/{ref}/config/auth", "GET")["parameters"][0]
    assert parameter["schema"]["pattern"] == "^[a-z]+$"
    assert parameter["schema"]["minLength"] == parameter["schema"]["maxLength"] == 20
