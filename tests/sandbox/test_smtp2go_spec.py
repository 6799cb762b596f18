"""Every emulated SMTP2GO operation's responses validate against the published 3.0.4 spec.

The spec is validated as published (OpenAPI 3.1, JSON Schema 2020-12 via OAS31Validator),
with `$ref`s resolved against the whole document. Where the spec itself is known to be
wrong, the single tolerated error is listed in KNOWN_SPEC_DEFECTS with its reason; any
other error fails the test, and each defect has a test proving it is still needed.

Error statuses other than 400 (401, 405, 429, 500) are not modelled by the spec at all;
SMTP2GO documents that they carry the same envelope, so they are checked against the
operation's 400 schema.

Not a defect: the live `*_expected` fields are absent from the domain schemas, but no
schema there sets `additionalProperties: false`, so the extra fields validate as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from karto_sandbox.smtp2go.models import Smtp2goAccount
from karto_sandbox.stack import Stack

SPEC_PATH = Path(__file__).resolve().parents[1] / "specs" / "smtp2go-api-3.0.4.openapi.yaml"
SPEC_URI = "urn:smtp2go-api-3.0.4"
KEY = "api-" + "Q7w8E9r0" * 4
LIMITED_KEY = "api-" + "L1m2T3d4" * 4
UNKNOWN_KEY = "api-" + "N0n3X1st" * 4
STRONG_PASSWORD = "Vq7#mL2!xR9$wK4p"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SPEC: dict[str, Any] = yaml.load(SPEC_PATH.read_text(), Loader=_Loader)  # noqa: S506 - safe loader
REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, DRAFT202012))


@dataclass(frozen=True)
class KnownSpecDefect:
    """One validation error the published spec gets wrong, matched as narrowly as possible.

    `substitute`: for a schema that wraps the real payload in a bogus envelope, the pointer
    (under the response schema) of the spec's own schema for that payload; the payload is
    validated against it instead, so the defect never means "unchecked".
    """

    name: str
    operations: tuple[str, ...]  # operationIds
    status: str
    instance_path: str  # regex on the error's JSON path
    keyword: str  # the failing JSON Schema keyword
    message: str  # regex on the error message
    reason: str
    substitute: tuple[str, ...] = ()


KNOWN_SPEC_DEFECTS = (
    KnownSpecDefect(
        name="patch-items-nest-envelope",
        operations=("patch-smtp-user",),
        status="200",
        instance_path=r"\$\.data\[\d+\]",
        keyword="required",
        message=r"'(request_id|data)' is a required property",
        reason="The PATCH item schema nests request_id/data inside each array item; the "
        "spec's own example (and live use) puts the user fields directly in each item.",
        substitute=("properties", "data", "items", "properties", "data"),
    ),
    KnownSpecDefect(
        name="single-sender-view-request-id-in-data",
        operations=("view-all-single-sender-emails",),
        status="200",
        instance_path=r"\$\.data",
        keyword="required",
        message=r"'request_id' is a required property",
        reason="The view schema requires request_id inside data; every other endpoint and "
        "the observed live body carry it at the top level, as the emulator does.",
    ),
    KnownSpecDefect(
        name="permissions-items-typed-as-objects",
        operations=("view-api-key-permissions",),
        status="200",
        instance_path=r"\$\.data\[\d+\]",
        keyword="type",
        message=r"'[^']*' is not of type 'object'",
        reason="The items schema nests request_id/data like PATCH's; the spec's example "
        "(and its description) give a list of endpoint strings.",
        substitute=("properties", "data", "items", "properties", "data", "items"),
    ),
    KnownSpecDefect(
        name="nullable-is-an-oas30-keyword",
        operations=(
            "view-smtp-users",
            "add-an-smtp-user",
            "edit-an-smtp-user",
            "remove-an-smtp-user",
            "patch-smtp-user",
        ),
        status="200",
        instance_path=r"\$\.data(\.results)?\[\d+\]\.(custom_ratelimit_value|audit_email)",
        keyword="type",
        message=r"None is not of type '(integer|string)'",
        reason="The document says OpenAPI 3.1 but marks these `nullable: true` (3.0 syntax, "
        "ignored by 3.1; PATCH's copy omits even that); the spec's own examples return null.",
    ),
    KnownSpecDefect(
        name="activity-continue-token-nullable",
        operations=("search-activity",),
        status="200",
        instance_path=r"\$\.data\.continue_token",
        keyword="type",
        message=r"None is not of type 'string'",
        reason="continue_token is `nullable: true` (OpenAPI 3.0 syntax in a 3.1 document) and "
        "the spec's own example ends the last page with `continue_token: null`.",
    ),
)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def operation_id(path: str, method: str) -> str:
    return SPEC["paths"][path][method.lower()]["operationId"]


def schema_pointer(kind: str, path: str, method: str, status: str) -> tuple[str, ...]:
    operation = SPEC["paths"][path][method.lower()]
    if kind == "request":
        content = operation["requestBody"]["content"]["application/json"]
        where: tuple[str, ...] = ("requestBody",)
    else:
        content = operation["responses"][status]["content"]["application/json"]
        where = ("responses", status)
    assert "schema" in content, f"no {kind} schema for {method} {path} {status}"
    return ("paths", path, method.lower(), *where, "content", "application/json", "schema")


def spec_errors(
    pointer: tuple[str, ...], instance: Any, at: str = "$"
) -> list[tuple[str, ValidationError]]:
    """(JSON path from the response root, error) for `instance` against the schema at `pointer`."""
    ref = SPEC_URI + "#/" + "/".join(_escape(p) for p in pointer)
    validator = OAS31Validator({"$ref": ref}, registry=REGISTRY)
    return [(at + e.json_path[1:], e) for e in validator.iter_errors(instance)]


def defect_for(
    op_id: str, status: str, path: str, error: ValidationError
) -> KnownSpecDefect | None:
    for defect in KNOWN_SPEC_DEFECTS:
        if (
            op_id in defect.operations
            and defect.status == status
            and re.fullmatch(defect.instance_path, path)
            and error.validator == defect.keyword
            and re.fullmatch(defect.message, error.message)
        ):
            return defect
    return None


def conformance(path: str, method: str, status: str, body: Any) -> tuple[set[str], list[str]]:
    """(defects that applied, unexplained errors) of a response body against the spec."""
    op_id = operation_id(path, method)
    pointer = schema_pointer("response", path, method, status)
    used: set[str] = set()
    unexpected: list[str] = []
    pending = spec_errors(pointer, body)
    substituted: set[str] = set()
    while pending:
        where, error = pending.pop(0)
        defect = defect_for(op_id, status, where, error)
        if defect is None:
            unexpected.append(f"{where}: {error.message}")
            continue
        used.add(defect.name)
        if defect.substitute and where not in substituted:
            substituted.add(where)
            instance = _at(body, where)
            pending.extend(spec_errors(pointer + defect.substitute, instance, where))
    return used, unexpected


def _at(body: Any, json_path: str) -> Any:
    value = body
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", json_path):
        value = value[name] if name else value[int(index)]
    return value


def assert_conforms(path: str, method: str, response: httpx.Response) -> set[str]:
    """Fail on any spec error not in KNOWN_SPEC_DEFECTS; return the defects that applied."""
    status = "200" if response.status_code == 200 else "400"
    used, unexpected = conformance(path, method, status, response.json())
    assert not unexpected, f"{method} {path} -> {response.status_code}: {unexpected}"
    return used


@pytest.fixture
def account(stack: Stack) -> Smtp2goAccount:
    account = stack.smtp2go_account
    account.add_api_key(KEY)
    account.add_api_key(LIMITED_KEY, ["/email/send"])
    return account


@pytest.fixture
def call(stack: Stack, account):
    """POST/PATCH `body` to an endpoint, after checking the body against the request schema."""
    with httpx.Client(base_url=f"{stack.smtp2go_url}/v3", timeout=5) as client:

        def _call(
            method: str, path: str, body: dict[str, Any], key: str | None = KEY
        ) -> httpx.Response:
            if "requestBody" in SPEC["paths"][path][method.lower()]:
                pointer = schema_pointer("request", path, method, "")
                request_errors = spec_errors(pointer, body)
                assert not request_errors, [e.message for _, e in request_errors]
            else:  # an operation that takes no body (/stats/email_cycle)
                assert body == {}
            headers = {"X-Smtp2go-Api-Key": key} if key else {}
            return client.request(method, path, json=body, headers=headers)

        yield _call


def seed(account: Smtp2goAccount) -> None:
    account.add_user("mailer01", {"description": "seeded"}, STRONG_PASSWORD)
    account.add_user(
        "limited01",
        {
            "custom_ratelimit": True,
            "custom_ratelimit_value": 10,
            "custom_ratelimit_period": "1 day",
            "ippool": 3,
            "audit_email": "audit@example.com",
        },
        STRONG_PASSWORD,
    )
    account.add_sender("ops@example.org")
    account.add_domain("example.com", auto_verify=False)
    account.mark_dns_present("example.net")
    account.add_domain("example.net")


SUCCESS_CALLS = [
    ("POST", "/users/smtp/view", {}),
    ("POST", "/users/smtp/view", {"username": "limited01"}),
    ("POST", "/users/smtp/add", {"username": "fresh001"}),
    (
        "POST",
        "/users/smtp/add",
        {
            "username": "fresh002",
            "email_password": STRONG_PASSWORD,
            "description": "d",
            "custom_ratelimit": True,
            "custom_ratelimit_value": 5,
            "custom_ratelimit_period": "1 hour",
            "ip_pool": 9,
            "feedback_enabled": True,
            "feedback_domain": "default",
            "feedback_html": "<p>x</p>",
            "feedback_text": "x",
            "open_tracking_enabled": True,
            "click_tracking_enabled": True,
            "archive_enabled": True,
            "audit_email": "a@example.com",
            "bounce_notifications": "drop",
            "status": "sandbox",
        },
    ),
    ("POST", "/users/smtp/edit", {"username": "mailer01", "description": "replaced"}),
    ("PATCH", "/users/smtp/edit", {"username": "mailer01", "status": "blocked", "ip_pool": 4}),
    ("PATCH", "/users/smtp/edit", {"username": "mailer01", "email_password": ""}),
    ("POST", "/users/smtp/edit", {"username": "mailer01", "email_password": ""}),
    ("POST", "/users/smtp/remove", {"username": "mailer01"}),
    ("POST", "/single_sender_emails/add", {"email_address": "new@example.org", "message": "hi"}),
    ("POST", "/single_sender_emails/view", {}),
    ("POST", "/single_sender_emails/view", {"email_address": "ops@example.org"}),
    ("POST", "/single_sender_emails/remove", {"email_address": "ops@example.org"}),
    ("POST", "/domain/add", {"domain": "example.org"}),
    (
        "POST",
        "/domain/add",
        {
            "domain": "example.io",
            "tracking_subdomain": "trk",
            "returnpath_subdomain": "rp",
            "auto_verify": False,
            "requisition_ssl": False,
            "subaccount_access": {"subaccounts": [], "future_subaccounts": True},
        },
    ),
    ("POST", "/domain/view", {}),
    ("POST", "/domain/view", {"domain": "example.net"}),
    ("POST", "/domain/verify", {"domain": "example.com"}),
    ("POST", "/domain/verify", {"domain": "example.net"}),
    ("POST", "/domain/remove", {"domain": "example.com"}),
    ("POST", "/api_keys/permissions", {}),
    ("POST", "/stats/email_cycle", {}),
    ("POST", "/stats/email_bounces", {}),
    ("POST", "/stats/email_bounces", {"username": "mailer01"}),
    ("POST", "/stats/email_spam", {}),
    ("POST", "/stats/email_spam", {"username": "mailer01"}),
    ("POST", "/activity/search", {}),
    (
        "POST",
        "/activity/search",
        {
            "start_date": "2000-01-01",
            "end_date": "2999-01-01 00:00:00",
            "search_recipient": "bounce@example.net",
            "search_usernames": ["mailer01"],
            "event_types": ["processed", "hard-bounced"],
            "include_headers": True,
            "custom_headers": ["Message-ID"],
            "limit": 10,
        },
    ),
    ("POST", "/activity/search", {"start_date": "2000-01-01T00:00:00Z", "only_latest": True}),
]


def seed_mail(stack: Stack) -> None:
    """Mail the relay accepted: one delivered, one hard-bounced, one from a sandboxed user."""
    raw = (
        "From: Ops <ops@example.org>\r\nTo: {to}\r\nSubject: Hello\r\n"
        "Message-ID: <m-{to}>\r\n\r\nbody\r\n"
    )
    for to in ("user@example.net", "bounce@example.net"):
        stack.mailbox.deliver("ops@example.org", [to], "mailer01", raw.format(to=to))
    stack.mailbox.deliver(
        "ops@example.org", ["x@example.net"], "limited01", raw.format(to="x"), status="rejected"
    )
    stack.activity.set_fate("bounce@example.net", "hard-bounced")


def test_success_calls_cover_every_route_the_stack_serves(stack: Stack) -> None:
    served = {
        (route.method, route.pattern.pattern)
        for route in stack.smtp2go_app.routes
        if route.pattern.pattern.startswith("/v3/")
    }
    assert served == {(method, "/v3" + path) for method, path, _body in SUCCESS_CALLS}


@pytest.mark.parametrize(
    ("method", "path", "body"), SUCCESS_CALLS, ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("password_echo", ["echo", "mask", "omit"])
def test_success_responses_match_the_spec(stack, call, account, method, path, body, password_echo):
    seed(account)
    seed_mail(stack)
    account.configure(password_echo=password_echo)
    response = call(method, path, body)
    assert response.status_code == 200, response.text
    assert_conforms(path, method, response)


ERROR_CALLS = [
    # (method, path, body, key, expected status, expected error_code suffix)
    ("POST", "/users/smtp/add", {"username": "abc"}, KEY, 400, "NON_VALIDATING_IN_PAYLOAD"),
    ("POST", "/users/smtp/add", {"username": "mailer01"}, KEY, 400, "API_EXCEPTION"),
    (
        "POST",
        "/users/smtp/add",
        {"username": "weakpass", "email_password": "abc"},
        KEY,
        400,
        "NON_VALIDATING_IN_PAYLOAD",
    ),
    ("POST", "/users/smtp/edit", {"username": "ghost-user"}, KEY, 400, "API_EXCEPTION"),
    ("PATCH", "/users/smtp/edit", {"username": "ghost-user"}, KEY, 400, "API_EXCEPTION"),
    ("POST", "/users/smtp/remove", {"username": "ghost-user"}, KEY, 400, "API_EXCEPTION"),
    ("POST", "/users/smtp/view", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    ("POST", "/users/smtp/view", {}, None, 401, "API_EXCEPTION"),
    ("POST", "/users/smtp/view", {}, UNKNOWN_KEY, 401, "API_EXCEPTION"),
    (
        "POST",
        "/single_sender_emails/add",
        {"email_address": "nope"},
        KEY,
        400,
        "NON_VALIDATING_IN_PAYLOAD",
    ),
    (
        "POST",
        "/single_sender_emails/remove",
        {"email_address": "ghost@example.org"},
        KEY,
        400,
        "API_EXCEPTION",
    ),
    ("POST", "/single_sender_emails/view", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    ("POST", "/domain/add", {"domain": "example.com"}, KEY, 400, "API_EXCEPTION"),
    ("POST", "/domain/add", {"domain": "not a domain"}, KEY, 400, "NON_VALIDATING_IN_PAYLOAD"),
    ("POST", "/domain/verify", {"domain": "ghost.example"}, KEY, 400, "API_EXCEPTION"),
    ("POST", "/domain/remove", {"domain": "ghost.example"}, KEY, 400, "API_EXCEPTION"),
    ("POST", "/domain/view", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    ("POST", "/api_keys/permissions", {}, UNKNOWN_KEY, 401, "API_EXCEPTION"),
    ("POST", "/stats/email_cycle", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    ("POST", "/stats/email_bounces", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    ("POST", "/stats/email_spam", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    ("POST", "/activity/search", {}, LIMITED_KEY, 400, "ENDPOINT_PERMISSION_DENIED"),
    (
        "POST",
        "/activity/search",
        {"start_date": "yesterday"},
        KEY,
        400,
        "NON_VALIDATING_IN_PAYLOAD",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "key", "status", "code"), ERROR_CALLS)
def test_error_responses_match_the_spec(call, account, method, path, body, key, status, code):
    seed(account)
    response = call(method, path, body, key=key)
    assert response.status_code == status, response.text
    assert response.json()["data"]["error_code"] == f"E_ApiResponseCodes.{code}"
    assert assert_conforms(path, method, response) == set()


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("field", ["email_password", "audit_email"])
def test_the_spec_refuses_null_for_user_fields(method, field):
    """The source of the emulator's 400 for `null` (test_smtp2go_api.py)."""
    errors = spec_errors(
        schema_pointer("request", "/users/smtp/edit", method, ""),
        {"username": "mailer01", field: None},
    )
    assert [e.message for _, e in errors] == ["None is not of type 'string'"]


