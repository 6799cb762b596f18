"""Supabase: each project's Auth SMTP settings, read and patched through the Management API."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.plan import Action, Request
from karto_smtp.engine.provider import Held, HeldState, Live, Provider, Values
from karto_smtp.engine.resource import Resource
from karto_smtp.providers.supabase.client import SupabaseClient
from karto_smtp.providers.supabase.fields import (
    AUTH_EMAIL,
    AUTH_SMTP,
    PASSWORD_FIELD,
    RATE_LIMIT,
    SMTP_GROUP,
    is_digest,
    normalise_auth,
    password_digest,
    smtp_enabled,
)
from karto_smtp.secrets import Secret


class SupabaseProvider(Provider):
    name = "supabase"
    # The Management API allows 120 requests a minute per user and project, each project
    # counted on its own: a plan reads a project once and an apply writes it at most four
    # times, so this bound limits open connections, not the rate. 100 reads 100 projects in
    # one round trip; each request in flight is a connection of its own (HTTP/1.1), a few
    # tens of kilobytes with TLS.
    max_concurrency = 100

    def __init__(self, client: SupabaseClient) -> None:
        self.client = client

    async def read(self, resources: Sequence[Resource]) -> dict[Address, Live | None]:
        # One read per project, whatever number of its settings karto.yaml manages.
        refs = list(dict.fromkeys(r.address.key for r in resources))
        configs = await asyncio.gather(*(self.client.get_auth_config(ref) for ref in refs))
        by_ref = dict(zip(refs, configs, strict=True))
        return {r.address: _normalise(r, by_ref[r.address.key]) for r in resources}

    def held(self, resource: Resource, field: str, live: Live) -> Held:
        value = live.get(field)
        if value in (None, ""):
            return Held(HeldState.UNSET)
        if is_digest(value):
            return Held.holds(str(value))
        shown = '"****" (masked)' if value == "****" else "a value it does not explain"
        return Held(
            HeldState.OPAQUE,
            shown_as=shown,
            advice="`karto-smtp check --via-supabase` proves it by sending a mail",
        )

    def proof(self, resource: Resource, field: str, secret: Secret) -> str | None:
        return password_digest(resource.address.key, secret.reveal())

    def requests(
        self,
        action: Action,
        resource: Resource,
        changed: set[str],
        live: Live | None,
        values: Values,
    ) -> list[Request]:
        if resource.address.kind == AUTH_EMAIL:
            wire = resource.extra["wire"]
            email = {name: wire[name] for name in wire if name in changed}
            return [self._patch(resource, email)] if email else []
        fields = resource.fields
        if "smtp_host" in fields and fields["smtp_host"] is None:
            return [self._patch(resource, {"smtp_host": ""})]
        body: dict[str, Any] = {}
        if changed & {*SMTP_GROUP, PASSWORD_FIELD}:
            body = {name: fields[name] for name in SMTP_GROUP if name in fields}
        for name in ("smtp_max_frequency", RATE_LIMIT):
            if name in changed:
                body[name] = fields[name]
        if not body:
            return []
        password = values.secret(resource.address, PASSWORD_FIELD)
        if password is not None and any(name.startswith("smtp_") for name in body):
            # Whether a PATCH without smtp_pass keeps the stored one is not documented:
            # whenever the password is known in this run, it goes along.
            body[PASSWORD_FIELD] = password
        if RATE_LIMIT in body and "smtp_host" in body and not smtp_enabled(live):
            # The email rate limit needs custom SMTP on. Whether Supabase checks that before
            # or after merging a PATCH is not documented: turn SMTP on first, then set it.
            limit = {RATE_LIMIT: body.pop(RATE_LIMIT)}
            return [self._patch(resource, body), self._patch(resource, limit)]
        return [self._patch(resource, body)]

    def _patch(self, resource: Resource, body: dict[str, Any]) -> Request:
        return Request(
            method="PATCH", path=f"v1/projects/{resource.address.key}/config/auth", body=body
        )

    async def send(self, request: Request, resource: Resource) -> Live | None:
        response = await self.client.patch_auth_config(resource.address.key, request.body)
        return _normalise(resource, response) if isinstance(response, dict) else None

    def notes(self, resource: Resource, live: Live | None, action: Action) -> list[str]:
        if resource.address.kind == AUTH_SMTP:
            turning_off = "smtp_host" in resource.fields and resource.fields["smtp_host"] is None
            if turning_off and smtp_enabled(live):
                return [
                    "custom SMTP goes off: Auth mails through Supabase's built-in mailer, and "
                    "the project's email templates may stop applying (projects on the default "
                    "mailer may not use custom templates)"
                ]
        if resource.address.kind == AUTH_EMAIL and action is not Action.NOOP:
            smtp_on = (live or {}).get("_smtp_enabled") or resource.extra.get("smtp_on")
            if not smtp_on:
                return [
                    "custom SMTP is off and karto.yaml does not turn it on: Supabase may refuse "
                    "template changes (new free projects edit templates only with custom SMTP) "
                    "or send its defaults"
                ]
        return []

    async def aclose(self) -> None:
        await self.client.aclose()


def _normalise(resource: Resource, raw: dict[str, Any]) -> Live:
    if resource.address.kind == AUTH_EMAIL:
        from karto_smtp.providers.supabase.email_fields import normalise_live_email_fields

        # Never compared (not a declared field): it tells whether templates can apply.
        return {**normalise_live_email_fields(raw), "_smtp_enabled": smtp_enabled(raw)}
    return normalise_auth(raw)
