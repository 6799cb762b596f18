"""The Supabase Management API emulator of the stack, over real HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from karto_sandbox.stack import Stack
from karto_sandbox.supabase.auth_defaults import AUTH_CONFIG_DEFAULTS
from karto_sandbox.supabase.models import (
    DEFAULT_RATE_LIMIT_PER_MINUTE,
    SMTP_KEYS,
    SupabaseAccount,
    secret_digest,
)

TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567"
REF = "abcdefghijklmnopqrst"
OTHER_REF = "zyxwvutsrqponmlkjihg"
PASSWORD = "my-secret"
SMTP_ON = {
    "smtp_host": "mail.smtp2go.com",
    "smtp_port": "2525",
    "smtp_user": "karto-auth",
    "smtp_pass": PASSWORD,
    "smtp_admin_email": "karto.help@ro.ru",
    "smtp_sender_name": "KARTO",
}


CREATED_AT = "2025-06-15T15:06:40.000Z"


@pytest.fixture
def account(stack: Stack) -> SupabaseAccount:
    account = stack.supabase_account
    account.add_token(TOKEN)
    account.add_project(REF, "karto-production", created_at=CREATED_AT)
    return account


@pytest.fixture
def api(stack: Stack, account: SupabaseAccount) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=stack.supabase_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def bare(stack: Stack, account: SupabaseAccount) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.supabase_url, timeout=10) as client:
        yield client


def auth_path(ref: str = REF) -> str:
    return f"/v1/projects/{ref}/config/auth"


def advance(stack: Stack, seconds: float) -> None:
    """Move the stack's clock, as any client can."""
    httpx.post(f"{stack.smtp2go_url}/_sandbox/clock", json={"advance": seconds}).raise_for_status()


# -- authentication and unknown projects -----------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sbp_wrong"}, {"Authorization": TOKEN}, {"Authorization": ""}],
    ids=["missing", "unknown-token", "no-scheme", "empty"],
)
def test_requests_without_a_valid_bearer_token_get_401(bare: httpx.Client, headers) -> None:
    for path in ("/v1/projects", f"/v1/projects/{REF}", auth_path()):
        response = bare.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
        assert "X-RateLimit-Limit" not in response.headers
    assert bare.patch(auth_path(), json={}, headers=headers).status_code == 401


def test_bearer_scheme_is_case_insensitive(bare: httpx.Client) -> None:
    response = bare.get("/v1/projects", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/v1/projects/{OTHER_REF}"),
        ("GET", auth_path(OTHER_REF)),
        ("PATCH", auth_path(OTHER_REF)),
        ("GET", f"/v1/projects/{OTHER_REF}/api-keys"),
        ("GET", f"/v1/projects/{OTHER_REF}/billing/addons"),
        ("GET", "/v1/projects/NOT-A-REF/config/auth"),
    ],
)
def test_unknown_project_is_404(api: httpx.Client, method: str, path: str) -> None:
    response = api.request(method, path, json={} if method == "PATCH" else None)
    assert response.status_code == 404
    assert response.json() == {"message": "Project not found"}


# -- projects, keys, add-ons -----------------------------------------------------------------


def test_list_and_get_projects(api: httpx.Client, account: SupabaseAccount) -> None:
    expected = {
        "id": REF,
        "ref": REF,
        "organization_id": "karto-sandbox-org",
        "organization_slug": "karto-sandbox-org",
        "name": "karto-production",
        "region": "us-east-1",
        "created_at": CREATED_AT,
        "status": "ACTIVE_HEALTHY",
        "database": {
            "host": f"db.{REF}.supabase.co",
            "version": "17.4.1.054",
            "postgres_engine": "17",
            "release_channel": "ga",
        },
    }
    assert api.get("/v1/projects").json() == [expected]
    assert api.get(f"/v1/projects/{REF}").json() == expected


