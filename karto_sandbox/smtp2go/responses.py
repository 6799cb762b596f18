"""Emulator of the SMTP2GO HTTP API v3: SMTP users, single sender emails, sender domains.

Every route answers under both `/v3/<endpoint>` and `/<endpoint>`. The account state lives
in `Smtp2goAccount` (re-exported here), which the SMTP relay emulator shares.

Confirmed by public SMTP2GO sources (docs, OpenAPI 3.0.4, live captures in public code):
  - the three ways to pass the key (X-Smtp2go-Api-Key, Authorization: Bearer, body api_key);
  - 401 "No valid API key provided." and the live 500 body for an unknown key;
  - the envelope `{"request_id", "data"}` and `{"data": {"error", "error_code"}}` errors,
    `ENDPOINT_PERMISSION_DENIED` with its exact text, answered as HTTP 400;
  - users/smtp field names and defaults, PATCH's bare-array `data`, view's
    `default_ratelimit_*`, `custom_ratelimit_period` "0:00:00" when unset;
  - single_sender add re-sends when unverified; the remove-missing error text;
  - domain entries with `*_expected`, `*_value` empty until found, "Target: ..." statuses,
    selectors s<N>/em<N>, a disabled `link` tracker by default, the duplicate-domain text,
    `setup_link` "unavailable" unless exactly one domain is returned; view's entries carry
    `from_master` (3.0.4 spec, domain/view);
  - a blank `email_password` on add, POST edit and PATCH edit means "auto generated" (the
    field's description in the 3.0.4 spec, all three operations);
  - every request field has a JSON type in the spec and none is nullable, so `null` is a
    type error like any other (`email_password: null`, `audit_email: null`, ...).

Sandbox choices (no public source; clients must not depend on them):
  - 401/404/405 bodies use error_code API_EXCEPTION; the 405/404 split for unknown routes;
  - error texts for duplicate/unknown SMTP users, unknown domains, field validation;
  - the password entropy estimator (see `password_entropy_bits`); an edit that does not
    send `email_password` keeps the current one; `email_password` defaults to "mask" in
    responses, but a generated password is always shown once, in the response of the
    add or edit that generated it; a blank `audit_email` clears it;
  - single_sender add answers `data.senders: [{email_address, verified}]` and remove
    answers `data: "OK"` (the published examples are placeholders);
  - `ippool` is left out of user items when unset (the spec types it as a bare integer);
  - `subaccount_id` is refused (the sandbox has no subaccounts);
  - the rate limit (off by default) answers 429 REQ_LIMIT_EXCEEDED with X-RateLimit-*
    headers, the 2017 shape.

Admin routes (no API key) besides the base app's: see `GET /_sandbox/` or docs/sandbox.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from karto_sandbox.http import HttpApp, Request, RequestLog, Response
from karto_sandbox.smtp2go.activity import Activity, ActivityError
from karto_sandbox.smtp2go.models import (
    API_EXCEPTION,
    ENDPOINT_PERMISSION_DENIED,
    NO_API_KEY_ERROR,
    PASSWORD_MASK,
    PERMISSION_DENIED_ERROR,
    REQ_LIMIT_EXCEEDED,
    UNKNOWN_API_KEY_ERROR,
    UNSET_RATELIMIT_PERIOD,
    ApiFailure,
    RateDecision,
    SingleSender,
    Smtp2goAccount,
    SmtpUser,
    invalid_field,
)

__all__ = ["Smtp2goAccount", "Smtp2goApp"]

ERROR_CODE_PREFIX = "E_ApiResponseCodes."

# JSON types of each endpoint's request fields, from the 3.0.4 spec's request schemas.
_USER_SETTING_TYPES: dict[str, type] = {
    "email_password": str,
    "description": str,
    "custom_ratelimit": bool,
    "custom_ratelimit_value": int,
    "custom_ratelimit_period": str,
    "ip_pool": int,
    "feedback_enabled": bool,
    "feedback_domain": str,
    "feedback_html": str,
    "feedback_text": str,
    "open_tracking_enabled": bool,
    "click_tracking_enabled": bool,
    "archive_enabled": bool,
    "audit_email": str,
    "bounce_notifications": str,
    "status": str,
}
_SUBACCOUNT: dict[str, type] = {"subaccount_id": str}
USER_WRITE_FIELDS = {"username": str, **_USER_SETTING_TYPES, **_SUBACCOUNT}
USER_PATCH_FIELDS = {k: v for k, v in USER_WRITE_FIELDS.items() if k != "feedback_domain"}
USER_NAME_FIELDS = {"username": str, **_SUBACCOUNT}
SENDER_ADD_FIELDS = {"email_address": str, "message": str, **_SUBACCOUNT}
SENDER_FIELDS = {"email_address": str, **_SUBACCOUNT}
DOMAIN_ADD_FIELDS = {
    "domain": str,
    "tracking_subdomain": str,
    "returnpath_subdomain": str,
    "auto_verify": bool,
    "requisition_ssl": bool,
    "subaccount_access": dict,
    **_SUBACCOUNT,
}
DOMAIN_VERIFY_FIELDS = {"domain": str, "requisition_ssl": bool, **_SUBACCOUNT}
DOMAIN_FIELDS = {"domain": str, **_SUBACCOUNT}
STATS_USER_FIELDS: dict[str, type] = {"username": str}
ACTIVITY_FIELDS: dict[str, type] = {
    "start_date": str,
    "end_date": str,
    "search": str,
    "search_email_id": str,
    "search_subject": str,
    "search_sender": str,
    "search_recipient": str,
    "search_usernames": list,
    "subaccounts": list,
    "limit": int,
    "continue_token": str,
    "only_latest": bool,
    "only_latest_by_sent": bool,
    "event_types": list,
    "include_headers": bool,
    "custom_headers": list,
    "region": str,
}

_TYPE_NAMES = {str: "string", bool: "boolean", int: "integer", dict: "object", list: "array"}

ApiHandler = Callable[[Request, dict[str, Any]], Any]


def _request_id() -> str:
    return str(uuid.uuid4())


def _envelope_error(
    error_code: str,
    message: str,
    field_name: str | None = None,
    field_message: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"error": message, "error_code": ERROR_CODE_PREFIX + error_code}
    if field_name is not None:
        data["field_validation_errors"] = {"fieldname": field_name, "message": field_message}
    return {"request_id": _request_id(), "data": data}


def _failure_response(failure: ApiFailure) -> Response:
    body = _envelope_error(
        failure.error_code, failure.message, failure.field_name, failure.field_message
    )
    return Response(failure.status, body)


def _has_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _admin_error(status: int, message: str) -> Response:
    return Response(status, {"message": message})


class Smtp2goApp(HttpApp):
    """The SMTP2GO API v3 routes over one `Smtp2goAccount`."""

    service = "smtp2go"
    # Pinned here, not inherited: X-Smtp2go-Api-Key and Authorization must never be logged.
    logged_headers = ("user-agent", "content-type")

    def __init__(
        self,
        account: Smtp2goAccount | None = None,
        request_log: RequestLog | None = None,
        activity: Activity | None = None,
    ) -> None:
        super().__init__(request_log)
        self.account = account if account is not None else Smtp2goAccount()
        self.activity = activity if activity is not None else Activity()
        api_routes: list[tuple[str, str, dict[str, type], ApiHandler]] = [
            ("POST", "/users/smtp/view", USER_NAME_FIELDS, self._users_view),
            ("POST", "/users/smtp/add", USER_WRITE_FIELDS, self._users_add),
            ("POST", "/users/smtp/edit", USER_WRITE_FIELDS, self._users_edit),
            ("PATCH", "/users/smtp/edit", USER_PATCH_FIELDS, self._users_patch),
            ("POST", "/users/smtp/remove", USER_NAME_FIELDS, self._users_remove),
            ("POST", "/single_sender_emails/add", SENDER_ADD_FIELDS, self._senders_add),
            ("POST", "/single_sender_emails/view", SENDER_FIELDS, self._senders_view),
            ("POST", "/single_sender_emails/remove", SENDER_FIELDS, self._senders_remove),
            ("POST", "/domain/add", DOMAIN_ADD_FIELDS, self._domain_add),
            ("POST", "/domain/view", DOMAIN_FIELDS, self._domain_view),
            ("POST", "/domain/verify", DOMAIN_VERIFY_FIELDS, self._domain_verify),
            ("POST", "/domain/remove", DOMAIN_FIELDS, self._domain_remove),
            ("POST", "/api_keys/permissions", {}, self._api_key_permissions),
            ("POST", "/stats/email_cycle", {}, self._stats_cycle),
            ("POST", "/stats/email_bounces", STATS_USER_FIELDS, self._stats_bounces),
            ("POST", "/stats/email_spam", STATS_USER_FIELDS, self._stats_spam),
            ("POST", "/activity/search", ACTIVITY_FIELDS, self._activity_search),
        ]
        for method, path, field_types, handler in api_routes:
            wrapped = self._api_handler(field_types, handler)
            self.route(method, "/v3" + path, wrapped)
            self.route(method, path, wrapped)
        self.admin_route(
            "POST",
            "/_sandbox/senders/verify",
            self._admin_verify_sender,
            "mark a single sender email verified, as if its link had been clicked",
            '{"email_address": string}',
        )
        self.admin_route(
            "POST",
            "/_sandbox/domains/dns",
            self._admin_domain_dns,
            "publish a sender domain's CNAME records; verify: true also runs SMTP2GO's "
            "periodic check",
            '{"domain": string, "verify"?: boolean}',
        )
        self.admin_route(
            "POST",
            "/_sandbox/delivery",
            self._admin_delivery,
            "what happens to mail for a recipient after the relay took it (activity and "
            "bounce statistics); the default is delivered",
            '{"recipient": string, "event": "delivered"|"soft-bounced"|"hard-bounced"|'
            '"rejected"|"processed", "smtp_response"?: string, "reason"?: string}',
        )
        self.admin_route(
            "GET", "/_sandbox/usage", self._admin_get_usage, "counts added to the real mail"
        )
        self.admin_route(
            "POST",
            "/_sandbox/usage",
            self._admin_usage,
            "raise this month's usage, the plan's allowance, or the last 30 days' counts "
            "(added to the mail the relay accepted)",
            '{"cycle_used"?, "cycle_max"?, "emails"?, "hardbounces"?, "softbounces"?, '
            '"rejects"?, "spams"?: integer}',
        )
        self.admin_route(
            "GET",
            "/_sandbox/state",
            self._admin_get_state,
            "the SMTP2GO account: API keys, users (clear-text passwords), senders, domains",
        )
        self.admin_route(
            "POST",
            "/_sandbox/state",
            self._admin_load_state,
            "replace the SMTP2GO account with a state as GET returns it",
        )
        self.admin_route(
            "GET", "/_sandbox/options", self._admin_get_options, "the SMTP2GO switches"
        )
        self.admin_route(
            "POST",
            "/_sandbox/options",
            self._admin_options,
            "change SMTP2GO switches (any subset)",
            '{"password_echo"?: "mask"|"echo"|"omit", "auto_verify_senders"?: boolean, '
            '"unknown_key_status"?: 401|500, "reject_unknown_fields"?: boolean, '
            '"rate_limit"?: null|{"requests", "per_seconds"}, '
            '"relay_sender_check"?: "data"|"mail_from"}',
        )
        self.admin_route(
            "POST",
            "/_sandbox/api_keys",
            self._admin_api_keys,
            "add or replace an API key",
            '{"api_key": string, "endpoints"?: [string]}',
        )

    # -- cross-cutting --------------------------------------------------------------
    @staticmethod
    def endpoint_of(path: str) -> str:
        """The endpoint name permissions are written against, e.g. "/users/smtp/view"."""
        return path[3:] if path.startswith("/v3/") else path

    def not_found(self, request: Request) -> Response:
        message = f"Cannot find the endpoint {request.path}"
        return Response(404, _envelope_error(API_EXCEPTION, message))

    def method_not_allowed(self, request: Request) -> Response:
        message = f"Method {request.method} is not allowed on {request.path}"
        return Response(405, _envelope_error(API_EXCEPTION, message))

    def internal_error(self, request: Request, exc: Exception) -> Response:
        message = f"An internal error occurred ({type(exc).__name__})"
        return Response(500, _envelope_error(API_EXCEPTION, message))

    def before_request(self, request: Request) -> Response | None:
        decision = self.account.take_rate_token()
        if decision is not None and not decision.allowed:
            message = (
                f"This endpoint is rate limited to {decision.limit} requests "
                f"every {decision.per_seconds:g} seconds"
            )
            return Response(429, _envelope_error(REQ_LIMIT_EXCEEDED, message))
        try:
            body = request.json()
        except ValueError as exc:
            return _failure_response(invalid_field("body", f"The body is not valid JSON: {exc}"))
        if body is not None and not isinstance(body, dict):
            return _failure_response(invalid_field("body", "The body must be a JSON object"))
        key = self._api_key(request, body or {})
        if key is None:
            return Response(401, _envelope_error(API_EXCEPTION, NO_API_KEY_ERROR))
        verdict = self.account.authorize(key, self.endpoint_of(request.path))
        if verdict == "unknown":
            if self.account.options.unknown_key_status == 500:
                return Response(500, _envelope_error(API_EXCEPTION, UNKNOWN_API_KEY_ERROR))
            return Response(401, _envelope_error(API_EXCEPTION, NO_API_KEY_ERROR))
        if verdict == "denied":
            return Response(
                400, _envelope_error(ENDPOINT_PERMISSION_DENIED, PERMISSION_DENIED_ERROR)
            )
        return None

    def after_request(self, request: Request, response: Response) -> None:
        decision = self.account.peek_rate()
        if decision is not None:
            response.headers.update(self._rate_headers(decision))

    @staticmethod
    def _rate_headers(decision: RateDecision) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(decision.limit),
            "X-RateLimit-Remaining": str(decision.remaining),
            "X-RateLimit-Reset": str(decision.reset_seconds),
        }

    @staticmethod
    def _api_key(request: Request, body: dict[str, Any]) -> str | None:
        """The one key the request carries, or None if it carries none or disagreeing ones."""
        candidates: list[str] = []
        header = request.header("x-smtp2go-api-key")
        if header:
            candidates.append(header.strip())
        authorization = request.header("authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            candidates.append(token.strip())
        body_key = body.get("api_key")
        if isinstance(body_key, str) and body_key:
            candidates.append(body_key)
        if not candidates or len(set(candidates)) != 1:
            return None
        return candidates[0]

    def _api_handler(
        self, field_types: dict[str, type], handler: ApiHandler
    ) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            try:
                payload = self._payload(request, field_types)
                data = handler(request, payload)
            except ApiFailure as failure:
                return _failure_response(failure)
            return Response(200, {"request_id": _request_id(), "data": data})

        return handle

    def _payload(self, request: Request, field_types: dict[str, type]) -> dict[str, Any]:
        """The body's fields (api_key dropped), type-checked against the endpoint."""
        body = dict(request.json() or {})
        body.pop("api_key", None)
        payload: dict[str, Any] = {}
        for name, value in body.items():
            expected = field_types.get(name)
            if expected is None:
                if self.account.options.reject_unknown_fields:
                    raise invalid_field(
                        name, f"The field '{name}' is not a recognised field for this endpoint"
                    )
                continue
            if not _has_type(value, expected):
                found = "null" if value is None else value
                raise invalid_field(
                    name,
                    f"The field '{name}' was expecting a {_TYPE_NAMES[expected]} "
                    f"but found '{found}', Please correct your JSON payload and try again.",
                )
            payload[name] = value
        if "subaccount_id" in payload:
            raise ApiFailure(
                API_EXCEPTION,
                f"A subaccount matching the passed id {payload['subaccount_id']} was not found",
            )
        return payload

    @staticmethod
    def _required(payload: dict[str, Any], name: str) -> Any:
        value = payload.get(name)
        if value is None or value == "":
            raise invalid_field(name, f"The field '{name}' is required")
        return value

    # -- users/smtp -----------------------------------------------------------------
    def _user_item(self, user: SmtpUser, *, reveal_password: bool = False) -> dict[str, Any]:
        item: dict[str, Any] = {"username": user.username}
        echo = self.account.options.password_echo
        if reveal_password or echo == "echo":
            item["email_password"] = user.email_password
        elif echo == "mask":
            item["email_password"] = PASSWORD_MASK
        item.update(
            {
                "sending_allowed": user.status == "allowed",
                "custom_ratelimit": user.custom_ratelimit,
                "custom_ratelimit_value": user.custom_ratelimit_value,
                "custom_ratelimit_period": user.custom_ratelimit_period or UNSET_RATELIMIT_PERIOD,
                "description": user.description,
                "feedback_enabled": user.feedback_enabled,
                "feedback_domain": user.feedback_domain,
                "feedback_html": user.feedback_html,
                "feedback_text": user.feedback_text,
                "open_tracking_enabled": user.open_tracking_enabled,
                "click_tracking_enabled": user.click_tracking_enabled,
                "archive_enabled": user.archive_enabled,
                "audit_email": user.audit_email,
                "bounce_notifications": user.bounce_notifications,
                "status": user.status,
            }
        )
        if user.ippool is not None:
            item["ippool"] = user.ippool
        return item

    @staticmethod
    def _user_settings(payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """The settings (response names) and the password: None when not sent."""
        settings = {
            ("ippool" if name == "ip_pool" else name): value
            for name, value in payload.items()
            if name in _USER_SETTING_TYPES and name != "email_password"
        }
        return settings, payload.get("email_password")

    def _users_view(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        users = self.account.view_users(payload.get("username"))
        return {
            "results": [self._user_item(u) for u in users],
            "default_ratelimit_value": 0,
            "default_ratelimit_period": "unlimited",
        }

    def _users_add(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        username = self._required(payload, "username")
        settings, password = self._user_settings(payload)
        user, generated = self.account.add_user(username, settings, password or None)
        return {"results": [self._user_item(user, reveal_password=generated)]}

    def _users_edit(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        username = self._required(payload, "username")
        settings, password = self._user_settings(payload)
        user, generated = self.account.replace_user(username, settings, password)
        return {"results": [self._user_item(user, reveal_password=generated)]}

    def _users_patch(self, request: Request, payload: dict[str, Any]) -> list[dict[str, Any]]:
        username = self._required(payload, "username")
        settings, password = self._user_settings(payload)
        user, generated = self.account.patch_user(username, settings, password)
        return [self._user_item(user, reveal_password=generated)]

    def _users_remove(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        username = self._required(payload, "username")
        user = self.account.remove_user(username)
        return {"results": [self._user_item(user)]}

    # -- single_sender_emails -------------------------------------------------------
    @staticmethod
    def _sender_item(sender: SingleSender) -> dict[str, Any]:
        return {"email_address": sender.email_address, "verified": sender.verified}

    def _senders_add(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        sender = self.account.add_sender(self._required(payload, "email_address"))
        return {"senders": [self._sender_item(sender)]}

    def _senders_view(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        senders = self.account.view_senders(payload.get("email_address") or None)
        return {"senders": [self._sender_item(s) for s in senders]}

    def _senders_remove(self, request: Request, payload: dict[str, Any]) -> str:
        self.account.remove_sender(self._required(payload, "email_address"))
        return "OK"

    # -- domain ---------------------------------------------------------------------
    def _domain_add(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        access = payload.get("subaccount_access") or {}
        subaccounts = access.get("subaccounts", [])
        future = access.get("future_subaccounts", False)
        if not isinstance(subaccounts, list) or not isinstance(future, bool):
            raise invalid_field(
                "subaccount_access",
                "The field 'subaccount_access' expects {subaccounts: array, "
                "future_subaccounts: boolean}",
            )
        domains = self.account.add_domain(
            self._required(payload, "domain"),
            tracking_subdomain=payload.get("tracking_subdomain"),
            returnpath_subdomain=payload.get("returnpath_subdomain"),
            auto_verify=payload.get("auto_verify", True),
            subaccounts=subaccounts,
            future_subaccounts=future,
        )
        return {"domains": domains}

    def _domain_view(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        return {"domains": self.account.view_domains(payload.get("domain") or None)}

    def _domain_verify(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        return {"domains": self.account.verify_domain(self._required(payload, "domain"))}

    def _domain_remove(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        self.account.remove_domain(self._required(payload, "domain"))
        return {"domains": []}

    # -- stats and activity ---------------------------------------------------------
    def _stats_cycle(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        return self.activity.cycle()

    def _stats_bounces(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        return self.activity.bounces(payload.get("username") or None)

    def _stats_spam(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        return self.activity.spam(payload.get("username") or None)

    def _activity_search(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        for name in ("search_usernames", "subaccounts", "event_types", "custom_headers"):
            if not all(isinstance(item, str) for item in payload.get(name) or []):
                raise invalid_field(name, f"The field '{name}' expects an array of strings")
        try:
            return self.activity.search(payload)
        except ActivityError as exc:
            raise invalid_field(exc.field_name, str(exc)) from exc

    # -- api_keys -------------------------------------------------------------------
    def _api_key_permissions(self, request: Request, payload: dict[str, Any]) -> list[str]:
        key = self._api_key(request, request.json() or {})
        return self.account.api_key_endpoints(key or "") or []

    # -- admin ----------------------------------------------------------------------
    @staticmethod
    def _admin_body(request: Request) -> dict[str, Any]:
        body = request.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    def _admin_verify_sender(self, request: Request) -> Response:
        try:
            address = self._admin_body(request).get("email_address")
        except ValueError as exc:
            return _admin_error(400, str(exc))
        if not isinstance(address, str) or not address:
            return _admin_error(400, "email_address is required")
        if not self.account.verify_sender(address):
            return _admin_error(404, f"no single sender email {address} on the account")
        return Response(200, {"email_address": address, "verified": True})

    def _admin_domain_dns(self, request: Request) -> Response:
        try:
            body = self._admin_body(request)
        except ValueError as exc:
            return _admin_error(400, str(exc))
        domain, verify = body.get("domain"), body.get("verify", False)
        if not isinstance(domain, str) or not domain or not isinstance(verify, bool):
            return _admin_error(400, "expected {domain: string, verify?: boolean}")
        self.account.mark_dns_present(domain)
        verified = self.account.run_periodic_verification(domain) if verify else False
        if verify and not verified:
            return _admin_error(404, f"no sender domain {domain} on the account")
        return Response(200, {"domain": domain.lower(), "dns_present": True, "verified": verified})

    def _admin_delivery(self, request: Request) -> Response:
        try:
            body = self._admin_body(request)
            recipient, event = body.get("recipient"), body.get("event")
            response, reason = body.get("smtp_response"), body.get("reason")
            if not isinstance(recipient, str) or not isinstance(event, str):
                raise ValueError("expected {recipient: string, event: string}")
            if any(v is not None and not isinstance(v, str) for v in (response, reason)):
                raise ValueError("smtp_response and reason must be text")
            fate = self.activity.set_fate(recipient, event, response, reason)
        except ValueError as exc:
            return _admin_error(400, str(exc))
        return Response(
            200,
            {
                "recipient": recipient.lower(),
                "event": fate.event,
                "smtp_response": fate.smtp_response,
                "reason": fate.reason,
            },
        )

    def _admin_get_usage(self, request: Request) -> Response:
        return Response(200, asdict(self.activity.usage()))

    def _admin_usage(self, request: Request) -> Response:
        try:
            usage = self.activity.set_usage(**self._admin_body(request))
        except ValueError as exc:
            return _admin_error(400, str(exc))
        return Response(200, asdict(usage))

    def _admin_get_state(self, request: Request) -> Response:
        return Response(200, self.account.to_state())

    def _admin_load_state(self, request: Request) -> Response:
        try:
            self.account.load_state(self._admin_body(request))
        except (ValueError, TypeError, KeyError) as exc:
            return _admin_error(400, f"invalid state: {exc}")
        return Response(200, self.account.to_state())

    def _admin_get_options(self, request: Request) -> Response:
        return Response(200, self.account.options.as_json())

    def _admin_options(self, request: Request) -> Response:
        try:
            options = self.account.configure(**self._admin_body(request))
        except (ValueError, TypeError) as exc:
            return _admin_error(400, str(exc))
        return Response(200, options.as_json())

    def _admin_api_keys(self, request: Request) -> Response:
        try:
            body = self._admin_body(request)
            key = body.get("api_key")
            if not isinstance(key, str):
                raise ValueError("api_key must be text")
            self.account.add_api_key(key, body.get("endpoints"))
        except (ValueError, TypeError) as exc:
            return _admin_error(400, str(exc))
        return Response(
            201, {"api_key": body["api_key"], "endpoints": body.get("endpoints") or ["*"]}
        )
