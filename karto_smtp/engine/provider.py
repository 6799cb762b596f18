"""The provider protocol: everything the engine needs from a service, and nothing more.

A provider owns its service: how karto.yaml maps to resources, how live objects are read
and normalised, which requests carry out a change, what its notes say, where it keeps a
hand-off record and what it shows of a secret. The engine owns the rest (diffing, the
hand-off rules, ordering, execution, saved plans) and never names a service, kind or field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from karto_smtp.engine.address import Address
from karto_smtp.engine.plan import Action, Request
from karto_smtp.engine.resource import Credential, Resource

if TYPE_CHECKING:
    from karto_smtp.secrets import Secret

Live = dict[str, Any]


class HeldState(StrEnum):
    HOLDS = "holds"  # the service shows a proof (e.g. a digest) of the value it holds
    UNSET = "unset"  # the service holds no value
    OPAQUE = "opaque"  # the service holds something but shows nothing comparable


@dataclass(frozen=True)
class Held:
    state: HeldState
    proof: str | None = None
    shown_as: str = ""
    # For OPAQUE: how a person can prove what is held instead.
    advice: str = ""

    @classmethod
    def holds(cls, proof: str) -> Held:
        return cls(HeldState.HOLDS, proof)


class Values(Protocol):
    """What request bodies carry for secrets and hand-off records.

    While planning these are placeholders; during an apply, the real values. None means
    "nothing to send": the value is not known in this run, or no record is being written.
    """

    def secret(self, resource: Address, field: str) -> Any: ...

    def record(self, resource: Address) -> Any: ...


@dataclass
class Desired:
    """What one provider asks for: resources plus the credentials they produce or hold."""

    resources: list[Resource]
    credentials: list[Credential]


class Provider(ABC):
    name: str
    # Requests in flight at once towards this service, reads and writes alike.
    max_concurrency: int = 4

    @abstractmethod
    async def read(self, resources: Sequence[Resource]) -> dict[Address, Live | None]:
        """The live object of every resource, normalised to the compared form; None if absent."""

    @abstractmethod
    def requests(
        self,
        action: Action,
        resource: Resource,
        changed: set[str],
        live: Live | None,
        values: Values,
    ) -> list[Request]:
        """The calls that carry out `action` for `resource`; `changed` names the fields that
        differ (secret fields included when a secret is delivered)."""

    @abstractmethod
    async def send(self, request: Request, resource: Resource) -> Live | None:
        """Make one call; return the object as the response shows it afterwards (normalised),
        or None when the response does not show it."""

    async def observe(self, resource: Resource) -> Live | None:
        """Read one object again, to verify a write whose response did not show it."""
        found = await self.read([resource])
        return found.get(resource.address)

    def due(self, resource: Resource, live: Live) -> list[str]:
        """Why an object whose declared fields all match still needs a call, as reasons.

        E.g. a domain the service has not verified yet: asking it to check again is a
        write-like call on an unchanged object. Each reason makes the plan an update whose
        requests come from `requests` (with no changed fields); after that update, a reason
        the service still gives means the update did not settle it (applied, not verified).
        """
        return []

    def notes(self, resource: Resource, live: Live | None, action: Action) -> list[str]:
        """Human notes about a resource: pending verification, what to do next."""
        return []

    def details(self, resource: Resource, live: Live | None) -> dict[str, Any]:
        """Structured facts about the live object for the plan's JSON (e.g. DNS records)."""
        return {}

    # -- the hand-off: only providers whose resources produce or hold credentials ----------
    def record(self, resource: Resource, live: Live) -> str | None:
        """The hand-off record a producer keeps on the service, as written; None if none."""
        return None

    def held(self, resource: Resource, field: str, live: Live) -> Held:
        """What the service shows of the secret a consumer holds in `field`."""
        return Held(HeldState.OPAQUE, shown_as="nothing")

    def proof(self, resource: Resource, field: str, secret: Secret) -> str | None:
        """What the service would show for `secret` in `field`; None if nothing comparable."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
