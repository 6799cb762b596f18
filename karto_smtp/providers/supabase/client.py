"""Supabase Management API client: a project's Auth configuration and API keys."""

from __future__ import annotations

from typing import Any

import httpx

from karto_smtp.providers.http import ServiceClient

DEFAULT_API_URL = "https://api.supabase.com"


class SupabaseClient(ServiceClient):
    service = "Supabase"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
    ) -> None:
        super().__init__(
            base_url, {"Authorization": f"Bearer {access_token}"}, transport, max_concurrency
        )

    async def get_auth_config(self, ref: str) -> dict[str, Any]:
        return await self.call(
            "GET", f"v1/projects/{ref}/config/auth", f"read Auth config of {ref}", idempotent=True
        )

    async def patch_auth_config(self, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        # Same body, same result: a repeated PATCH of a config is safe to retry.
        return await self.call(
            "PATCH",
            f"v1/projects/{ref}/config/auth",
            f"update Auth config of {ref}",
            json_body=body,
            idempotent=True,
        )

    async def get_api_keys(self, ref: str) -> list[dict[str, Any]]:
        return await self.call(
            "GET", f"v1/projects/{ref}/api-keys", f"read API keys of {ref}", idempotent=True
        )