def test_api_keys_are_the_projects_legacy_jwts(api: httpx.Client, account: SupabaseAccount) -> None:
    summary = account.project_summary(REF)
    keys = api.get(f"/v1/projects/{REF}/api-keys").json()
    assert [(k["name"], k["api_key"], k["type"]) for k in keys] == [
        ("anon", summary["anon_key"], "legacy"),
        ("service_role", summary["service_role_key"], "legacy"),
    ]
    header, payload, _signature = summary["anon_key"].split(".")
    claims = json.loads(_b64decode(payload))
    assert json.loads(_b64decode(header)) == {"alg": "HS256", "typ": "JWT"}
    assert (claims["role"], claims["ref"], claims["iss"]) == ("anon", REF, "supabase")
    assert api.get(f"/v1/projects/{REF}/api-keys?reveal=true").json() == keys
    bad = api.get(f"/v1/projects/{REF}/api-keys?reveal=maybe")
    assert bad.status_code == 400
    assert bad.json() == {"message": "reveal must be a boolean value"}


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_billing_addons_are_empty(api: httpx.Client) -> None:
    response = api.get(f"/v1/projects/{REF}/billing/addons")
    assert response.status_code == 200
    assert response.json() == {"selected_addons": [], "available_addons": []}


# -- GET /config/auth --------------------------------------------------------------------------


def test_new_project_auth_config_has_every_key_and_smtp_off(api: httpx.Client) -> None:
    config = api.get(auth_path()).json()
    assert config == AUTH_CONFIG_DEFAULTS
    assert len(config) == 238  # 237 in the saved spec, plus one key newer than it
    assert all(config[key] is None for key in SMTP_KEYS)
    assert config["rate_limit_email_sent"] == 2
    assert config["smtp_max_frequency"] == 60
    assert config["mailer_otp_exp"] == 3600
    assert config["mailer_otp_length"] == 6
    assert config["external_email_enabled"] is True
    assert config["site_url"] == "http://localhost:3000"
    assert config["jwt_exp"] == 3600
    assert config["mailer_subjects_magic_link"] == "Your Magic Link"


# -- PATCH /config/auth ----------------------------------------------------------------------


def test_patch_is_partial_and_returns_the_full_config(api: httpx.Client) -> None:
    response = api.patch(auth_path(), json={"site_url": "https://karto.example", "jwt_exp": 7200})
    assert response.status_code == 200
    expected = {**AUTH_CONFIG_DEFAULTS, "site_url": "https://karto.example", "jwt_exp": 7200}
    assert response.json() == expected
    assert api.get(auth_path()).json() == expected
    again = api.patch(auth_path(), json={"mailer_otp_length": 8}).json()
    assert (again["site_url"], again["jwt_exp"], again["mailer_otp_length"]) == (
        "https://karto.example",
        7200,
        8,
    )


def test_enabling_smtp_stores_plaintext_and_returns_the_digest(
    api: httpx.Client, account: SupabaseAccount
) -> None:
    body = {**SMTP_ON, "rate_limit_email_sent": 30, "smtp_max_frequency": 5}
    config = api.patch(auth_path(), json=body).json()
    digest = "64800db722cc0be9e1d816d5aed626805e91a939d2dbcbc5239cd31eeef763e9"
    assert config["smtp_pass"] == digest
    assert {k: config[k] for k in SMTP_KEYS if k != "smtp_pass"} == {
        k: v for k, v in SMTP_ON.items() if k != "smtp_pass"
    }
    assert (config["rate_limit_email_sent"], config["smtp_max_frequency"]) == (30, 5)
    assert api.get(auth_path()).json()["smtp_pass"] == digest
    assert account.auth_config(REF)["smtp_pass"] == PASSWORD


@pytest.mark.parametrize(
    ("ref", "password", "digest"),
    [
        (
            "abcdefghijklmnopqrst",
            "my-secret",
            "64800db722cc0be9e1d816d5aed626805e91a939d2dbcbc5239cd31eeef763e9",
        ),
        ("test", "topsecret", "8eed2826599c798e072951884ced30954f8322fa1c3648506634e8376a740d72"),
    ],
)
def test_secret_digest_matches_the_cli_test_vectors(ref: str, password: str, digest: str) -> None:
    assert secret_digest(ref, password) == digest
    assert hmac.new(ref.encode(), password.encode(), hashlib.sha256).hexdigest() == digest


def test_other_write_only_secrets_are_digested_too(api: httpx.Client) -> None:
    config = api.patch(
        auth_path(),
        json={"security_captcha_secret": "captcha", "hook_send_email_secrets": "v1,whsec_x"},
    ).json()
    assert config["security_captcha_secret"] == secret_digest(REF, "captcha")
    assert config["hook_send_email_secrets"] == secret_digest(REF, "v1,whsec_x")