def test_unknown_key_500_matches_the_error_schema(call, account):
    account.configure(unknown_key_status=500)
    response = call("POST", "/domain/view", {}, key=UNKNOWN_KEY)
    assert response.status_code == 500
    assert_conforms("/domain/view", "POST", response)


def test_rate_limited_429_matches_the_error_schema(call, account):
    account.configure(rate_limit={"requests": 1, "per_seconds": 60})
    assert call("POST", "/users/smtp/view", {}).status_code == 200
    response = call("POST", "/users/smtp/view", {})
    assert response.status_code == 429
    assert_conforms("/users/smtp/view", "POST", response)


def test_wrong_method_405_matches_the_error_schema(stack, account):
    response = httpx.get(f"{stack.smtp2go_url}/v3/domain/view", headers={"X-Smtp2go-Api-Key": KEY})
    assert response.status_code == 405
    assert_conforms("/domain/view", "POST", response)


# -- each allow-list entry is still needed, and only where it says --------------------
@pytest.mark.parametrize(
    ("method", "path", "body", "defect"),
    [
        ("PATCH", "/users/smtp/edit", {"username": "mailer01"}, "patch-items-nest-envelope"),
        ("POST", "/single_sender_emails/view", {}, "single-sender-view-request-id-in-data"),
        ("POST", "/api_keys/permissions", {}, "permissions-items-typed-as-objects"),
        ("POST", "/users/smtp/view", {}, "nullable-is-an-oas30-keyword"),
        ("POST", "/activity/search", {}, "activity-continue-token-nullable"),
    ],
)
def test_known_spec_defect_is_still_needed(call, account, method, path, body, defect):
    seed(account)
    response = call(method, path, body)
    assert response.status_code == 200
    assert defect in assert_conforms(path, method, response)


