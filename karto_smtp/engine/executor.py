"""Carry out a Plan, change by change, in the plan's order; stop at the first failure.

Stopping (rather than going on) is deliberate: a later change may depend on the failed
one (a project receiving a user's new password), and a re-run re-plans from live state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from karto_smtp.engine.plan import Change, Plan
from karto_smtp.engine.resources import Desired
from karto_smtp.errors import ApiError, KartoError
from karto_smtp.providers.base import Provider
from karto_smtp.secrets import Secret, generate_password


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


@dataclass
class ChangeResult:
    address: str
    action: str
    outcome: Outcome
    message: str = ""


@dataclass
class ApplyResult:
    results: list[ChangeResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not any(r.outcome is not Outcome.APPLIED for r in self.results):
            return "success"
        if any(r.outcome is Outcome.APPLIED for r in self.results):
            return "partial"
        return "error"

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)


def known_secrets(desired: Mapping[str, Desired]) -> dict[str, Secret]:
    store: dict[str, Secret] = {}
    for item in desired.values():
        for source in item.secret_fields.values():
            if source.secret is not None:
                store[source.id] = source.secret
    return store


def fill_secrets(value: Any, store: Mapping[str, Secret]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$secret"}:
            secret_id = value["$secret"]
            if secret_id not in store:
                raise KartoError(f"the value of {secret_id} is not available in this run")
            return store[secret_id].reveal()
        return {k: fill_secrets(v, store) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_secrets(v, store) for v in value]
    return value


async def execute(
    plan: Plan,
    desired: Mapping[str, Desired],
    providers: Mapping[str, Provider],
    progress: Callable[[str], None] = lambda _: None,
) -> ApplyResult:
    store = known_secrets(desired)
    result = ApplyResult()
    generated_by: dict[str, str] = {}
    failed: Change | None = None
    for change in plan.actionable:
        if failed is not None:
            result.results.append(
                ChangeResult(change.address, change.action.value, Outcome.NOT_ATTEMPTED)
            )
            continue
        progress(f"{change.address}: {_verb(change)}...")
        for secret_id in change.generates_secrets:
            store[secret_id] = generate_password()
            generated_by[secret_id] = change.address
        try:
            for request in change.requests:
                await providers[change.provider].send(
                    change, request, fill_secrets(request.body, store)
                )
        except ApiError as exc:
            failed = change
            result.results.append(
                ChangeResult(change.address, change.action.value, Outcome.FAILED, str(exc))
            )
            progress(f"{change.address}: failed")
            continue
        result.results.append(ChangeResult(change.address, change.action.value, Outcome.APPLIED))
        progress(f"{change.address}: done")
    result.warnings.extend(_undelivered_passwords(plan, result, generated_by))
    return result


def _verb(change: Change) -> str:
    return {"create": "creating", "update": "updating", "delete": "destroying"}[change.action.value]


def _undelivered_passwords(
    plan: Plan, result: ApplyResult, generated_by: dict[str, str]
) -> list[str]:
    """A generated password that reached SMTP2GO but not every project that needs it."""
    applied = {r.address for r in result.results if r.outcome is Outcome.APPLIED}
    warnings = []
    for secret_id, owner in generated_by.items():
        if owner not in applied:
            continue
        missing = [
            c.address
            for c in plan.actionable
            if secret_id in c.needs_secrets and c.address not in applied
        ]
        if missing:
            username = owner.split('"')[1]
            warnings.append(
                f"SMTP2GO user {username} now has a new password that did not reach "
                f"{', '.join(missing)}; run `karto-smtp apply --rotate-password {username}` "
                "to set a fresh one on both sides"
            )
    return warnings
