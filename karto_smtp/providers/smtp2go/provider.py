"""SMTP2GO: reads users, senders and domains; builds and sends the calls that change them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.handoff import attach_record
from karto_smtp.engine.plan import Action, Request
from karto_smtp.engine.provider import Live, Provider, Values
from karto_smtp.engine.resource import Resource
from karto_smtp.providers.smtp2go.client import Smtp2goClient
from karto_smtp.providers.smtp2go.fields import (
    PASSWORD_FIELD,
    RECORD_KEY,
    SENDER_DOMAIN,
    SINGLE_SENDER,
    SMTP_USER,
    normalise_domain,
    normalise_sender,
    normalise_user,
    user_shown_whole,
)

_OPERATIONS = {
    "users/smtp/add": "add SMTP user",
    "users/smtp/edit": "edit SMTP user",
    "users/smtp/remove": "remove SMTP user",
    "single_sender_emails/add": "add single sender",
    "single_sender_emails/remove": "remove single sender",
    "domain/add": "add sender domain",
    "domain/verify": "ask SMTP2GO to check the DNS records of",
    "domain/remove": "remove sender domain",
}


class Smtp2goProvider(Provider):
    name = "smtp2go"
    # SMTP2GO publishes no general API quota but throttles "too many requests or error
    # responses" by IP; two at a time stays well clear of it.
    max_concurrency = 2

    def __init__(self, client: Smtp2goClient) -> None:
        self.client = client

    async def read(self, resources: Sequence[Resource]) -> dict[Address, Live | None]:
        kinds = {r.address.kind for r in resources}
        readers = {
            SMTP_USER: self.client.view_smtp_users,
            SINGLE_SENDER: self.client.view_single_senders,
            SENDER_DOMAIN: self.client.view_domains,
        }
        wanted = [k for k in readers if k in kinds]
        results = await asyncio.gather(*(readers[k]() for k in wanted))
        by_kind = dict(zip(wanted, results, strict=True))
        tables: dict[str, dict[str, Live]] = {
            SMTP_USER: {
                str(u.get("username")): normalise_user(u) for u in by_kind.get(SMTP_USER, [])
            },
            SINGLE_SENDER: {
                str(s.get("email_address", "")).lower(): normalise_sender(s)
                for s in by_kind.get(SINGLE_SENDER, [])
            },
            SENDER_DOMAIN: {
                str((e.get("domain") or {}).get("fulldomain", "")).lower(): normalise_domain(e)
                for e in by_kind.get(SENDER_DOMAIN, [])
            },
        }
        return {r.address: tables[r.address.kind].get(r.address.key) for r in resources}

    def record(self, resource: Resource, live: Live) -> str | None:
        value = live.get(RECORD_KEY)
        return value if isinstance(value, str) else None

    def requests(
        self,
        action: Action,
        resource: Resource,
        changed: set[str],
        live: Live | None,
        values: Values,
    ) -> list[Request]:
        kind = resource.address.kind
        key = resource.address.key
        if kind == SMTP_USER:
            return [self._user_request(action, resource, changed, live, values)]
        if kind == SINGLE_SENDER:
            path = (
                "single_sender_emails/add"
                if action is Action.CREATE
                else ("single_sender_emails/remove")
            )
            return [Request(method="POST", path=path, body={"email_address": key})]
        if action is Action.CREATE:
            return [
                Request(
                    method="POST", path="domain/add", body={"domain": key, **resource.create_only}
                )
            ]
        if action is Action.DELETE:
            return [Request(method="POST", path="domain/remove", body={"domain": key})]
        # An update of a domain is due only while it is pending: SMTP2GO checks again now
        # instead of at its next periodic check.
        return [Request(method="POST", path="domain/verify", body={"domain": key})]

    def _user_request(
        self,
        action: Action,
        resource: Resource,
        changed: set[str],
        live: Live | None,
        values: Values,
    ) -> Request:
        address = resource.address
        username = address.key
        if action is Action.DELETE:
            return Request(method="POST", path="users/smtp/remove", body={"username": username})
        creating = action is Action.CREATE
        body: dict[str, Any] = {"username": username}
        for name, value in resource.fields.items():
            if creating or name in changed:
                body[name] = value
        wire = resource.extra.get("wire", {})
        body.update({k: v for k, v in wire.items() if k in body})
        password = values.secret(address, PASSWORD_FIELD)
        if password is not None and (creating or PASSWORD_FIELD in changed):
            body[PASSWORD_FIELD] = password
        record = values.record(address)
        if record is None and "description" in body and live is not None:
            record = live.get(RECORD_KEY)  # keep the record when only the text changes
        if record is not None:
            text = resource.fields.get("description")
            if text is None and live is not None:
                text = live.get("description")
            body["description"] = attach_record(text, record)
        if creating:
            return Request(method="POST", path="users/smtp/add", body=body)
        return Request(method="PATCH", path="users/smtp/edit", body=body)

    async def send(self, request: Request, resource: Resource) -> Live | None:
        operation = f"{_OPERATIONS.get(request.path, request.path)} {resource.address.key}"
        data = await self.client.write(request.method, request.path, operation, request.body)
        if resource.address.kind == SMTP_USER and request.path != "users/smtp/remove":
            # POST add answers {"results": [user]}; PATCH edit a bare array.
            items = data if isinstance(data, list) else (data or {}).get("results") or []
            user = items[0] if items and isinstance(items[0], dict) else None
            if user is not None and user_shown_whole(user, set(resource.fields) | {"description"}):
                return normalise_user(user)
            return None
        if resource.address.kind == SENDER_DOMAIN and request.path in (
            "domain/add",
            "domain/verify",
        ):
            domains = (data or {}).get("domains") if isinstance(data, dict) else None
            for entry in domains or []:
                full = str((entry.get("domain") or {}).get("fulldomain", "")).lower()
                if full == resource.address.key:
                    return normalise_domain(entry)
        return None

    def due(self, resource: Resource, live: Live) -> list[str]:
        if resource.address.kind != SENDER_DOMAIN or live.get("verified"):
            return []
        records = live.get("records", [])
        missing = [r["name"] for r in records if not r["verified"]]
        return [
            f"pending verification: SMTP2GO does not see {len(missing)} of its "
            f"{len(records)} DNS records yet ({', '.join(missing)})"
        ]

    def notes(self, resource: Resource, live: Live | None, action: Action) -> list[str]:
        if action is Action.DELETE or resource.address.kind == SMTP_USER:
            return []
        key = resource.address.key
        if resource.address.kind == SINGLE_SENDER:
            if live is None:
                return [
                    f"SMTP2GO emails a verification link to {key}; until it is clicked, mail "
                    'from it is refused with "550 From header sender domain not verified"'
                ]
            if not live.get("verified"):
                return [
                    f"pending: {key} is not verified yet; click the link SMTP2GO emailed to it "
                    "(SMTP2GO dashboard: Sending > Verified Senders to resend)"
                ]
            return []
        if live is None:
            return [
                f"SMTP2GO names the DNS records {key} needs when it is added: after apply, "
                "`karto-smtp dns` prints them for your DNS; the next apply asks SMTP2GO to "
                "check them"
            ]
        pending = [
            f"publish {r['name']} CNAME {r['target']}"
            + (f" (SMTP2GO found {r['found']})" if r.get("found") else "")
            for r in live.get("records", [])
            if not r["verified"]
        ]
        if pending:
            pending.append(
                "`karto-smtp dns` prints every record for your DNS tool; once they are "
                "published, apply asks SMTP2GO to check them"
            )
        return pending

    def details(self, resource: Resource, live: Live | None) -> dict[str, Any]:
        if resource.address.kind == SENDER_DOMAIN and live is not None:
            return {"verified": live.get("verified", False), "dns_records": live.get("records", [])}
        if resource.address.kind == SINGLE_SENDER and live is not None:
            return {"verified": live.get("verified", False)}
        return {}

    async def aclose(self) -> None:
        await self.client.aclose()
