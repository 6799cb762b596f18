"""Desired resources: what karto.yaml asks for, in the services' own field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from karto_smtp.secrets import Secret


class Ensure(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


def address(provider: str, kind: str, key: str) -> str:
    return f'{provider}.{kind}["{key}"]'


def password_secret_id(username: str) -> str:
    return f"smtp2go.smtp_user[{username}].password"


@dataclass
class SecretSource:
    """Where a secret field's value comes from: a resolved reference, or generated at apply."""

    id: str
    label: str
    secret: Secret | None = None
    generated_by: str | None = None  # address of the resource whose creation makes the value

    @property
    def is_generated(self) -> bool:
        return self.secret is None


@dataclass
class Desired:
    address: str
    provider: str
    kind: str
    key: str
    ensure: Ensure = Ensure.PRESENT
    fields: dict[str, Any] = field(default_factory=dict)
    create_fields: dict[str, Any] = field(default_factory=dict)
    # What to send where the compared form differs from the wire form (e.g. "1 hour" vs 3600).
    wire_values: dict[str, Any] = field(default_factory=dict)
    secret_fields: dict[str, SecretSource] = field(default_factory=dict)
    location: str = ""
    # Supabase only: the SMTP2GO user whose password this project's relay uses.
    relay_user: str | None = None
