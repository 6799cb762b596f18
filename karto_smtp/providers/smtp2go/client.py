"""SMTP2GO API v3 client: SMTP users, single sender emails, sender domains."""

from __future__ import annotations

from typing import Any

import httpx

from karto_smtp.providers.http import ServiceClient

DEFAULT_API_URL = "https://api.smtp2go.com/v3"


class Smtp2goClient(ServiceClient):
    service = "SMTP2GO"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {"X-Smtp2go-Api-Key": api_key, "Content-Type": "application/json"},
            transport,
        )

    def error_message(self, body: Any, response: httpx.Response) -> str:
        if isinstance(body, dict):
            data = body.get("data") if isinstance(body.get("data"), dict) else body
            error = data.get("error")
            if isinstance(error, str):
                code = data.get("error_code")
                fields = data.get("field_validation_errors")
                detail = f" [{code}]" if code else ""
                if isinstance(fields, dict) and fields.get("message"):
                    detail += f" {fields['message']}"
                return error + detail
        return super().error_message(body, response)

    async def _post(self, path: str, operation: str, body: dict[str, Any], *, read: bool) -> Any:
        envelope = await self.call("POST", path, operation, json_body=body, idempotent=read)
        return envelope.get("data") if isinstance(envelope, dict) else envelope

    # -- SMTP users ----------------------------------------------------------------
    async def view_smtp_users(self) -> list[dict[str, Any]]:
        data = await self._post("users/smtp/view", "view SMTP users", {}, read=True)
        return list((data or {}).get("results") or [])

    async def add_smtp_user(self, body: dict[str, Any]) -> dict[str, Any] | None:
        data = await self._post("users/smtp/add", "add SMTP user", body, read=False)
        results = (data or {}).get("results") or []
        return results[0] if results else None

    async def patch_smtp_user(self, body: dict[str, Any]) -> dict[str, Any] | None:
        envelope = await self.call(
            "PATCH", "users/smtp/edit", "edit SMTP user", json_body=body, idempotent=False
        )
        data = envelope.get("data") if isinstance(envelope, dict) else None
        # PATCH answers a bare array; POST edit answers {"results": [...]}.
        items = data if isinstance(data, list) else (data or {}).get("results") or []
        return items[0] if items else None

    async def remove_smtp_user(self, username: str) -> None:
        await self._post(
            "users/smtp/remove", "remove SMTP user", {"username": username}, read=False
        )

    # -- single sender emails ------------------------------------------------------
    async def view_single_senders(self) -> list[dict[str, Any]]:
        data = await self._post("single_sender_emails/view", "view single senders", {}, read=True)
        return list((data or {}).get("senders") or [])

    async def add_single_sender(self, address: str) -> None:
        await self._post(
            "single_sender_emails/add", "add single sender", {"email_address": address}, read=False
        )

    async def remove_single_sender(self, address: str) -> None:
        await self._post(
            "single_sender_emails/remove",
            "remove single sender",
            {"email_address": address},
            read=False,
        )

    # -- sender domains ------------------------------------------------------------
    async def view_domains(self) -> list[dict[str, Any]]:
        data = await self._post("domain/view", "view sender domains", {}, read=True)
        return list((data or {}).get("domains") or [])

    async def add_domain(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        data = await self._post("domain/add", "add sender domain", body, read=False)
        return list((data or {}).get("domains") or [])

    async def verify_domain(self, domain: str) -> list[dict[str, Any]]:
        data = await self._post(
            "domain/verify", "verify sender domain", {"domain": domain}, read=True
        )
        return list((data or {}).get("domains") or [])

    async def remove_domain(self, domain: str) -> None:
        await self._post("domain/remove", "remove sender domain", {"domain": domain}, read=False)