@pytest.mark.parametrize("off", ["", None])
def test_disabling_smtp_nulls_every_smtp_field(api: httpx.Client, off: str | None) -> None:
    api.patch(auth_path(), json={**SMTP_ON, "rate_limit_email_sent": 30}).raise_for_status()
    config = api.patch(auth_path(), json={"smtp_host": off}).json()
    assert {key: config[key] for key in SMTP_KEYS} == dict.fromkeys(SMTP_KEYS)
    assert config["rate_limit_email_sent"] == 30
    assert api.get(auth_path()).json()["smtp_pass"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"smtp_port": 587}, "smtp_port must be a string"),
        ({"smtp_port": "smtp"}, "smtp_port must be a valid port number"),
        ({"smtp_port": "70000"}, "smtp_port must be a valid port number"),
        ({"smtp_max_frequency": -1}, "smtp_max_frequency must not be less than 0"),
        ({"smtp_max_frequency": 32768}, "smtp_max_frequency must not be greater than 32767"),
        ({"smtp_max_frequency": 1.5}, "smtp_max_frequency must be an integer number"),
        ({"smtp_max_frequency": "60"}, "smtp_max_frequency must be an integer number"),
        ({"mailer_otp_length": 5}, "mailer_otp_length must not be less than 6"),
        ({"mailer_otp_length": 11}, "mailer_otp_length must not be greater than 10"),
        ({"mailer_otp_exp": None}, "mailer_otp_exp must be an integer number"),
        ({"rate_limit_email_sent": 0}, "rate_limit_email_sent must not be less than 1"),
        ({"smtp_admin_email": "not-an-address"}, "smtp_admin_email must be an email"),
        ({"site_url": "https://a.example,https://b.example"}, "site_url must match /^[^,]+$/"),
        ({"external_email_enabled": "yes"}, "external_email_enabled must be a boolean value"),
        ({"smtp_sender_name": 7}, "smtp_sender_name must be a string"),
        ({"sessions_timebox": True}, "sessions_timebox must be a number"),
        (
            {"security_captcha_provider": "recaptcha"},
            "security_captcha_provider must be one of the following values: turnstile, hcaptcha",
        ),
        (
            {"sms_test_otp_valid_until": "tomorrow"},
            "sms_test_otp_valid_until must be a valid ISO 8601 date string",
        ),
        ({"smtp_password": "x"}, "property smtp_password should not exist"),
        ({"custom_oauth_max_providers": 3}, "property custom_oauth_max_providers should not exist"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(
    api: httpx.Client, body: dict, message: str
) -> None:
    response = api.patch(auth_path(), json=body)
    assert response.status_code == 400
    assert list(response.json()) == ["message"]
    assert response.json()["message"].startswith(message)
    assert api.get(auth_path()).json() == AUTH_CONFIG_DEFAULTS


def test_all_problems_are_named_in_one_message(api: httpx.Client) -> None:
    response = api.patch(auth_path(), json={"smtp_port": 25, "nope": 1, "also_nope": 2})
    assert response.json() == {
        "message": "smtp_port must be a string, property nope should not exist, "
        "property also_nope should not exist"
    }


@pytest.mark.parametrize(
    "body",
    [[1, 2], "text"],
    ids=["array", "string"],
)
def test_patch_body_must_be_an_object(api: httpx.Client, body: object) -> None:
    response = api.patch(auth_path(), json=body)
    assert response.status_code == 400
    assert response.json() == {"message": "request body must be a JSON object"}


def test_patch_with_invalid_json_is_400(api: httpx.Client) -> None:
    response = api.patch(
        auth_path(), content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Invalid JSON body: ")


def test_boundary_values_are_accepted(api: httpx.Client) -> None:
    config = api.patch(
        auth_path(),
        json={"smtp_max_frequency": 0, "mailer_otp_length": 10, "smtp_port": "65535"},
    ).json()
    assert (config["smtp_max_frequency"], config["mailer_otp_length"]) == (0, 10)
    assert config["smtp_port"] == "65535"
    assert (
        api.patch(auth_path(), json={"smtp_max_frequency": 32767.0}).json()["smtp_max_frequency"]
        == 32767
    )


def test_null_on_a_non_nullable_response_key_restores_its_default(api: httpx.Client) -> None:
    api.patch(auth_path(), json={"mfa_phone_otp_length": 8}).raise_for_status()
    config = api.patch(auth_path(), json={"mfa_phone_otp_length": None}).json()
    assert config["mfa_phone_otp_length"] == AUTH_CONFIG_DEFAULTS["mfa_phone_otp_length"]


def test_rate_limit_email_sent_needs_custom_smtp(api: httpx.Client) -> None:
    response = api.patch(auth_path(), json={"rate_limit_email_sent": 100})
    assert response.status_code == 400
    assert response.json() == {"message": "Custom SMTP required to configure RATE_LIMIT_EMAIL_SENT"}
    assert api.get(auth_path()).json()["rate_limit_email_sent"] == 2
    # Turning SMTP on in the same PATCH is enough; so is SMTP already on.
    assert api.patch(auth_path(), json={**SMTP_ON, "rate_limit_email_sent": 100}).is_success
    assert (
        api.patch(auth_path(), json={"rate_limit_email_sent": 50}).json()["rate_limit_email_sent"]
        == 50
    )
    # Turning it off in the same PATCH is not.
    refused = api.patch(auth_path(), json={"smtp_host": "", "rate_limit_email_sent": 40})
    assert refused.status_code == 400


def test_before_merge_wants_custom_smtp_on_before_the_patch(
    api: httpx.Client, bare: httpx.Client
) -> None:
    options = bare.post("/_sandbox/options", json={"email_rate_limit_check": "before_merge"})
    assert options.json()["email_rate_limit_check"] == "before_merge"
    same_patch = api.patch(auth_path(), json={**SMTP_ON, "rate_limit_email_sent": 100})
    assert same_patch.status_code == 400
    assert same_patch.json() == {
        "message": "Custom SMTP required to configure RATE_LIMIT_EMAIL_SENT"
    }
    assert api.get(auth_path()).json()["smtp_host"] is None  # nothing of it applied
    api.patch(auth_path(), json=SMTP_ON).raise_for_status()
    config = api.patch(auth_path(), json={"rate_limit_email_sent": 100}).json()
    assert config["rate_limit_email_sent"] == 100
    turning_off = api.patch(auth_path(), json={"smtp_host": "", "rate_limit_email_sent": 40})
    assert turning_off.status_code == 400


def test_masked_smtp_pass_view(api: httpx.Client, bare: httpx.Client) -> None:
    bare.post("/_sandbox/options", json={"smtp_pass_view": "masked"}).raise_for_status()
    assert api.get(auth_path()).json()["smtp_pass"] is None
    assert api.patch(auth_path(), json=SMTP_ON).json()["smtp_pass"] == "****"
    assert api.get(auth_path()).json()["smtp_pass"] == "****"
    # Other write-only secrets keep their digest.
    config = api.patch(auth_path(), json={"external_github_secret": "gh"}).json()
    assert config["external_github_secret"] == secret_digest(REF, "gh")
    assert api.patch(auth_path(), json={"smtp_host": ""}).json()["smtp_pass"] is None


@pytest.mark.parametrize(
    ("body", "cleared"),
    [
        ({"smtp_sender_name": "Other"}, True),
        ({"smtp_max_frequency": 30}, True),
        ({"smtp_sender_name": "Other", "smtp_pass": "next-one"}, False),
        ({"site_url": "https://karto.example"}, False),
    ],
)
def test_partial_smtp_patch_that_clears_the_password(
    api: httpx.Client, bare: httpx.Client, account: SupabaseAccount, body, cleared
) -> None:
    api.patch(auth_path(), json=SMTP_ON).raise_for_status()
    bare.post("/_sandbox/options", json={"partial_smtp_patch": "clears_password"})
    config = api.patch(auth_path(), json=body).json()
    expected = None if cleared else secret_digest(REF, body.get("smtp_pass", PASSWORD))
    assert config["smtp_pass"] == expected
    assert account.auth_config(REF)["smtp_pass"] == (
        None if cleared else body.get("smtp_pass", PASSWORD)
    )


def test_partial_smtp_patch_keeps_the_password_by_default(api: httpx.Client) -> None:
    api.patch(auth_path(), json=SMTP_ON).raise_for_status()
    config = api.patch(auth_path(), json={"smtp_sender_name": "Other"}).json()
    assert config["smtp_pass"] == secret_digest(REF, PASSWORD)


def test_options_reset_with_the_account_state(account: SupabaseAccount) -> None:
    seed = account.to_state()
    account.set_options(
        email_rate_limit_check="before_merge",
        smtp_pass_view="masked",
        partial_smtp_patch="clears_password",
    )
    account.load_state(seed)
    assert account.options()["email_rate_limit_check"] == "after_merge"
    assert account.options()["smtp_pass_view"] == "digest"
    assert account.options()["partial_smtp_patch"] == "keeps_password"
    with pytest.raises(ValueError, match="smtp_pass_view must be 'digest' or 'masked'"):
        account.set_options(smtp_pass_view="hidden")


def test_lenient_mode_accepts_a_partial_smtp_group(api: httpx.Client) -> None:
    config = api.patch(auth_path(), json={"smtp_host": "mail.smtp2go.com"}).json()
    assert config["smtp_host"] == "mail.smtp2go.com"
    assert config["smtp_user"] is None


def test_strict_mode_wants_the_whole_smtp_group_when_enabling(
    api: httpx.Client, bare: httpx.Client
) -> None:
    assert bare.post("/_sandbox/options", json={"smtp_group_mode": "strict"}).status_code == 200
    partial = {k: v for k, v in SMTP_ON.items() if k not in ("smtp_pass", "smtp_port")}
    response = api.patch(auth_path(), json=partial)
    assert response.status_code == 400
    assert response.json() == {
        "message": "Custom SMTP needs smtp_host, smtp_port, smtp_user, smtp_pass and "
        "smtp_admin_email together; missing: smtp_port, smtp_pass"
    }
    assert api.patch(auth_path(), json=SMTP_ON).status_code == 200
    # Once on, single members may change.
    assert api.patch(auth_path(), json={"smtp_pass": "new-one"}).json()["smtp_pass"] == (
        secret_digest(REF, "new-one")
    )
    # Settings unrelated to the group are unaffected while SMTP is off.
    api.patch(auth_path(), json={"smtp_host": ""}).raise_for_status()
    assert api.patch(auth_path(), json={"smtp_sender_name": "KARTO"}).status_code == 200


# -- rate limit ------------------------------------------------------------------------------


def test_default_rate_limit_is_120_per_minute(api: httpx.Client, account: SupabaseAccount) -> None:
    assert DEFAULT_RATE_LIMIT_PER_MINUTE == 120
    assert account.options()["rate_limit_per_minute"] == 120
    response = api.get(auth_path())
    assert response.headers["X-RateLimit-Limit"] == "120"
    assert response.headers["X-RateLimit-Remaining"] == "119"
    assert response.headers["X-RateLimit-Reset"] == "60"


def test_rate_limit_headers_and_429(
    api: httpx.Client, bare: httpx.Client, stack: Stack, account: SupabaseAccount
) -> None:
    bare.post("/_sandbox/options", json={"rate_limit_per_minute": 3}).raise_for_status()
    remaining = [api.get(auth_path()).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    advance(stack, 20)
    limited = api.get(auth_path())
    assert limited.status_code == 429
    assert limited.json() == {"message": "Rate limit exceeded"}
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"] == "40"
    assert api.patch(auth_path(), json={"jwt_exp": 1}).status_code == 429
    # Other scopes (another project, the project list) have their own counters.
    account.add_project(OTHER_REF, "karto-staging")
    assert api.get(auth_path(OTHER_REF)).status_code == 200
    assert api.get("/v1/projects").status_code == 200
    advance(stack, 40)
    again = api.get(auth_path())
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == "2"
    assert account.auth_config(REF)["jwt_exp"] == 3600


def test_rate_limit_can_be_switched_off(api: httpx.Client, bare: httpx.Client) -> None:
    bare.post(
        "/_sandbox/options", json={"rate_limit_enabled": False, "rate_limit_per_minute": 1}
    ).raise_for_status()
    for _ in range(3):
        response = api.get(auth_path())
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


def test_rate_limit_alias_used_by_the_sandbox() -> None:
    assert SupabaseAccount(rate_limit=False).options()["rate_limit_enabled"] is False


# -- request log, faults, admin -----------------------------------------------------------------


def test_request_log_never_holds_the_password_or_token(
    api: httpx.Client, bare: httpx.Client
) -> None:
    api.patch(auth_path(), json=SMTP_ON).raise_for_status()
    entries = bare.get("/_sandbox/requests").json()
    assert [(e["service"], e["method"], e["path"], e["status"]) for e in entries] == [
        ("supabase", "PATCH", auth_path(), 200)
    ]
    assert entries[0]["body"]["smtp_pass"] == "(redacted)"
    assert entries[0]["body"]["smtp_user"] == "karto-auth"
    assert "authorization" not in entries[0]["headers"]
    dumped = json.dumps(entries)
    assert PASSWORD not in dumped
    assert TOKEN not in dumped


def test_faults_are_injected_with_rate_limit_headers(api: httpx.Client, bare: httpx.Client) -> None:
    fault = {
        "kind": "status",
        "method": "GET",
        "path": ".*/config/auth",
        "status": 500,
        "body": {"message": "Failed to retrieve project's auth config"},
        "times": 1,
    }
    assert bare.post("/_sandbox/faults", json=fault).status_code == 201
    failed = api.get(auth_path())
    assert failed.status_code == 500
    assert failed.json() == {"message": "Failed to retrieve project's auth config"}
    assert failed.headers["X-RateLimit-Limit"] == "120"
    assert api.get(auth_path()).status_code == 200


def test_admin_adds_tokens_and_projects(bare: httpx.Client) -> None:
    assert bare.post("/_sandbox/tokens", json={"token": "sbp_new"}).status_code == 201
    created = bare.post("/_sandbox/projects", json={"ref": OTHER_REF, "name": "staging"})
    assert created.status_code == 201
    assert created.json()["ref"] == OTHER_REF
    assert created.json()["anon_key"].count(".") == 2
    headers = {"Authorization": "Bearer sbp_new"}
    assert bare.get(auth_path(OTHER_REF), headers=headers).json() == AUTH_CONFIG_DEFAULTS
    duplicate = bare.post("/_sandbox/projects", json={"ref": OTHER_REF, "name": "again"})
    assert duplicate.status_code == 409
    invalid = bare.post("/_sandbox/projects", json={"ref": "Short", "name": "x"})
    assert invalid.status_code == 400
    assert bare.post("/_sandbox/tokens", json={"token": ""}).status_code == 400
    assert bare.post("/_sandbox/options", json={"smtp_group_mode": "loose"}).status_code == 400
    assert bare.post("/_sandbox/options", json={"colour": "red"}).status_code == 400
    assert bare.get("/_sandbox/options").json() == {
        "rate_limit_enabled": True,
        "rate_limit_per_minute": 120,
        "smtp_group_mode": "lenient",
        "email_rate_limit_check": "after_merge",
        "smtp_pass_view": "digest",
        "partial_smtp_patch": "keeps_password",
    }


def test_admin_auth_log_endpoint(bare: httpx.Client, account: SupabaseAccount) -> None:
    account.append_auth_log(REF, {"level": "info", "msg": "hello"})
    [entry] = bare.get(f"/_sandbox/projects/{REF}/auth-logs").json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry.pop("timestamp"))
    assert entry == {"level": "info", "msg": "hello"}
    assert bare.get(f"/_sandbox/projects/{OTHER_REF}/auth-logs").status_code == 404


def test_state_round_trip(account: SupabaseAccount) -> None:
    account.update_auth_config(REF, {**SMTP_ON, "rate_limit_email_sent": 30})
    account.add_token("sbp_second")
    account.add_user(REF, "someone@example.com")
    account.append_auth_log(REF, {"msg": "kept"})
    state = json.loads(json.dumps(account.to_state()))
    restored = SupabaseAccount()
    restored.load_state(state)
    assert restored.to_state() == account.to_state()
    assert restored.auth_config(REF)["smtp_pass"] == PASSWORD
    assert restored.public_auth_config(REF)["smtp_pass"] == secret_digest(REF, PASSWORD)
    assert restored.has_token("sbp_second")
    assert restored.get_user(REF, "someone@example.com")["confirmed_at"] is not None
    with pytest.raises(ValueError, match="unsupported state version"):
        restored.load_state({**state, "version": 99})
