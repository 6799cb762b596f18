"""Supabase: a project's Auth SMTP settings and email rate limit."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

from karto_smtp.engine.plan import Action, Change, Request
from karto_smtp.engine.resources import Desired, SecretSource
from karto_smtp.providers.base import Provider, SecretState
from karto_smtp.providers.supabase.client import SupabaseClient

AUTH_SMTP = "auth_smtp"
# Sent together whenever one of them changes: the API treats them as one block.
SMTP_GROUP = (
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_pass",
    "smtp_admin_email",
    "smtp_sender_name",
)
MANAGED = (*SMTP_GROUP, "smtp_max_frequency", "rate_limit_email_sent")
# Values the API has used to mean "a password is set but not shown", or none at all.
_OPAQUE_PASSWORDS = (None, "", "****")


def password_digest(ref: str, password: str) -> str:
    """How the Management API reports `smtp_pass`: HMAC-SHA256 keyed by the project ref."""
    return hmac.new(ref.encode(), password.encode(), hashlib.sha256).hexdigest()


def normalise_auth(raw: dict[str, Any]) -> dict[str, Any]:
    live = {name: raw.get(name) for name in MANAGED}
    if live["smtp_port"] is not None:
        live["smtp_port"] = str(live["smtp_port"])
    return live


class SupabaseProvider(Provider):
    name = "supabase"

    def __init__(self, client: SupabaseClient) -> None:
        self.client = client

    async def read(self, desired: list[Desired]) -> dict[str, dict[str, Any] | None]:
        configs = await asyncio.gather(*(self.client.get_auth_config(d.key) for d in desired))
        return {d.address: normalise_auth(c) for d, c in zip(desired, configs, strict=True)}

    def secret_state(
        self, desired: Desired, field: str, source: SecretSource, live: dict[str, Any]
    ) -> SecretState:
        stored = live.get(field)
        if stored in _OPAQUE_PASSWORDS:
            return SecretState.UNSET
        if source.secret is None:
            return SecretState.UNKNOWABLE
        expected = password_digest(desired.key, source.secret.reveal())
        return (
            SecretState.MATCHES
            if hmac.compare_digest(expected, str(stored))
            else SecretState.DIFFERS
        )

    def requests_for(
        self, change: Change, desired: Desired, live: dict[str, Any] | None
    ) -> list[Request]:
        if change.action is Action.NOOP:
            return []
        changed = {f.field for f in change.fields}
        if desired.fields.get("smtp_host") is None and "smtp_host" in desired.fields:
            return [self._patch(desired, {"smtp_host": ""})]
        body: dict[str, Any] = {}
        if changed & set(SMTP_GROUP):
            for name in SMTP_GROUP:
                if name in desired.fields:
                    body[name] = desired.fields[name]
            source = desired.secret_fields.get("smtp_pass")
            if source is not None and "smtp_pass" in changed:
                body["smtp_pass"] = {"$secret": source.id}
        for name in ("smtp_max_frequency", "rate_limit_email_sent"):
            if name in changed:
                body[name] = desired.fields[name]
        return [self._patch(desired, body)]

    def _patch(self, desired: Desired, body: dict[str, Any]) -> Request:
        return Request(method="PATCH", path=f"v1/projects/{desired.key}/config/auth", body=body)

    async def send(self, change: Change, request: Request, body: dict[str, Any]) -> Any:
        return normalise_auth(await self.client.patch_auth_config(change.key, body))

    async def aclose(self) -> None:
        await self.client.aclose()
