"""The Plan: the one object that `plan` renders and `apply` executes.

A Plan never holds a secret. Where a request needs one, its body holds a placeholder
`{"$secret": "<secret id>"}` that the executor fills in from memory at the last moment.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from karto_smtp import __version__

PLAN_FORMAT_VERSION = "1.0"
SENSITIVE = "(sensitive value)"
KNOWN_AFTER_APPLY = "(known after apply)"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "no-op"


class FieldChange(BaseModel):
    """One declared field whose live value differs from karto.yaml.

    For a sensitive field `before`/`after` are never values: they are one of
    "(sensitive value)", "(known after apply)" or null (unset).
    """

    field: str
    before: Any = None
    after: Any = None
    sensitive: bool = False


class Request(BaseModel):
    """The exact call `apply` will make for a change (secrets as placeholders)."""

    method: str
    path: str
    body: dict[str, Any] = Field(default_factory=dict)


class Change(BaseModel):
    address: str
    provider: str
    kind: str
    key: str
    action: Action
    fields: list[FieldChange] = Field(default_factory=list)
    unchanged_fields: int = 0
    reasons: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
    generates_secrets: list[str] = Field(default_factory=list)
    needs_secrets: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    fingerprint: str = "absent"

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NOOP


class Summary(BaseModel):
    add: int = 0
    change: int = 0
    destroy: int = 0
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy)


class Plan(BaseModel):
    format_version: str = PLAN_FORMAT_VERSION
    tool_version: str = __version__
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    config_path: str
    config_digest: str
    fingerprint_salt: str
    targets: list[str] = Field(default_factory=list)
    rotate_passwords: list[str] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def summary(self) -> Summary:
        summary = Summary()
        for change in self.changes:
            match change.action:
                case Action.CREATE:
                    summary.add += 1
                case Action.UPDATE:
                    summary.change += 1
                case Action.DELETE:
                    summary.destroy += 1
                case Action.NOOP:
                    summary.unchanged += 1
        return summary

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.is_change]

    def change_for(self, address: str) -> Change | None:
        return next((c for c in self.changes if c.address == address), None)
