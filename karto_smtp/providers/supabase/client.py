"""Supabase Management API client: a project's Auth configuration and API keys."""

from __future__ import annotations

import re
from typing import Any

import httpx

from karto_smtp.providers.credentials import CredentialSource
from karto_smtp.providers.http import ServiceClient

DEFAULT_API_URL = "https://api.supabase.com"
TOKENS_PAGE = "Account > Access Tokens (https://supabase.com/dashboard/account/tokens)"
_PROJECT_PATH = re.compile(r"/?v1/projects/(?P<ref>[^/]+)/")


class SupabaseClient(ServiceClient):
    service = "Supabase"
    default_credential = CredentialSource("supabase.access_token", "SUPABASE_ACCESS_TOKEN")

    def __init__(
        self,
        base_url: str,
        access_token: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_concurrency: int = 4,
        credential: CredentialSource | None = None,
    ) -> None:
        super().__init__(
            base_url,
            {"Authorization": f"Bearer {access_token}"},
            transport,
            max_concurrency,
            credential,
        )

    def explain(self, status: int, body: Any, path: str) -> str | None:
        source = self.credential.name
        if status == 401:
            return (
                f"Supabase did not accept the access token from {source}: create a personal "
                f"access token under {TOKENS_PAGE} and {self.credential.put_it()}"
            )
        match = _PROJECT_PATH.match(path)
        if match is None:
            return None
        ref = match["ref"]
        if status == 403:
            return (
                f"the access token from {source} may not manage project {ref}: use a token "
                "of an account that is a member of the project's organization, made under "
                f"{TOKENS_PAGE}"
            )
        if status == 404:
            return (
                f"Supabase has no project {ref} that the access token from {source} can see: "
                "check the ref in karto.yaml (the part after /project/ in the project's "
                "dashboard URL) and that the token's account is a member of its organization"
            )
        return None

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
