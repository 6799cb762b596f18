"""SMTP2GO: SMTP users, single sender emails and sender domains."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from karto_smtp.engine.plan import Action, Change, Request
from karto_smtp.engine.resources import Desired, SecretSource
from karto_smtp.providers.base import Provider, SecretState
from karto_smtp.providers.smtp2go.client import Smtp2goClient

SMTP_USER = "smtp_user"
SINGLE_SENDER = "single_sender"
SENDER_DOMAIN = "sender_domain"

# Fields a user may manage, in the API's own names (`ip_pool` is `ippool` in responses).
USER_FIELDS = (
    "description",
    "status",
    "custom_ratelimit",
    "custom_ratelimit_value",
    "custom_ratelimit_period",
    "open_tracking_enabled",
    "click_tracking_enabled",
    "archive_enabled",
    "audit_email",
    "bounce_notifications",
    "feedback_enabled",
    "feedback_html",
    "feedback_text",
    "ip_pool",
)

_PERIOD_UNITS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
_PERIOD = re.compile(
    r"^\s*(?:(?P<n>\d+)\s*(?P<unit>hour|day|week|month)s?,?)?\s*"
    r"(?:(?P<h>\d+):(?P<m>\d{2}):(?P<s>\d{2}))?\s*$",
    re.IGNORECASE,
)


def period_seconds(text: str | None) -> int | str | None:
    """A rate-limit period in seconds, so "1 hour" and "1:00:00" compare equal."""
    if text is None:
        return None
    match = _PERIOD.match(str(text))
    if not match or not any(match.groupdict().values()):
        return str(text)
    total = 0
    if match["n"]:
        total += int(match["n"]) * _PERIOD_UNITS[match["unit"].lower()]
    if match["h"]:
        total += int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
    return total


def normalise_user(raw: dict[str, Any]) -> dict[str, Any]:
    # email_password never enters karto-smtp's view of the world: it is write-only.
    user = {name: raw.get(name) for name in USER_FIELDS if name != "ip_pool"}
    user["ip_pool"] = raw.get("ippool", raw.get("ip_pool"))
    user["custom_ratelimit_period"] = period_seconds(raw.get("custom_ratelimit_period"))
    if not user.get("custom_ratelimit"):
        user["custom_ratelimit_value"] = None
        user["custom_ratelimit_period"] = None
    return user


def domain_verification(entry: dict[str, Any]) -> dict[str, Any]:
    domain = entry.get("domain") or {}
    trackers = entry.get("trackers") or []
    active = [t for t in trackers if t.get("enabled")]
    records = [
        {
            "name": f"{domain.get('dkim_selector')}._domainkey.{domain.get('fulldomain')}",
            "type": "CNAME",
            "target": domain.get("dkim_expected") or "dkim.smtp2go.net",
            "verified": bool(domain.get("dkim_verified")),
        },
        {
            "name": f"{domain.get('rpath_selector')}.{domain.get('fulldomain')}",
            "type": "CNAME",
            "target": domain.get("rpath_expected") or "return.smtp2go.net",
            "verified": bool(domain.get("rpath_verified")),
        },
    ] + [
        {
            "name": t.get("fulldomain"),
            "type": "CNAME",
            "target": t.get("cname_expected") or "track.smtp2go.net",
            "verified": bool(t.get("cname_verified")),
        }
        for t in active
    ]
    return {"verified": all(r["verified"] for r in records), "records": records}


class Smtp2goProvider(Provider):
    name = "smtp2go"

    def __init__(self, client: Smtp2goClient) -> None:
        self.client = client

    async def read(self, desired: list[Desired]) -> dict[str, dict[str, Any] | None]:
        kinds = {d.kind for d in desired}
        readers = {
            SMTP_USER: self.client.view_smtp_users,
            SINGLE_SENDER: self.client.view_single_senders,
            SENDER_DOMAIN: self.client.view_domains,
        }
        wanted = [k for k in readers if k in kinds]
        results = await asyncio.gather(*(readers[k]() for k in wanted))
        by_kind = dict(zip(wanted, results, strict=True))

        users = {u.get("username"): normalise_user(u) for u in by_kind.get(SMTP_USER, [])}
        senders = {
            str(s.get("email_address", "")).lower(): {"verified": bool(s.get("verified"))}
            for s in by_kind.get(SINGLE_SENDER, [])
        }
        domains = {
            str((e.get("domain") or {}).get("fulldomain", "")).lower(): domain_verification(e)
            for e in by_kind.get(SENDER_DOMAIN, [])
        }
        live: dict[str, dict[str, Any] | None] = {}
        for item in desired:
            table = {SMTP_USER: users, SINGLE_SENDER: senders, SENDER_DOMAIN: domains}[item.kind]
            live[item.address] = table.get(item.key if item.kind == SMTP_USER else item.key.lower())
        return live

    def secret_state(
        self, desired: Desired, field: str, source: SecretSource, live: dict[str, Any]
    ) -> SecretState:
        # SMTP2GO passwords are write-only: what `view` says of them is never trusted.
        return SecretState.UNKNOWABLE

    def requests_for(
        self, change: Change, desired: Desired, live: dict[str, Any] | None
    ) -> list[Request]:
        if change.action is Action.NOOP:
            return []
        if desired.kind == SMTP_USER:
            return [self._user_request(change, desired)]
        if desired.kind == SINGLE_SENDER:
            path = (
                "single_sender_emails/add"
                if change.action is Action.CREATE
                else "single_sender_emails/remove"
            )
            return [Request(method="POST", path=path, body={"email_address": desired.key})]
        if change.action is Action.CREATE:
            body = {"domain": desired.key, **desired.create_fields}
            return [Request(method="POST", path="domain/add", body=body)]
        if change.action is Action.DELETE:
            return [Request(method="POST", path="domain/remove", body={"domain": desired.key})]
        return []

    def _user_request(self, change: Change, desired: Desired) -> Request:
        username = desired.key
        if change.action is Action.DELETE:
            return Request(method="POST", path="users/smtp/remove", body={"username": username})
        changed = {f.field for f in change.fields}
        body: dict[str, Any] = {"username": username}
        for name, value in desired.fields.items():
            if change.action is Action.CREATE or name in changed:
                body[name] = value
        body.update({k: v for k, v in desired.wire_values.items() if k in body})
        source = desired.secret_fields.get("email_password")
        if source is not None and (change.action is Action.CREATE or "email_password" in changed):
            body["email_password"] = {"$secret": source.id}
        if change.action is Action.CREATE:
            return Request(method="POST", path="users/smtp/add", body=body)
        return Request(method="PATCH", path="users/smtp/edit", body=body)

    async def send(self, change: Change, request: Request, body: dict[str, Any]) -> Any:
        operation = {
            "users/smtp/add": "add SMTP user",
            "users/smtp/edit": "edit SMTP user",
            "users/smtp/remove": "remove SMTP user",
            "single_sender_emails/add": "add single sender",
            "single_sender_emails/remove": "remove single sender",
            "domain/add": "add sender domain",
            "domain/remove": "remove sender domain",
        }.get(request.path, request.path)
        return await self.client.call(
            request.method,
            request.path,
            f"{operation} {change.key}",
            json_body=body,
            idempotent=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
