"""Every Supabase Management API operation of the stack checked against the public spec.

`OPERATIONS` names one request per operation the stack serves; a test proves that list is
every non-admin route the stack registers, so a new route cannot go unchecked. The one
route the saved spec predates, GET /v2/projects/{ref}/config, is checked by the real
Supabase CLI instead (test_supabase_cli.py), whose bundled contract decodes it strictly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from karto_sandbox.stack import Stack
from karto_sandbox.supabase.auth_defaults import (
    AUTH_CONFIG_DEFAULTS,
    NEWER_THAN_SPEC_DEFAULTS,
    NEWER_THAN_SPEC_RULES,
    RESPONSE_NOT_NULLABLE,
    UPDATE_FIELD_RULES,
)

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


@pytest.fixture
def base_url(stack: Stack) -> str:
    stack.supabase_account.add_token(TOKEN)
    stack.supabase_account.add_project(REF, "karto-production")
    stack.supabase_account.add_project("zyxwvutsrqponmlkjihg", "karto-staging")
    return stack.supabase_url


@pytest.fixture
def api(base_url: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        yield client


P = f"/v1/projects/{REF}"
# (spec path, method, URL, body, status): one request per operation the stack serves.
OPERATIONS: list[tuple[str, str, str, Any, int]] = [
    ("/v1/projects", "GET", "/v1/projects", None, 200),
    ("/v1/projects/{ref}", "GET", P, None, 200),
    ("/v1/projects/{ref}/config/auth", "GET", f"{P}/config/auth", None, 200),
    ("/v1/projects/{ref}/config/auth", "PATCH", f"{P}/config/auth", {"jwt_exp": 1800}, 200),
    ("/v1/projects/{ref}/api-keys", "GET", f"{P}/api-keys", None, 200),
    ("/v1/projects/{ref}/api-keys", "GET", f"{P}/api-keys?reveal=true", None, 200),
    ("/v1/projects/{ref}/billing/addons", "GET", f"{P}/billing/addons", None, 200),
    ("/v1/projects/{ref}/branches", "GET", f"{P}/branches", None, 200),
    ("/v1/projects/{ref}/postgrest", "GET", f"{P}/postgrest", None, 200),
    ("/v1/projects/{ref}/postgrest", "PATCH", f"{P}/postgrest", {"max_rows": 500}, 200),
    (
        "/v1/projects/{ref}/config/database/postgres",
        "GET",
        f"{P}/config/database/postgres",
        None,
        200,
    ),
    (
        "/v1/projects/{ref}/config/database/postgres",
        "PUT",
        f"{P}/config/database/postgres",
        {"statement_timeout": "30s", "max_connections": 80},
        200,
    ),
    ("/v1/projects/{ref}/network-restrictions", "GET", f"{P}/network-restrictions", None, 200),
    (
        "/v1/projects/{ref}/network-restrictions/apply",
        "POST",
        f"{P}/network-restrictions/apply",
        {"dbAllowedCidrs": ["10.0.0.0/8"]},
        201,
    ),
    ("/v1/projects/{ref}/ssl-enforcement", "GET", f"{P}/ssl-enforcement", None, 200),
    (
        "/v1/projects/{ref}/ssl-enforcement",
        "PUT",
        f"{P}/ssl-enforcement",
        {"requestedConfig": {"database": True}},
        200,
    ),
    ("/v1/projects/{ref}/config/storage", "GET", f"{P}/config/storage", None, 200),
    (
        "/v1/projects/{ref}/config/storage",
        "PATCH",
        f"{P}/config/storage",
        {"fileSizeLimit": 1024},
        200,
    ),
    (
        "/v1/projects/{ref}/database/webhooks/enable",
        "POST",
        f"{P}/database/webhooks/enable",
        None,
        201,
    ),
]
NOT_IN_SPEC = {("GET", "/v2/projects/{ref}/config")}


def test_operations_cover_every_route_the_stack_serves(stack: Stack) -> None:
    served = {
        (route.method, route.pattern.pattern)
        for route in stack.supabase_app.routes
        if not route.pattern.pattern.startswith("/_sandbox/")
    }
    listed = {
        (method, path.replace("{ref}", "(?P<ref>[^/]+)")) for path, method, *_ in OPERATIONS
    } | {(m, p.replace("{ref}", "(?P<ref>[^/]+)")) for m, p in NOT_IN_SPEC}
    assert served == listed


@pytest.mark.parametrize(
    ("template", "method", "url", "body", "status"),
    OPERATIONS,
    ids=[f"{method} {url}" for _t, method, url, _b, _s in OPERATIONS],
)
def test_responses_match_the_spec(
    api: httpx.Client, template: str, method: str, url: str, body: Any, status: int
) -> None:
    operation_spec = operation(template, method)
    if body is not None:
        request_schema = operation_spec["requestBody"]["content"]["application/json"]["schema"]
        validator(request_schema).validate(body)
    response = api.request(method, url, json=body)
    assert response.status_code == status, response.text
    if response.content:
        check_response(template, method, response)
    else:
        # Storage PATCH and webhooks/enable declare no body; the stack sends none.
        assert "content" not in operation_spec["responses"][str(status)]


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


WITH_401 = [
    (template, method, url)
    for template, method, url, _body, _status in OPERATIONS
    if "401" in operation(template, method)["responses"]
]


@pytest.mark.parametrize(("template", "method", "url"), WITH_401)
def test_401_where_the_spec_declares_it(
    base_url: str, template: str, method: str, url: str
) -> None:
    response = httpx.request(method, base_url + url, json={} if method != "GET" else None)
    assert response.status_code == 401
    check_response(template, method, response)


def test_429_is_declared_and_carries_a_message(base_url: str) -> None:
    httpx.post(f"{base_url}/_sandbox/options", json={"rate_limit_per_minute": 1})
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{base_url}/v1/projects/{REF}/config/auth"
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
