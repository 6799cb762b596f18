"""SMTP2GO API v3 client: SMTP users, single sender emails, sender domains."""

from __future__ import annotations

from typing import Any

import httpx

from karto_smtp.errors import ApiError
from karto_smtp.providers.credentials import CredentialSource
from karto_smtp.providers.http import Retry, ServiceClient, backoff, seconds, server_wait

DEFAULT_API_URL = "https://api.smtp2go.com/v3"

PERMISSION_DENIED = "ENDPOINT_PERMISSION_DENIED"
# The live answer to an unknown key is HTTP 500 with this text (not the documented 401).
UNKNOWN_KEY_TEXT = "an api user matching the passed 'api_key' was not found"
VIEW_ENDPOINTS = ("/users/smtp/view", "/single_sender_emails/view", "/domain/view")
KEYS_PAGE = "the SMTP2GO app under Sending > API Keys"
THROTTLE_FIX = (
    "SMTP2GO blocks an IP address that sends too many requests or error responses for a "
    "minute or more, and every further request counts: wait a few minutes, then run "
    "karto-smtp again"
)


class Smtp2goClient(ServiceClient):
    service = "SMTP2GO"
    default_credential = CredentialSource("smtp2go.api_key", "SMTP2GO_API_KEY")

    def __init__(
        self,
        base_url: str,
        api_key: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
        credential: CredentialSource | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {"X-Smtp2go-Api-Key": api_key, "Content-Type": "application/json"},
            transport,
            max_concurrency,
            credential,
        )

    def explain(self, status: int, body: Any, path: str) -> str | None:
        code, text = _error_fields(body)
        source = self.credential.name
        if code.endswith(PERMISSION_DENIED) or status == 403:
            endpoint = "/" + path.strip("/")
            return (
                f"the API key from {source} lacks the permission {endpoint}: add it to the key "
                f"in {KEYS_PAGE} > Permissions (for `plan`, a key allowed only "
                f"{', '.join(VIEW_ENDPOINTS)} is enough; `apply` also needs the add, edit and "
                "remove endpoints of what it changes)"
            )
        if status == 401 or UNKNOWN_KEY_TEXT in text.lower():
            return (
                f"SMTP2GO did not accept the API key from {source}: create a key in "
                f"{KEYS_PAGE} and {self.credential.put_it()}"
            )
        return None

    def rate_limited(
        self, response: httpx.Response, body: Any, operation: str, attempt: int
    ) -> Retry:
        if server_wait(response) is not None:
            return super().rate_limited(response, body, operation, attempt)
        # The IP throttle names no wait, lasts "no less than 1 minute", and every request
        # made meanwhile counts against it: one short try, then stop and say so.
        wait = backoff(3)
        return Retry(
            self.words(body, response),
            wait,
            "SMTP2GO answered 429 Too Many Requests without saying how long to wait; trying "
            f"once more in {seconds(wait)}...",
            status=429,
            fix=THROTTLE_FIX,
            shared=True,
            once=True,
        )

    def error_message(self, body: Any, response: httpx.Response | None) -> str:
        if isinstance(body, dict):
            inner = body.get("data")
            data: dict[str, Any] = inner if isinstance(inner, dict) else body
            error = data.get("error")
            if isinstance(error, str):
                code = data.get("error_code")
                fields = data.get("field_validation_errors")
                detail = f" [{code}]" if code else ""
                if isinstance(fields, dict) and fields.get("message"):
                    detail += f" {fields['message']}"
                return error + detail
        return super().error_message(body, response)

    def _data(self, envelope: Any, operation: str, path: str, status: int = 200) -> Any:
        """The `data` of a response; an error envelope is an error whatever the status."""
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if isinstance(data, dict) and (data.get("error") or data.get("error_code")):
            raise ApiError(
                self.service,
                operation,
                self.words(envelope, None),
                status,
                self.explain(status, envelope, path),
            )
        if not isinstance(envelope, dict) or "data" not in envelope:
            raise ApiError(
                self.service,
                operation,
                "the response is not an SMTP2GO envelope (no data)",
                status,
            )
        return data

    async def _read(self, path: str, operation: str, body: dict[str, Any]) -> Any:
        """One read (SMTP2GO reads are POSTs too), retried like any read."""
        envelope = await self.call("POST", path, operation, json_body=body, idempotent=True)
        return self._data(envelope, operation, path)

    async def write(self, method: str, path: str, operation: str, body: dict[str, Any]) -> Any:
        """One write, never retried once sent (SMTP2GO has no idempotency keys)."""
        envelope = await self.call(method, path, operation, json_body=body, idempotent=False)
        return self._data(envelope, operation, path)

    # -- SMTP users ----------------------------------------------------------------
    async def view_smtp_users(self) -> list[dict[str, Any]]:
        data = await self._read("users/smtp/view", "view SMTP users", {})
        return list((data or {}).get("results") or [])

    # -- single sender emails ------------------------------------------------------
    async def view_single_senders(self) -> list[dict[str, Any]]:
        data = await self._read("single_sender_emails/view", "view single senders", {})
        return list((data or {}).get("senders") or [])

    # -- sender domains ------------------------------------------------------------
    async def view_domains(self) -> list[dict[str, Any]]:
        data = await self._read("domain/view", "view sender domains", {})
        return list((data or {}).get("domains") or [])

    # -- statistics and activity (read by `check`) -----------------------------------
    async def email_cycle(self) -> dict[str, Any]:
        data = await self._read("stats/email_cycle", "read this month's usage", {})
        return dict(data or {})

    async def email_bounces(self) -> dict[str, Any]:
        data = await self._read("stats/email_bounces", "read bounce statistics", {})
        return dict(data or {})

    async def email_spam(self) -> dict[str, Any]:
        data = await self._read("stats/email_spam", "read spam statistics", {})
        return dict(data or {})

    async def search_activity(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        data = await self._read("activity/search", "search activity", body)
        return list((data or {}).get("events") or [])


def _error_fields(body: Any) -> tuple[str, str]:
    """(error_code, error) of an SMTP2GO error envelope, nested under data or not."""
    if not isinstance(body, dict):
        return "", ""
    inner = body.get("data")
    data: dict[str, Any] = inner if isinstance(inner, dict) else body
    code, text = data.get("error_code"), data.get("error")
    return (code if isinstance(code, str) else "", text if isinstance(text, str) else "")
