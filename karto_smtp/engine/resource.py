"""What karto.yaml asks for, as the engine sees it: resources, fields, dependencies, secrets.

Providers build these from the file; the engine never looks inside `fields` beyond
comparing them with the live object the same provider normalised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from karto_smtp.engine.address import Address
from karto_smtp.secrets import Secret


class Ensure(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


@dataclass(frozen=True)
class CredentialName:
    """How a consumer names the credential it receives: the producer's provider and key."""

    provider: str
    key: str


@dataclass
class Credential:
    """A secret made or held by one resource (the producer) and handed to others.

    `value` is None when karto-smtp generates it at apply; otherwise it is known (from
    env() or file()) and can be compared wherever a service shows a digest of it.
    A credential without a producer is a plain secret that one resource holds.
    """

    id: str
    label: str
    value: Secret | None
    noun: str = "secret"
    producer: Address | None = None
    name: CredentialName | None = None

    @property
    def is_generated(self) -> bool:
        return self.value is None


@dataclass
class Resource:
    address: Address
    label: str
    location: str = ""
    ensure: Ensure = Ensure.PRESENT
    # Compared with the live object, in the form the provider normalises both sides to.
    fields: dict[str, Any] = field(default_factory=dict)
    # Sent when the resource is created, never compared afterwards.
    create_only: dict[str, Any] = field(default_factory=dict)
    depends_on: list[Address] = field(default_factory=list)
    # field name -> credential this resource holds there (as producer or consumer).
    secrets: dict[str, CredentialName | Credential] = field(default_factory=dict)
    # Fields holding multi-line text, shown as a unified diff rather than before -> after.
    text_fields: frozenset[str] = frozenset()
    # Provider-private details the engine carries but never reads.
    extra: dict[str, Any] = field(default_factory=dict)