def test_known_defects_do_not_hide_real_mistakes():
    # A PATCH item is checked against the spec's nested user schema instead.
    used, unexpected = conformance(
        "/users/smtp/edit", "PATCH", "200", {"request_id": "r", "data": [{"username": 5}]}
    )
    assert used == {"patch-items-nest-envelope"}
    assert unexpected == ["$.data[0].username: 5 is not of type 'string'"]
    used, unexpected = conformance(
        "/api_keys/permissions", "POST", "200", {"request_id": "r", "data": ["/email/send", 7]}
    )
    assert used == {"permissions-items-typed-as-objects"}
    assert unexpected == ["$.data[1]: 7 is not of type 'object'"]
    # null is tolerated only on the two fields the spec marks nullable.
    item = {"username": "u", "sending_allowed": True, "custom_ratelimit": False}
    body = {
        "request_id": "r",
        "data": {"results": [{**item, "audit_email": None, "description": None}]},
    }
    used, unexpected = conformance("/users/smtp/view", "POST", "200", body)
    assert used == {"nullable-is-an-oas30-keyword"}
    assert unexpected == ["$.data.results[0].description: None is not of type 'string'"]
    # The single sender view still needs its senders to be right.
    body = {"request_id": "r", "data": {"senders": [{"email_address": "a@b.co"}]}}
    used, unexpected = conformance("/single_sender_emails/view", "POST", "200", body)
    assert unexpected == ["$.data.senders[0]: 'verified' is a required property"]


def test_domain_schemas_accept_the_live_expected_fields():
    for path in ("/domain/add", "/domain/view", "/domain/verify", "/domain/remove"):
        schema = SPEC["paths"][path]["post"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
        item = schema["properties"]["data"]["properties"]["domains"]["items"]
        assert "additionalProperties" not in item["properties"]["domain"]
        assert "additionalProperties" not in item["properties"]["trackers"]["items"]
