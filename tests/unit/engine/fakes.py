"""In-memory services for engine tests: no HTTP, every behaviour steerable.

`Relay` makes passwords (its users are producers) and `App` holds them (its sites are
consumers that show a digest of what they hold). Both keep their state in plain dicts a
test can inspect, break or corrupt between runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.handoff import attach_record, split_record
from karto_smtp.engine.plan import Action, ConfigRef, PlanOptions, Request
from karto_smtp.engine.planner import DesiredState, Planned, plan
from karto_smtp.engine.provider import Held, HeldState, Live, Provider, Values
from karto_smtp.engine.resource import Credential, CredentialName, Ensure, Resource
from karto_smtp.errors import ApiError
from karto_smtp.secrets import Secret

CONFIG = ConfigRef(path="karto.yaml", digest="d" * 64)


def digest(key: str, secret: str) -> str:
    return hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()


@dataclass
class Service:
    """A service's objects plus faults: `fail` maps an object key to how its next write fails."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail: dict[str, str] = field(default_factory=dict)
    writes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    reads: int = 0
    masked: bool = False
    # Keys of objects whose next write is applied but answered with an error.
    lost_answers: set[str] = field(default_factory=set)


class Relay(Provider):
    """Users with a write-only password and a free-text note that holds the record."""

    name = "relay"

    def __init__(self, service: Service) -> None:
        self.service = service

    async def read(self, resources: Sequence[Resource]) -> dict[Address, Live | None]:
        self.service.reads += 1
        return {r.address: self._live(r.address.key) for r in resources}

    def _live(self, key: str) -> Live | None:
        stored = self.service.objects.get(key)
        if stored is None:
            return None
        note, record = split_record(stored.get("note"))
        return {
            "note": note if stored.get("note") is not None else None,
            "plan": stored.get("plan"),
            "_record": record,
        }

    def record(self, resource: Resource, live: Live) -> str | None:
        return live.get("_record")

    def requests(
        self,
        action: Action,
        resource: Resource,
        changed: set[str],
        live: Live | None,
        values: Values,
    ) -> list[Request]:
        key = resource.address.key
        if action is Action.DELETE:
            return [Request(method="DELETE", path=key)]
        body = {k: v for k, v in resource.fields.items() if action is Action.CREATE or k in changed}
        password = values.secret(resource.address, "password")
        if password is not None and "password" in changed | (
            {"password"} if action is Action.CREATE else set()
        ):
            body["password"] = password
        record = values.record(resource.address)
        if record is not None:
            text = resource.fields.get("note", (live or {}).get("note"))
            body["note"] = attach_record(text, record)
        elif "note" in body and live is not None and live.get("_record"):
            body["note"] = attach_record(body["note"], live["_record"])
        method = "POST" if action is Action.CREATE else "PATCH"
        return [Request(method=method, path=key, body=body)]

    async def send(self, request: Request, resource: Resource) -> Live | None:
        key = resource.address.key
        self.service.writes.append((request.method, key, dict(request.body)))
        how = self.service.fail.pop(key, None)
        if how == "refuse":
            raise ApiError("Relay", f"write {key}", "refused", 500)
        if request.method == "DELETE":
            self.service.objects.pop(key, None)
            return None
        stored = self.service.objects.setdefault(key, {})
        stored.update(request.body)
        if how == "lost-answer":
            raise ApiError("Relay", f"write {key}", "timed out (not retried: a write)")
        return self._live(key)


class App(Provider):
    """Sites that hold a password and show only a digest of it (or a mask)."""

    name = "app"

    def __init__(self, service: Service) -> None:
        self.service = service

    async def read(self, resources: Sequence[Resource]) -> dict[Address, Live | None]:
        self.service.reads += 1
        return {r.address: self._live(r.address.key) for r in resources}

    def _live(self, key: str) -> Live | None:
        stored = self.service.objects.get(key)
        if stored is None:
            return None
        password = stored.get("password")
        shown = (
            None if password is None else ("****" if self.service.masked else digest(key, password))
        )
        return {"host": stored.get("host"), "name": stored.get("name"), "password": shown}

    def held(self, resource: Resource, field: str, live: Live) -> Held:
        shown = live.get(field)
        if shown is None:
            return Held(HeldState.UNSET)
        if shown == "****":
            return Held(HeldState.OPAQUE, shown_as='"****"')
        return Held.holds(shown)

    def proof(self, resource: Resource, field: str, secret: Secret) -> str | None:
        return digest(resource.address.key, secret.reveal())

    def requests(
        self,
        action: Action,
        resource: Resource,
        changed: set[str],
        live: Live | None,
        values: Values,
    ) -> list[Request]:
        body = {k: v for k, v in resource.fields.items() if action is Action.CREATE or k in changed}
        password = values.secret(resource.address, "password")
        if password is not None and ("password" in changed or action is Action.CREATE):
            body["password"] = password
        return [Request(method="PATCH", path=resource.address.key, body=body)]

    async def send(self, request: Request, resource: Resource) -> Live | None:
        key = resource.address.key
        self.service.writes.append((request.method, key, dict(request.body)))
        how = self.service.fail.pop(key, None)
        if how == "refuse":
            raise ApiError("App", f"write {key}", "refused", 500)
        self.service.objects.setdefault(key, {}).update(request.body)
        if how == "lost-answer":
            raise ApiError("App", f"write {key}", "timed out")
        return self._live(key)


def user(
    key: str,
    note: str | None = None,
    password: Secret | None = None,
    generated: bool = True,
    ensure: Ensure = Ensure.PRESENT,
    depends_on: Sequence[Address] = (),
) -> tuple[Resource, Credential | None]:
    address = Address("relay", "user", key)
    fields = {"note": note} if note is not None else {}
    resource = Resource(
        address=address,
        label=f"relay user {key}",
        fields=fields,
        ensure=ensure,
        depends_on=list(depends_on),
    )
    credential = None
    if generated or password is not None:
        credential = Credential(
            id=f"{address}.password",
            label=f"the password of relay user {key}",
            noun="password",
            value=password,
            producer=address,
            name=CredentialName("relay", key),
        )
        resource.secrets["password"] = credential
    return resource, credential


def site(
    key: str,
    relay_user: str | None = None,
    host: str = "relay.example",
    password: Secret | None = None,
) -> tuple[Resource, Credential | None]:
    address = Address("app", "site", key)
    resource = Resource(address=address, label=f"site {key}", fields={"host": host})
    credential = None
    if relay_user is not None:
        resource.secrets["password"] = CredentialName("relay", relay_user)
    elif password is not None:
        credential = Credential(
            id=f"{address}.password", label=f"the password of site {key}", value=password
        )
        resource.secrets["password"] = credential
    return resource, credential


@dataclass
class World:
    relay: Service = field(default_factory=Service)
    app: Service = field(default_factory=Service)

    def providers(self) -> dict[str, Provider]:
        return {"relay": Relay(self.relay), "app": App(self.app)}

    def password(self, key: str) -> str | None:
        return self.relay.objects.get(key, {}).get("password")

    def site_password(self, key: str) -> str | None:
        return self.app.objects.get(key, {}).get("password")


def state(*items: tuple[Resource, Credential | None]) -> DesiredState:
    found = DesiredState()
    for resource, credential in items:
        found.resources.append(resource)
        if credential is not None:
            found.credentials.append(credential)
    return found


async def make(
    world: World, desired: DesiredState, rotate: Sequence[str] = (), targets: Sequence[str] = ()
) -> Planned:
    options = PlanOptions(targets=list(targets), rotate_passwords=list(rotate))
    return await plan(desired, world.providers(), CONFIG, options)
