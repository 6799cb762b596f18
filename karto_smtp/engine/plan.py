"""The Plan: the one object `plan` renders, `plan --out` saves and `apply` re-derives.

Its JSON form is the payload of `plan --format json`, and so of the plan file. A Plan never holds
a secret: sensitive fields show markers, and request bodies hold placeholders
(`{"$secret": id}`, `{"$record": id}`) that only an apply fills, from values it made or
read itself in the same run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

SENSITIVE = "(sensitive value)"
KNOWN_AFTER_APPLY = "(known after apply)"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "no-op"


class FieldChange(_Model):
    """One declared field whose live value differs from karto.yaml.

    For a sensitive field `before` and `after` are never values, only one of the markers
    "(sensitive value)" and "(known after apply)", or null (nothing set).
    """

    field: str
    before: Any = None
    after: Any = None
    sensitive: bool = False
    # "text": a multi-line value the views show as a unified diff.
    display: str = "value"


class Request(_Model):
    """One call `apply` makes for a change, secrets as placeholders. Shown for review."""

    method: str
    path: str
    body: dict[str, Any] = Field(default_factory=dict)


class Change(_Model):
    address: str
    provider: str
    kind: str
    key: str
    label: str = ""
    action: Action
    fields: list[FieldChange] = Field(default_factory=list)
    unchanged_fields: int = 0
    reasons: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    # Structured, provider-defined facts about the live object (e.g. DNS records to publish).
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NOOP


class HandoffDecision(StrEnum):
    NONE = "none"
    CREATE = "create"
    TAKE_OVER = "take-over"
    REPAIR = "repair"
    ROTATE = "rotate"
    UPDATE = "update"
    DELIVER = "deliver"


class ConsumerState(StrEnum):
    IN_SYNC = "in-sync"
    OUT_OF_SYNC = "out-of-sync"
    UNSET = "unset"
    UNKNOWN = "unknown"
    NEW = "new"


class HandoffConsumer(_Model):
    address: str
    state: ConsumerState
    receives: bool


class Handoff(_Model):
    """What the plan does about one credential and every resource that holds it."""

    credential: str
    label: str
    producer: str | None
    generated: bool
    decision: HandoffDecision
    producer_written: bool
    consumers: list[HandoffConsumer] = Field(default_factory=list)
    reason: str = ""


class Summary(_Model):
    add: int = 0
    change: int = 0
    destroy: int = 0
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy)


class ConfigRef(_Model):
    path: str
    digest: str


class PlanOptions(_Model):
    targets: list[str] = Field(default_factory=list)
    rotate_passwords: list[str] = Field(default_factory=list)


class Plan(_Model):
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    config: ConfigRef
    options: PlanOptions = Field(default_factory=PlanOptions)
    changes: list[Change] = Field(default_factory=list)
    handoffs: list[Handoff] = Field(default_factory=list)
    # Objects karto-smtp can tell were changed by someone else since it last wrote them.
    drift: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: Any) -> Any:
        # `summary` is written for readers and recomputed from `changes` when read back.
        if isinstance(data, dict) and "summary" in data:
            data = {k: v for k, v in data.items() if k != "summary"}
        return data

    @computed_field  # type: ignore[prop-decorator]
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

    def promise(self) -> dict[str, Any]:
        """What a reviewer agreed to: every change, field, value, request and hand-off.

        Notes, details, drift and warnings describe the live services; they may change
        without changing what apply would do, so they are not part of it.
        """
        return {
            "config": self.config.model_dump(),
            "options": self.options.model_dump(),
            "changes": [
                c.model_dump(mode="json", exclude={"notes", "details", "label"})
                for c in self.changes
            ],
            "handoffs": [h.model_dump(mode="json") for h in self.handoffs],
        }
