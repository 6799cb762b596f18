"""The Plan: the one object `plan` renders, `plan --out` saves and `apply` re-derives.

Its JSON form is the payload of `plan --format json`, and so of the plan file. A Plan never holds
a secret: sensitive fields show markers, and request bodies hold placeholders
(`{"$secret": id}`, `{"$record": id}`) that only an apply fills, from values it made or
read itself in the same run.

The classes are plain dataclasses, made by karto-smtp's own code; pydantic checks them only
at the edges, when a plan is written as JSON or read back from a file (`plan_json`,
`plan_from_json`). Building validators for them at every start cost ~6 ms of each plan.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import computed_field

if TYPE_CHECKING:
    from pydantic import TypeAdapter

SENSITIVE = "(sensitive value)"
KNOWN_AFTER_APPLY = "(known after apply)"


# A plan file with a key this version does not know is refused, not half-read.
_FORBID_EXTRA = {"extra": "forbid"}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "no-op"


@dataclass(kw_only=True)
class FieldChange:
    """One declared field whose live value differs from karto.yaml.

    For a sensitive field `before` and `after` are never values, only one of the markers
    "(sensitive value)" and "(known after apply)", or null (nothing set).
    """

    __pydantic_config__ = _FORBID_EXTRA

    field: str
    before: Any = None
    after: Any = None
    sensitive: bool = False
    # "text": a multi-line value the views show as a unified diff.
    display: str = "value"


@dataclass(kw_only=True)
class Request:
    """One call `apply` makes for a change, secrets as placeholders. Shown for review."""

    __pydantic_config__ = _FORBID_EXTRA

    method: str
    path: str
    body: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(kw_only=True)
class Change:
    __pydantic_config__ = _FORBID_EXTRA

    address: str
    provider: str
    kind: str
    key: str
    label: str = ""
    action: Action
    fields: list[FieldChange] = dataclasses.field(default_factory=list)
    unchanged_fields: int = 0
    reasons: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    requests: list[Request] = dataclasses.field(default_factory=list)
    depends_on: list[str] = dataclasses.field(default_factory=list)
    # Structured, provider-defined facts about the live object (e.g. DNS records to publish).
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

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


@dataclass(kw_only=True)
class HandoffConsumer:
    __pydantic_config__ = _FORBID_EXTRA

    address: str
    state: ConsumerState
    receives: bool


@dataclass(kw_only=True)
class Handoff:
    """What the plan does about one credential and every resource that holds it."""

    __pydantic_config__ = _FORBID_EXTRA

    credential: str
    label: str
    producer: str | None
    generated: bool
    decision: HandoffDecision
    producer_written: bool
    consumers: list[HandoffConsumer] = dataclasses.field(default_factory=list)
    reason: str = ""


@dataclass(kw_only=True)
class Summary:
    __pydantic_config__ = _FORBID_EXTRA

    add: int = 0
    change: int = 0
    destroy: int = 0
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy)


@dataclass(kw_only=True)
class ConfigRef:
    __pydantic_config__ = _FORBID_EXTRA

    path: str
    digest: str


@dataclass(kw_only=True)
class PlanOptions:
    __pydantic_config__ = _FORBID_EXTRA

    targets: list[str] = dataclasses.field(default_factory=list)
    rotate_passwords: list[str] = dataclasses.field(default_factory=list)


@dataclass(kw_only=True)
class Plan:
    __pydantic_config__ = _FORBID_EXTRA

    created_at: str = dataclasses.field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )
    config: ConfigRef
    options: PlanOptions = dataclasses.field(default_factory=PlanOptions)
    changes: list[Change] = dataclasses.field(default_factory=list)
    handoffs: list[Handoff] = dataclasses.field(default_factory=list)
    # Objects karto-smtp can tell were changed by someone else since it last wrote them.
    drift: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)

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
        data = plan_json(self)
        return {
            "config": data["config"],
            "options": data["options"],
            "changes": [
                {k: v for k, v in change.items() if k not in _DESCRIPTIVE}
                for change in data["changes"]
            ],
            "handoffs": data["handoffs"],
        }


_DESCRIPTIVE = ("notes", "details", "label")


@functools.cache
def _adapter() -> TypeAdapter[Plan]:
    """pydantic's validator and serialiser for a Plan, built on first use (a few ms)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Plan)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON data: the payload of `--format json` and of a plan file."""
    dumped: dict[str, Any] = _adapter().dump_python(plan, mode="json")
    return dumped


def plan_from_json(data: Any) -> Plan:
    """A plan read back from its JSON form; raises pydantic's ValidationError if it is not one.

    `summary` is written for readers and recomputed from `changes`, so it is not read.
    """
    if isinstance(data, dict) and "summary" in data:
        data = {k: v for k, v in data.items() if k != "summary"}
    plan: Plan = _adapter().validate_python(data)
    return plan


def plan_json_schema(ref_template: str) -> dict[str, Any]:
    """The JSON Schema of `plan_json`'s output."""
    schema: dict[str, Any] = _adapter().json_schema(mode="serialization", ref_template=ref_template)
    return schema
