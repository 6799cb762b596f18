"""Behaviour of the stack's SMTP2GO API emulator, over real HTTP on loopback."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx
import pytest

from karto_sandbox.smtp2go.models import PASSWORD_MASK, Smtp2goAccount, password_entropy_bits
from karto_sandbox.stack import Stack

KEY = "api-" + "A1b2C3d4" * 4
OTHER_KEY = "api-" + "Z9y8X7w6" * 4
STRONG_PASSWORD = "Vq7#mL2!xR9$wK4p"  # 16 chars, 4 classes: ~105 bits
PERMISSION_TEXT = "You do not have permission to access this API endpoint"
UNKNOWN_KEY_TEXT = "An API User matching the passed 'api_key' was not found"

DEFAULT_USER_ITEM = {
    "sending_allowed": True,
    "custom_ratelimit": False,
    "custom_ratelimit_value": None,
    "custom_ratelimit_period": "0:00:00",
    "description": "",
    "feedback_enabled": False,
    "feedback_domain": "default",
    "feedback_html": "",
    "feedback_text": "",
    "open_tracking_enabled": False,
    "click_tracking_enabled": False,
    "archive_enabled": False,
    "audit_email": None,
    "bounce_notifications": "from",
    "status": "allowed",
}


@pytest.fixture
def server(stack: Stack) -> Stack:
    return stack


@pytest.fixture
def account(stack: Stack) -> Smtp2goAccount:
    stack.smtp2go_account.add_api_key(KEY)
    return stack.smtp2go_account


@pytest.fixture
def api(stack: Stack, account):
    headers = {"X-Smtp2go-Api-Key": KEY}
    with httpx.Client(base_url=f"{stack.smtp2go_url}/v3", headers=headers, timeout=5) as client:
        yield client


@pytest.fixture
def bare(stack: Stack, account):
    """No API key and no /v3 prefix: for auth, routing and the admin routes."""
    with httpx.Client(base_url=stack.smtp2go_url, timeout=5) as client:
        yield client


def ok_data(response: httpx.Response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"request_id", "data"}
    uuid.UUID(body["request_id"])
    return body["data"]


def error_data(response: httpx.Response, status: int, code: str, error: str | None = None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"request_id", "data"}
    uuid.UUID(body["request_id"])
    assert body["data"]["error_code"] == f"E_ApiResponseCodes.{code}"
    if error is not None:
        assert body["data"]["error"] == error
    return body["data"]


def field_error(response: httpx.Response, fieldname: str) -> str:
    data = error_data(response, 400, "NON_VALIDATING_IN_PAYLOAD")
    assert data["field_validation_errors"]["fieldname"] == fieldname
    return data["field_validation_errors"]["message"]


def add_user(api: httpx.Client, username: str = "mailer01", **fields) -> dict:
    return ok_data(api.post("/users/smtp/add", json={"username": username, **fields}))["results"][0]


# -- auth -----------------------------------------------------------------------------
def test_key_in_header_is_accepted(api):
    assert ok_data(api.post("/users/smtp/view", json={}))["results"] == []


def test_key_in_body_is_accepted(bare):
    response = bare.post("/v3/users/smtp/view", json={"api_key": KEY})
    assert ok_data(response)["results"] == []


def test_key_as_bearer_token_is_accepted(bare):
    response = bare.post("/v3/users/smtp/view", json={}, headers={"Authorization": f"Bearer {KEY}"})
    assert ok_data(response)["results"] == []


def test_missing_key_is_401(bare):
    response = bare.post("/v3/users/smtp/view", json={})
    error_data(response, 401, "API_EXCEPTION", "No valid API key provided.")


def test_unknown_key_is_401_by_default(bare):
    response = bare.post("/v3/users/smtp/view", json={"api_key": OTHER_KEY})
    error_data(response, 401, "API_EXCEPTION", "No valid API key provided.")


def test_unknown_key_can_answer_the_live_500_body(bare):
    assert bare.post("/_sandbox/options", json={"unknown_key_status": 500}).status_code == 200
    response = bare.post("/v3/domain/view", json={"api_key": OTHER_KEY})
    error_data(response, 500, "API_EXCEPTION", UNKNOWN_KEY_TEXT)
    # A request with no key at all is still the documented 401.
    error_data(bare.post("/v3/domain/view", json={}), 401, "API_EXCEPTION")


def test_body_key_must_agree_with_header_key(api, account):
    account.add_api_key(OTHER_KEY)
    response = api.post("/users/smtp/view", json={"api_key": OTHER_KEY})
    error_data(response, 401, "API_EXCEPTION", "No valid API key provided.")
    assert ok_data(api.post("/users/smtp/view", json={"api_key": KEY}))["results"] == []


def test_endpoint_permissions_are_enforced(bare, account):
    account.add_api_key(OTHER_KEY, ["/domain/*", "/single_sender_emails/view"])
    headers = {"X-Smtp2go-Api-Key": OTHER_KEY}
    denied = bare.post("/v3/users/smtp/view", json={}, headers=headers)
    error_data(denied, 400, "ENDPOINT_PERMISSION_DENIED", PERMISSION_TEXT)
    denied = bare.post(
        "/v3/single_sender_emails/add", json={"email_address": "a@b.io"}, headers=headers
    )
    error_data(denied, 400, "ENDPOINT_PERMISSION_DENIED", PERMISSION_TEXT)
    assert ok_data(bare.post("/v3/domain/view", json={}, headers=headers)) == {"domains": []}
    assert ok_data(bare.post("/single_sender_emails/view", json={}, headers=headers)) == {
        "senders": []
    }
    assert account.senders() == []


def test_api_key_permissions_is_open_to_every_key(bare, account):
    account.add_api_key(OTHER_KEY, ["/email/send"])
    response = bare.post(
        "/v3/api_keys/permissions", json={}, headers={"X-Smtp2go-Api-Key": OTHER_KEY}
    )
    assert ok_data(response) == ["/email/send"]


def test_invalid_json_is_non_validating(api):
    response = api.post(
        "/users/smtp/view", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in field_error(response, "body")
    response = api.post("/users/smtp/view", json=["a", "list"])
    assert field_error(response, "body") == "The body must be a JSON object"


def test_unknown_fields_are_rejected_unless_switched_off(api, bare):
    response = api.post("/users/smtp/add", json={"username": "mailer01", "colour": "blue"})
    assert "'colour'" in field_error(response, "colour")
    bare.post("/_sandbox/options", json={"reject_unknown_fields": False})
    assert add_user(api, colour="blue")["username"] == "mailer01"


def test_feedback_domain_is_not_a_patch_field(api):
    add_user(api)
    response = api.patch("/users/smtp/edit", json={"username": "mailer01", "feedback_domain": "x"})
    field_error(response, "feedback_domain")


def test_subaccount_id_is_refused(api):
    response = api.post("/users/smtp/view", json={"subaccount_id": "abc123"})
    error_data(
        response, 400, "API_EXCEPTION", "A subaccount matching the passed id abc123 was not found"
    )


# -- routing --------------------------------------------------------------------------
def test_routes_answer_with_and_without_the_v3_prefix(bare):
    headers = {"X-Smtp2go-Api-Key": KEY}
    assert ok_data(bare.post("/users/smtp/view", json={}, headers=headers))["results"] == []
    assert ok_data(bare.post("/v3/users/smtp/view", json={}, headers=headers))["results"] == []


def test_wrong_method_on_a_known_path_is_405(api):
    error_data(
        api.get("/users/smtp/view"),
        405,
        "API_EXCEPTION",
        "Method GET is not allowed on /v3/users/smtp/view",
    )
    error_data(api.patch("/users/smtp/add", json={}), 405, "API_EXCEPTION")


def test_unknown_path_is_404_with_the_envelope(api):
    error_data(
        api.post("/users/smtp/delete", json={}),
        404,
        "API_EXCEPTION",
        "Cannot find the endpoint /v3/users/smtp/delete",
    )


# -- users/smtp -----------------------------------------------------------------------
def test_add_applies_documented_defaults_and_shows_the_generated_password_once(api, account):
    item = add_user(api)
    generated = item.pop("email_password")
    assert item == {"username": "mailer01", **DEFAULT_USER_ITEM}
    assert len(generated) == 32 and password_entropy_bits(generated) >= 128
    assert account.users()[0]["email_password"] == generated
    assert account.smtp_login("mailer01", generated) == "ok"
    viewed = ok_data(api.post("/users/smtp/view", json={}))
    assert viewed == {
        "results": [{"username": "mailer01", "email_password": PASSWORD_MASK, **DEFAULT_USER_ITEM}],
        "default_ratelimit_value": 0,
        "default_ratelimit_period": "unlimited",
    }


def test_blank_password_on_add_is_generated(api, account):
    item = add_user(api, email_password="")
    assert item["email_password"] == account.users()[0]["email_password"]
    assert len(item["email_password"]) == 32


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("echo", STRONG_PASSWORD), ("mask", PASSWORD_MASK), ("omit", None)],
)
def test_password_echo_switch(api, bare, mode, expected):
    bare.post("/_sandbox/options", json={"password_echo": mode})
    responses = [
        add_user(api, email_password=STRONG_PASSWORD),
        ok_data(api.post("/users/smtp/view", json={"username": "mailer01"}))["results"][0],
        ok_data(api.post("/users/smtp/edit", json={"username": "mailer01"}))["results"][0],
        ok_data(api.patch("/users/smtp/edit", json={"username": "mailer01"}))[0],
        ok_data(api.post("/users/smtp/remove", json={"username": "mailer01"}))["results"][0],
    ]
    for item in responses:
        assert item.get("email_password") == expected
        assert ("email_password" in item) == (expected is not None)


def test_generated_password_is_shown_on_add_even_when_omitted(api, bare, account):
    bare.post("/_sandbox/options", json={"password_echo": "omit"})
    item = add_user(api)
    assert item["email_password"] == account.users()[0]["email_password"]
    viewed = ok_data(api.post("/users/smtp/view", json={}))["results"][0]
    assert "email_password" not in viewed


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaa", "Password1", "abcDEF123"])
def test_low_entropy_password_is_refused(api, account, password):
    assert password_entropy_bits(password) < 64
    response = api.post(
        "/users/smtp/add", json={"username": "mailer01", "email_password": password}
    )
    assert "64 bits" in field_error(response, "email_password")
    assert account.users() == []


def test_entropy_estimate_is_length_times_log2_of_the_classes_used():
    assert password_entropy_bits("abcdefghijklmn") == pytest.approx(14 * 4.70044, rel=1e-4)
    assert password_entropy_bits("aB3!") == pytest.approx(4 * 6.56986, rel=1e-4)
    assert password_entropy_bits("") == 0


def test_caller_password_is_stored_and_used_for_smtp_login(api, account):
    item = add_user(api, email_password=STRONG_PASSWORD)
    assert item["email_password"] == PASSWORD_MASK  # not generated: follows password_echo
    assert account.smtp_login("mailer01", STRONG_PASSWORD) == "ok"
    assert account.smtp_login("mailer01", STRONG_PASSWORD + "x") == "bad_credentials"
    assert account.smtp_login("MAILER01", STRONG_PASSWORD) == "bad_credentials"
    assert account.smtp_login("nobody", STRONG_PASSWORD) == "bad_credentials"


@pytest.mark.parametrize("status", ["blocked", "sandbox"])
def test_smtp_login_reports_blocked_and_sandbox_users(api, account, status):
    item = add_user(api, email_password=STRONG_PASSWORD, status=status)
    assert item["status"] == status and item["sending_allowed"] is False
    assert account.smtp_login("mailer01", STRONG_PASSWORD) == status
    assert account.smtp_login("mailer01", "wrong-Password-123") == "bad_credentials"


@pytest.mark.parametrize("username", ["abcde", "a" * 100, "first.last@example.com", "x_y-z.1"])
def test_valid_usernames(api, username):
    assert add_user(api, username)["username"] == username


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("abcd", "must be 5 to 100 characters long"),
        ("a" * 101, "must be 5 to 100 characters long"),
        ("has space", "may only contain"),
        ("semi;colon", "may only contain"),
    ],
)
def test_invalid_usernames(api, account, username, message):
    response = api.post("/users/smtp/add", json={"username": username})
    assert message in field_error(response, "username")
    assert account.users() == []


def test_missing_username_is_non_validating(api):
    assert (
        field_error(api.post("/users/smtp/add", json={}), "username")
        == "The field 'username' is required"
    )


@pytest.mark.parametrize(
    ("fields", "fieldname"),
    [
        ({"custom_ratelimit": "yes"}, "custom_ratelimit"),
        ({"ip_pool": True}, "ip_pool"),
        ({"ip_pool": "12"}, "ip_pool"),
        ({"description": 5}, "description"),
        ({"open_tracking_enabled": 1}, "open_tracking_enabled"),
        ({"status": "paused"}, "status"),
        ({"bounce_notifications": "somewhere"}, "bounce_notifications"),
        ({"audit_email": "not-an-address"}, "audit_email"),
    ],
)
def test_field_types_and_values_are_checked(api, account, fields, fieldname):
    response = api.post("/users/smtp/add", json={"username": "mailer01", **fields})
    field_error(response, fieldname)
    assert account.users() == []


def test_type_error_message_names_the_expected_type(api):
    response = api.post("/users/smtp/add", json={"username": "mailer01", "custom_ratelimit": "yes"})
    assert field_error(response, "custom_ratelimit") == (
        "The field 'custom_ratelimit' was expecting a boolean but found 'yes', "
        "Please correct your JSON payload and try again."
    )


def test_duplicate_username_is_an_api_exception(api):
    add_user(api)
    response = api.post("/users/smtp/add", json={"username": "mailer01"})
    error_data(
        response, 400, "API_EXCEPTION", "An SMTP user with the username mailer01 already exists"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/users/smtp/edit"), ("PATCH", "/users/smtp/edit"), ("POST", "/users/smtp/remove")],
)
def test_unknown_user_is_an_api_exception(api, method, path):
    response = api.request(method, path, json={"username": "ghost-user"})
    error_data(
        response,
        400,
        "API_EXCEPTION",
        "An SMTP user matching the username ghost-user was not found",
    )


def test_custom_ratelimit_is_stored_only_when_enabled(api, account):
    item = add_user(
        api, custom_ratelimit=True, custom_ratelimit_value=500, custom_ratelimit_period="1 day"
    )
    assert (
        item["custom_ratelimit"],
        item["custom_ratelimit_value"],
        item["custom_ratelimit_period"],
    ) == (True, 500, "1 day")
    patched = ok_data(
        api.patch("/users/smtp/edit", json={"username": "mailer01", "custom_ratelimit": False})
    )[0]
    assert (patched["custom_ratelimit_value"], patched["custom_ratelimit_period"]) == (
        None,
        "0:00:00",
    )
    ignored = ok_data(
        api.patch("/users/smtp/edit", json={"username": "mailer01", "custom_ratelimit_value": 9})
    )[0]
    assert ignored["custom_ratelimit_value"] is None
    assert account.users()[0]["custom_ratelimit_value"] is None


@pytest.mark.parametrize(
    "period", ["0:30:00", "1 hour", "2 days", "3 months", "4 months 5:00:00", "1 week"]
)
def test_documented_ratelimit_periods_are_accepted(api, period):
    item = add_user(
        api, custom_ratelimit=True, custom_ratelimit_value=10, custom_ratelimit_period=period
    )
    assert item["custom_ratelimit_period"] == period


@pytest.mark.parametrize(
    ("fields", "fieldname"),
    [
        ({"custom_ratelimit_period": "1 day"}, "custom_ratelimit_value"),
        (
            {"custom_ratelimit_value": 0, "custom_ratelimit_period": "1 day"},
            "custom_ratelimit_value",
        ),
        (
            {"custom_ratelimit_value": 2_147_483_648, "custom_ratelimit_period": "1 day"},
            "custom_ratelimit_value",
        ),
        ({"custom_ratelimit_value": 5}, "custom_ratelimit_period"),
        (
            {"custom_ratelimit_value": 5, "custom_ratelimit_period": "fortnightly"},
            "custom_ratelimit_period",
        ),
    ],
)
def test_enabled_custom_ratelimit_needs_a_valid_value_and_period(api, fields, fieldname):
    response = api.post(
        "/users/smtp/add", json={"username": "mailer01", "custom_ratelimit": True, **fields}
    )
    field_error(response, fieldname)


def test_post_edit_replaces_every_setting(api, account):
    add_user(
        api,
        email_password=STRONG_PASSWORD,
        description="billing",
        open_tracking_enabled=True,
        status="sandbox",
        ip_pool=7,
        audit_email="audit@example.com",
    )
    data = ok_data(
        api.post("/users/smtp/edit", json={"username": "mailer01", "archive_enabled": True})
    )
    item = data["results"][0]
    item.pop("email_password")
    assert item == {"username": "mailer01", **DEFAULT_USER_ITEM, "archive_enabled": True}
    # The password is not a setting: it survives a replace that does not mention it.
    assert account.smtp_login("mailer01", STRONG_PASSWORD) == "ok"


def test_patch_edit_merges_and_answers_a_bare_array(api):
    add_user(api, description="billing", open_tracking_enabled=True, ip_pool=7)
    data = ok_data(
        api.patch("/users/smtp/edit", json={"username": "mailer01", "status": "blocked"})
    )
    assert isinstance(data, list) and len(data) == 1
    item = data[0]
    item.pop("email_password")
    assert item == {
        "username": "mailer01",
        **DEFAULT_USER_ITEM,
        "description": "billing",
        "open_tracking_enabled": True,
        "ippool": 7,
        "status": "blocked",
        "sending_allowed": False,
    }


def test_edit_can_set_a_new_password_and_leaving_it_out_keeps_it(api, account):
    add_user(api)
    new_password = "Zx9!" + STRONG_PASSWORD
    ok_data(
        api.patch("/users/smtp/edit", json={"username": "mailer01", "email_password": new_password})
    )
    assert account.smtp_login("mailer01", new_password) == "ok"
    for method in ("PATCH", "POST"):
        edited = ok_data(api.request(method, "/users/smtp/edit", json={"username": "mailer01"}))
        item = edited[0] if method == "PATCH" else edited["results"][0]
        assert item["email_password"] == PASSWORD_MASK
        assert account.smtp_login("mailer01", new_password) == "ok"
    weak = api.patch("/users/smtp/edit", json={"username": "mailer01", "email_password": "short1"})
    field_error(weak, "email_password")
    assert account.smtp_login("mailer01", new_password) == "ok"


@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_edit_with_a_blank_password_generates_one_and_shows_it_once(api, account, method):
    """The spec, on add, edit and patch: "leave blank for an auto generated value"."""
    add_user(api, email_password=STRONG_PASSWORD)
    edited = ok_data(
        api.request(method, "/users/smtp/edit", json={"username": "mailer01", "email_password": ""})
    )
    item = edited[0] if method == "PATCH" else edited["results"][0]
    generated = item["email_password"]
    assert generated not in (STRONG_PASSWORD, PASSWORD_MASK, "")
    assert password_entropy_bits(generated) >= 128
    assert account.smtp_login("mailer01", generated) == "ok"
    assert account.smtp_login("mailer01", STRONG_PASSWORD) == "bad_credentials"
    viewed = ok_data(api.post("/users/smtp/view", json={"username": "mailer01"}))["results"]
    assert viewed[0]["email_password"] == PASSWORD_MASK


@pytest.mark.parametrize("field", ["email_password", "audit_email", "description"])
@pytest.mark.parametrize("method", ["PATCH", "POST"])
def test_null_is_refused_like_any_other_wrong_type(api, account, method, field):
    """Every request field is typed in the spec and none is nullable."""
    add_user(api, email_password=STRONG_PASSWORD, audit_email="audit@example.com")
    answer = api.request(method, "/users/smtp/edit", json={"username": "mailer01", field: None})
    message = field_error(answer, field)
    assert message.startswith(f"The field '{field}' was expecting a string but found 'null'")
    [user] = account.users()
    assert (user["email_password"], user["audit_email"]) == (STRONG_PASSWORD, "audit@example.com")


def test_a_blank_audit_email_clears_it(api, account):
    add_user(api, audit_email="audit@example.com")
    patched = ok_data(
        api.patch("/users/smtp/edit", json={"username": "mailer01", "audit_email": ""})
    )
    assert patched[0]["audit_email"] is None


def test_view_filters_by_exact_username(api):
    add_user(api, "mailer01")
    add_user(api, "mailer02")
    all_users = ok_data(api.post("/users/smtp/view", json={}))["results"]
    assert [u["username"] for u in all_users] == ["mailer01", "mailer02"]
    one = ok_data(api.post("/users/smtp/view", json={"username": "mailer02"}))["results"]
    assert [u["username"] for u in one] == ["mailer02"]
    assert ok_data(api.post("/users/smtp/view", json={"username": "MAILER02"}))["results"] == []
    assert ok_data(api.post("/users/smtp/view", json={"username": "mailer"}))["results"] == []


def test_remove_returns_the_removed_user(api, account):
    add_user(api, description="gone soon")
    data = ok_data(api.post("/users/smtp/remove", json={"username": "mailer01"}))
    assert [(u["username"], u["description"]) for u in data["results"]] == [
        ("mailer01", "gone soon")
    ]
    assert account.users() == []


class _SlowMembership(dict):
    """Widens the check-then-insert window so a missing lock shows up as several 200s."""

    def __contains__(self, key: object) -> bool:
        found = super().__contains__(key)
        time.sleep(0.005)
        return found


def test_concurrent_duplicate_adds_create_one_user(server, account):
    account._users = _SlowMembership()
    clients = [httpx.Client(base_url=server.smtp2go_url, timeout=5) for _ in range(8)]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def add(client: httpx.Client) -> None:
        start.wait()
        body = {"api_key": KEY, "username": "racer01"}
        statuses.append(client.post("/v3/users/smtp/add", json=body).status_code)

    threads = [threading.Thread(target=add, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert sorted(statuses) == [200] + [400] * 7
    assert [u["username"] for u in account.users()] == ["racer01"]


# -- single_sender_emails -------------------------------------------------------------
def test_single_sender_add_view_and_admin_verify(api, bare, account):
    data = ok_data(
        api.post("/single_sender_emails/add", json={"email_address": "Alerts@Example.com"})
    )
    assert data == {"senders": [{"email_address": "Alerts@Example.com", "verified": False}]}
    # Adding again while unverified only re-sends the email: no error, no duplicate.
    ok_data(
        api.post(
            "/single_sender_emails/add",
            json={"email_address": "alerts@example.com", "message": "hi"},
        )
    )
    assert account.senders() == [{"email_address": "Alerts@Example.com", "verified": False}]
    assert account.sender_allowed("alerts@example.com") is False

    verified = bare.post("/_sandbox/senders/verify", json={"email_address": "ALERTS@example.com"})
    assert verified.status_code == 200
    assert verified.json() == {"email_address": "ALERTS@example.com", "verified": True}
    view = ok_data(
        api.post("/single_sender_emails/view", json={"email_address": "alerts@EXAMPLE.com"})
    )
    assert view == {"senders": [{"email_address": "Alerts@Example.com", "verified": True}]}
    assert account.sender_allowed("alerts@example.com") is True
    assert account.sender_allowed("other@example.com") is False


def test_single_sender_view_filter_is_exact(api):
    for address in ("a@example.com", "aa@example.com"):
        ok_data(api.post("/single_sender_emails/add", json={"email_address": address}))
    view = ok_data(api.post("/single_sender_emails/view", json={"email_address": "a@example.com"}))
    assert view == {"senders": [{"email_address": "a@example.com", "verified": False}]}
    assert len(ok_data(api.post("/single_sender_emails/view", json={}))["senders"]) == 2


def test_auto_verify_senders_option(api, bare, account):
    bare.post("/_sandbox/options", json={"auto_verify_senders": True})
    data = ok_data(api.post("/single_sender_emails/add", json={"email_address": "ops@example.org"}))
    assert data == {"senders": [{"email_address": "ops@example.org", "verified": True}]}
    assert account.sender_allowed("ops@example.org") is True


def test_single_sender_remove(api, account):
    ok_data(api.post("/single_sender_emails/add", json={"email_address": "ops@example.org"}))
    assert (
        ok_data(api.post("/single_sender_emails/remove", json={"email_address": "OPS@example.org"}))
        == "OK"
    )
    assert account.senders() == []
    missing = api.post("/single_sender_emails/remove", json={"email_address": "ops@example.org"})
    error_data(
        missing,
        400,
        "API_EXCEPTION",
        "Failed to remove the single sender email - An error occurred deleting sender email "
        "ops@example.org or it doesn't exist",
    )


@pytest.mark.parametrize(
    "address", ["not-an-address", "a@b", "two@@example.com", "a b@example.com", "x@-bad-.com"]
)
def test_single_sender_address_must_be_an_email(api, account, address):
    response = api.post("/single_sender_emails/add", json={"email_address": address})
    assert field_error(response, "email_address").startswith(
        "The field 'email_address' was expecting a valid RFC-822 formatted email field"
    )
    assert account.senders() == []


def test_admin_verify_of_an_unknown_sender_is_404(bare):
    response = bare.post("/_sandbox/senders/verify", json={"email_address": "nobody@example.com"})
    assert response.status_code == 404
    assert response.json() == {
        "message": "no single sender email nobody@example.com on the account"
    }


# -- domain ---------------------------------------------------------------------------
def lookup_failure(name: str) -> str:
    return f"Lookup CNAME({name}.) on ns1.sandbox.invalid returned no results"


def test_domain_add_without_dns_is_unverified_with_lookup_failures(api, account):
    data = ok_data(api.post("/domain/add", json={"domain": "Example.COM"}))
    [entry] = data["domains"]
    domain = entry["domain"]
    number = domain["dkim_selector"][1:]
    assert domain["dkim_selector"] == f"s{number}" and domain["rpath_selector"] == f"em{number}"
    assert number.isdigit()
    assert domain == {
        "fulldomain": "example.com",
        "subdomain": "",
        "domain": "example",
        "suffix": "com",
        "dkim_selector": f"s{number}",
        "dkim_verified": False,
        "dkim_status": lookup_failure(f"s{number}._domainkey.example.com"),
        "dkim_value": "",
        "dkim_expected": "dkim.smtp2go.net",
        "rpath_selector": f"em{number}",
        "rpath_verified": False,
        "rpath_status": lookup_failure(f"em{number}.example.com"),
        "rpath_value": "",
        "rpath_expected": "return.smtp2go.net",
        "setup_link": "https://app.smtp2go.sandbox.invalid/domain-setup/example.com",
    }
    assert entry["trackers"] == [
        {
            "fulldomain": "link.example.com",
            "subdomain": "link",
            "domain": "example",
            "suffix": "com",
            "cname_verified": False,
            "cname_status": lookup_failure("link.example.com"),
            "cname_value": "",
            "cname_expected": "track.smtp2go.net",
            "enabled": False,
        }
    ]
    assert entry["subaccount_access"] == {"subaccounts": [], "future_subaccounts": False}
    assert account.sender_allowed("hello@example.com") is False


def test_domain_add_without_auto_verify_leaves_statuses_blank(api):
    data = ok_data(api.post("/domain/add", json={"domain": "example.com", "auto_verify": False}))
    domain = data["domains"][0]["domain"]
    assert (domain["dkim_status"], domain["dkim_value"], domain["dkim_verified"]) == ("", "", False)
    assert (domain["rpath_status"], domain["rpath_value"], domain["rpath_verified"]) == (
        "",
        "",
        False,
    )
    assert data["domains"][0]["trackers"][0]["cname_status"] == ""


def test_domain_verify_flow(api, bare, account):
    ok_data(api.post("/domain/add", json={"domain": "mail.example.co.uk", "auto_verify": False}))
    still = ok_data(api.post("/domain/verify", json={"domain": "mail.example.co.uk"}))["domains"][0]
    assert still["domain"]["dkim_verified"] is False
    assert bare.post("/_sandbox/domains/dns", json={"domain": "mail.example.co.uk"}).json() == {
        "domain": "mail.example.co.uk",
        "dns_present": True,
        "verified": False,
    }
    # DNS alone changes nothing until SMTP2GO checks again.
    assert account.sender_allowed("a@mail.example.co.uk") is False
    entry = ok_data(api.post("/domain/verify", json={"domain": "MAIL.example.co.uk"}))["domains"][0]
    domain = entry["domain"]
    assert (domain["subdomain"], domain["domain"], domain["suffix"]) == ("mail", "example", "co.uk")
    assert (domain["dkim_verified"], domain["dkim_value"], domain["dkim_status"]) == (
        True,
        "dkim.smtp2go.net",
        "Target: dkim.smtp2go.net",
    )
    assert (domain["rpath_verified"], domain["rpath_value"], domain["rpath_status"]) == (
        True,
        "return.smtp2go.net",
        "Target: return.smtp2go.net",
    )
    tracker = entry["trackers"][0]
    assert (tracker["fulldomain"], tracker["subdomain"]) == ("link.mail.example.co.uk", "link.mail")
    assert (tracker["cname_verified"], tracker["cname_value"], tracker["cname_status"]) == (
        True,
        "track.smtp2go.net",
        "Target: track.smtp2go.net",
    )
    assert account.sender_allowed("Billing@Mail.Example.co.uk") is True
    assert account.sender_allowed("deep@eu.mail.example.co.uk") is True
    assert account.sender_allowed("a@example.co.uk") is False


def test_dns_marked_before_add_verifies_at_add_time(api, account):
    account.mark_dns_present("example.net")
    domain = ok_data(api.post("/domain/add", json={"domain": "example.net"}))["domains"][0][
        "domain"
    ]
    assert domain["dkim_verified"] is True and domain["rpath_verified"] is True


def test_admin_dns_can_run_the_periodic_verification(api, bare, account):
    ok_data(api.post("/domain/add", json={"domain": "example.org", "auto_verify": False}))
    response = bare.post("/_sandbox/domains/dns", json={"domain": "example.org", "verify": True})
    assert response.json() == {"domain": "example.org", "dns_present": True, "verified": True}
    assert account.sender_allowed("x@example.org") is True
    missing = bare.post("/_sandbox/domains/dns", json={"domain": "absent.org", "verify": True})
    assert missing.status_code == 404


def test_tracking_and_returnpath_subdomains(api):
    body = {
        "domain": "example.com",
        "tracking_subdomain": "click",
        "returnpath_subdomain": "bounces",
    }
    entry = ok_data(api.post("/domain/add", json=body))["domains"][0]
    assert entry["domain"]["rpath_selector"] == "bounces"
    assert entry["domain"]["dkim_selector"].startswith("s")
    assert [(t["fulldomain"], t["enabled"]) for t in entry["trackers"]] == [
        ("click.example.com", True)
    ]


def test_duplicate_domain_is_an_api_exception(api):
    ok_data(api.post("/domain/add", json={"domain": "example.com"}))
    response = api.post("/domain/add", json={"domain": "EXAMPLE.com"})
    error_data(
        response,
        400,
        "API_EXCEPTION",
        "A sender domain matching the passed value of example.com already exists",
    )


@pytest.mark.parametrize("domain", ["localhost", "bad_domain.com", "-x.com", "example.123"])
def test_domain_name_is_validated(api, domain):
    field_error(api.post("/domain/add", json={"domain": domain}), "domain")


def test_domain_view_filters_and_setup_link(api):
    first = ok_data(api.post("/domain/add", json={"domain": "one.example"}))["domains"][0]
    second = ok_data(api.post("/domain/add", json={"domain": "two.example"}))["domains"][0]
    assert first["domain"]["dkim_selector"] != second["domain"]["dkim_selector"]
    both = ok_data(api.post("/domain/view", json={}))["domains"]
    assert [d["domain"]["fulldomain"] for d in both] == ["one.example", "two.example"]
    assert {d["domain"]["setup_link"] for d in both} == {"unavailable"}
    one = ok_data(api.post("/domain/view", json={"domain": "two.example"}))["domains"]
    assert [d["domain"]["fulldomain"] for d in one] == ["two.example"]
    assert one[0]["domain"]["setup_link"].endswith("/two.example")
    assert ok_data(api.post("/domain/view", json={"domain": "three.example"})) == {"domains": []}


def test_domain_view_entries_carry_from_master(api):
    """3.0.4 spec, domain/view: true for a master account's domain shared with a subaccount;
    the sandbox has no subaccounts."""
    ok_data(api.post("/domain/add", json={"domain": "one.example"}))
    [entry] = ok_data(api.post("/domain/view", json={}))["domains"]
    assert entry["from_master"] is False
    assert list(entry) == ["from_master", "domain", "trackers", "subaccount_access"]


def test_domain_remove(api, account):
    ok_data(api.post("/domain/add", json={"domain": "example.com"}))
    ok_data(api.post("/domain/add", json={"domain": "example.net"}))
    assert ok_data(api.post("/domain/remove", json={"domain": "example.com"})) == {"domains": []}
    assert [d["domain"]["fulldomain"] for d in account.domains()] == ["example.net"]


@pytest.mark.parametrize("path", ["/domain/remove", "/domain/verify"])
def test_unknown_domain_is_an_api_exception(api, path):
    response = api.post(path, json={"domain": "absent.example"})
    error_data(
        response,
        400,
        "API_EXCEPTION",
        "A sender domain matching the passed value of absent.example was not found",
    )


# -- rate limiting and faults ---------------------------------------------------------
def test_rate_limit_answers_429_with_headers(api, bare):
    options = bare.post(
        "/_sandbox/options", json={"rate_limit": {"requests": 2, "per_seconds": 60}}
    )
    assert options.json()["rate_limit"] == {"requests": 2, "per_seconds": 60.0}
    first = api.post("/users/smtp/view", json={})
    assert first.status_code == 200
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == (
        "2",
        "1",
    )
    assert api.post("/domain/view", json={}).headers["X-RateLimit-Remaining"] == "0"
    limited = api.post("/users/smtp/view", json={})
    error_data(
        limited,
        429,
        "REQ_LIMIT_EXCEEDED",
        "This endpoint is rate limited to 2 requests every 60 seconds",
    )
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(limited.headers["X-RateLimit-Reset"]) <= 60
    bare.post("/_sandbox/options", json={"rate_limit": None})
    unlimited = api.post("/users/smtp/view", json={})
    assert unlimited.status_code == 200 and "X-RateLimit-Limit" not in unlimited.headers


def test_rate_limit_bucket_refills_over_time():
    now = [0.0]
    account = Smtp2goAccount(rate_limit={"requests": 2, "per_seconds": 10}, clock=lambda: now[0])
    assert [account.take_rate_token().allowed for _ in range(3)] == [True, True, False]
    now[0] = 5.0
    assert account.take_rate_token().allowed is True
    assert account.take_rate_token().allowed is False


def test_injected_429_fault(api, bare):
    fault = {
        "kind": "status",
        "status": 429,
        "path": "/v3/users/smtp/view",
        "times": 1,
        "body": {
            "request_id": "x",
            "data": {"error": "slow down", "error_code": "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"},
        },
    }
    assert bare.post("/_sandbox/faults", json=fault).status_code == 201
    assert api.post("/users/smtp/view", json={}).status_code == 429
    assert api.post("/users/smtp/view", json={}).status_code == 200


# -- request log, admin and state -----------------------------------------------------
def test_request_log_never_holds_keys_or_passwords(api, bare):
    add_user(api, email_password=STRONG_PASSWORD)
    bare.post("/v3/users/smtp/view", json={"api_key": KEY})
    bare.post("/v3/domain/view", json={}, headers={"Authorization": f"Bearer {KEY}"})
    response = bare.get("/_sandbox/requests")
    assert response.status_code == 200
    entries = response.json()
    assert [e["path"] for e in entries] == [
        "/v3/users/smtp/add",
        "/v3/users/smtp/view",
        "/v3/domain/view",
    ]
    assert entries[0]["body"]["email_password"] == "(redacted)"
    assert entries[1]["body"]["api_key"] == "(redacted)"
    text = json.dumps(entries)
    assert KEY not in text and STRONG_PASSWORD not in text
    for entry in entries:
        assert not {"x-smtp2go-api-key", "authorization"} & set(entry["headers"])


def test_admin_options_are_validated(bare, account):
    for bad in (
        {"password_echo": "shout"},
        {"unknown_key_status": 403},
        {"auto_verify_senders": "yes"},
        {"rate_limit": {"requests": 0, "per_seconds": 1}},
        {"colour": "blue"},
    ):
        response = bare.post("/_sandbox/options", json=bad)
        assert response.status_code == 400, bad
    assert account.options.password_echo == "mask"


def test_admin_api_keys_add_a_key_with_endpoints(bare, account):
    response = bare.post(
        "/_sandbox/api_keys", json={"api_key": OTHER_KEY, "endpoints": ["/domain/view"]}
    )
    assert response.status_code == 201
    assert account.api_key_endpoints(OTHER_KEY) == ["/domain/view"]
    headers = {"X-Smtp2go-Api-Key": OTHER_KEY}
    assert bare.post("/v3/domain/view", json={}, headers=headers).status_code == 200
    assert bare.post("/v3/domain/add", json={"domain": "a.com"}, headers=headers).status_code == 400
    assert bare.post("/_sandbox/api_keys", json={"endpoints": ["*"]}).status_code == 400


def test_state_round_trips_through_json(api, bare, account):
    add_user(
        api,
        email_password=STRONG_PASSWORD,
        status="sandbox",
        custom_ratelimit=True,
        custom_ratelimit_value=5,
        custom_ratelimit_period="1 hour",
    )
    ok_data(api.post("/single_sender_emails/add", json={"email_address": "ops@example.org"}))
    account.verify_sender("ops@example.org")
    account.mark_dns_present("example.com")
    ok_data(api.post("/domain/add", json={"domain": "example.com", "tracking_subdomain": "t"}))
    bare.post("/_sandbox/options", json={"password_echo": "echo"})

    state = bare.get("/_sandbox/state").json()
    assert state == account.to_state()
    restored = Smtp2goAccount()
    restored.load_state(json.loads(json.dumps(state)))
    assert restored.to_state() == state
    assert restored.smtp_login("mailer01", STRONG_PASSWORD) == "sandbox"
    assert restored.sender_allowed("ops@example.org") and restored.sender_allowed("a@example.com")
    assert restored.options.password_echo == "echo"
    assert restored.api_key_endpoints(KEY) == ["*"]


def test_admin_state_load_replaces_the_account(api, bare, account):
    other = Smtp2goAccount()
    other.add_api_key(OTHER_KEY)
    other.add_user("loaded01", {}, STRONG_PASSWORD)
    response = bare.post("/_sandbox/state", json=other.to_state())
    assert response.status_code == 200
    assert account.smtp_login("loaded01", STRONG_PASSWORD) == "ok"
    error_data(api.post("/users/smtp/view", json={}), 401, "API_EXCEPTION")
    assert bare.post("/_sandbox/state", json={"version": 99}).status_code == 400
