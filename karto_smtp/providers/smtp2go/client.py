"""SMTP2GO API v3 client: SMTP users, single sender emails, sender domains."""

from __future__ import annotations

from typing import Any

import httpx

from karto_smtp.errors import ApiError
from karto_smtp.providers.http import ServiceClient

DEFAULT_API_URL = "https://api.smtp2go.com/v3"


class Smtp2goClient(ServiceClient):
    service = "SMTP2GO"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        super().__init__(
            base_url,
            {"X-Smtp2go-Api-Key": api_key, "Content-Type": "application/json"},
            transport,
            max_concurrency,
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

    def _data(self, envelope: Any, operation: str, status: int = 200) -> Any:
        """The `data` of a response; an error envelope is an error whatever the status."""
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if isinstance(data, dict) and (data.get("error") or data.get("error_code")):
            raise ApiError(self.service, operation, self.error_message(envelope, None), status)
        if not isinstance(envelope, dict) or "data" not in envelope:
            raise ApiError(
                self.service,
                operation,
                "the response is not an SMTP2GO envelope (no data)",
                status,
            )
        return data

    async def _post(self, path: str, operation: str, body: dict[str, Any], *, read: bool) -> Any:
        envelope = await self.call("POST", path, operation, json_body=body, idempotent=read)
        return self._data(envelope, operation)

    async def write(self, method: str, path: str, operation: str, body: dict[str, Any]) -> Any:
        """One write, never retried once sent (SMTP2GO has no idempotency keys)."""
        envelope = await self.call(method, path, operation, json_body=body, idempotent=False)
        return self._data(envelope, operation)

    # -- SMTP users ----------------------------------------------------------------
    async def view_smtp_users(self) -> list[dict[str, Any]]:
        data = await self._post("users/smtp/view", "view SMTP users", {}, read=True)
        return list((data or {}).get("results") or [])

    # -- single sender emails ------------------------------------------------------
    async def view_single_senders(self) -> list[dict[str, Any]]:
        data = await self._post("single_sender_emails/view", "view single senders", {}, read=True)
        return list((data or {}).get("senders") or [])

    # -- sender domains ------------------------------------------------------------
    async def view_domains(self) -> list[dict[str, Any]]:
        data = await self._post("domain/view", "view sender domains", {}, read=True)
        return list((data or {}).get("domains") or [])

    async def verify_domain(self, domain: str) -> list[dict[str, Any]]:
        data = await self._post(
            "domain/verify", "verify sender domain", {"domain": domain}, read=True
        )
        return list((data or {}).get("domains") or [])

    # -- statistics and activity (read by `check`) -----------------------------------
    async def email_cycle(self) -> dict[str, Any]:
        data = await self._post("stats/email_cycle", "read this month's usage", {}, read=True)
        return dict(data or {})

    async def email_bounces(self) -> dict[str, Any]:
        data = await self._post("stats/email_bounces", "read bounce statistics", {}, read=True)
        return dict(data or {})

    async def email_spam(self) -> dict[str, Any]:
        data = await self._post("stats/email_spam", "read spam statistics", {}, read=True)
        return dict(data or {})

    async def search_activity(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        data = await self._post("activity/search", "search activity", body, read=True)
        return list((data or {}).get("events") or [])
