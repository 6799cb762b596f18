"""From desired resources and live state to one Plan, through provider hooks only.

Steps: select (--target, before any call), read every service concurrently, diff each
resource, decide each hand-off, collect notes, build the requests apply would make (with
placeholders), order. `apply` runs the very same steps again before it writes anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.diff import diff_resource
from karto_smtp.engine.handoff import (
    ConsumerView,
    HandoffGroup,
    HandoffOutcome,
    decide,
    decode_record,
)
from karto_smtp.engine.order import ordered
from karto_smtp.engine.plan import (
    KNOWN_AFTER_APPLY,
    SENSITIVE,
    Action,
    Change,
    ConfigRef,
    FieldChange,
    Handoff,
    HandoffConsumer,
    Plan,
    PlanOptions,
)
from karto_smtp.engine.provider import Held, HeldState, Live, Provider
from karto_smtp.engine.resource import Credential, CredentialName, Ensure, Resource
from karto_smtp.errors import ConfigError


@dataclass
class DesiredState:
    resources: list[Resource] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)


@dataclass
class Slot:
    """One resource field that holds a credential."""

    resource: Resource
    field: str


@dataclass
class Bundle:
    """A credential, who makes it, and who holds it."""

    credential: Credential
    producer: Slot | None
    consumers: list[Slot] = field(default_factory=list)


@dataclass
class Planned:
    """A plan plus what was read to make it: what an apply in the same run carries out."""

    plan: Plan
    resources: dict[Address, Resource]
    live: dict[Address, Live | None]
    bundles: dict[str, Bundle]
    outcomes: dict[str, HandoffOutcome]
    changed: dict[Address, set[str]]
    # (resource, field) -> credential whose value goes there.
    secret_slots: dict[tuple[Address, str], str]


def bundles(state: DesiredState) -> dict[str, Bundle]:
    """Link every credential to its producer and consumers; raise if a name resolves nowhere."""
    by_name = {c.name: c for c in state.credentials if c.name is not None}
    found: dict[str, Bundle] = {c.id: Bundle(c, None) for c in state.credentials}
    for resource in state.resources:
        for name, held in resource.secrets.items():
            if isinstance(held, CredentialName):
                credential = by_name.get(held)
                if credential is None:
                    raise ConfigError(
                        f"{resource.location}: {resource.label} uses {held.provider} "
                        f"{held.key}, which karto.yaml does not declare with a secret to hand over"
                    )
                found[credential.id].consumers.append(Slot(resource, name))
            elif held.producer == resource.address:
                found[held.id].producer = Slot(resource, name)
            else:
                found[held.id].consumers.append(Slot(resource, name))
    return found


def _matches(resource: Resource, selector: str) -> bool:
    address = resource.address
    return (
        address.matches(selector)
        or selector in (address.key, address.kind, f"{address.provider}.{address.kind}")
        or selector in resource.extra.get("aliases", ())
    )


def select(state: DesiredState, targets: Sequence[str]) -> DesiredState:
    """The resources `targets` name, with what they depend on and their whole hand-off group.

    Checked before any network call: a target that matches nothing is an error.
    """
    if not targets:
        return state
    by_address = {r.address: r for r in state.resources}
    chosen: set[Address] = set()
    for target in targets:
        matched = [r.address for r in state.resources if _matches(r, target)]
        if not matched:
            known = ", ".join(str(r.address) for r in state.resources) or "none"
            raise ConfigError(
                f"--target {target} matches nothing in karto.yaml (addresses: {known})"
            )
        chosen.update(matched)
    groups = bundles(state)
    grew = True
    while grew:
        before = len(chosen)
        for address in list(chosen):
            chosen.update(a for a in by_address[address].depends_on if a in by_address)
        for bundle in groups.values():
            members = [s.resource.address for s in bundle.consumers]
            if bundle.producer is not None:
                members.append(bundle.producer.resource.address)
            if chosen.intersection(members):
                chosen.update(members)
        grew = len(chosen) != before
    resources = [r for r in state.resources if r.address in chosen]
    used = {b.credential.id for b in groups.values() if _touches(b, chosen)}
    return DesiredState(resources, [c for c in state.credentials if c.id in used])


def _touches(bundle: Bundle, chosen: set[Address]) -> bool:
    slots = [*bundle.consumers, *([bundle.producer] if bundle.producer else [])]
    return any(s.resource.address in chosen for s in slots)


def rotation_ids(state: DesiredState, names: Sequence[str]) -> list[str]:
    """--rotate-password NAME: the credentials NAME's resource makes. Checked before any call."""
    groups = bundles(state)
    makers = {
        b.producer.resource.address.key: b.credential.id
        for b in groups.values()
        if b.producer is not None and b.producer.resource.ensure is Ensure.PRESENT
    }
    chosen = []
    for name in names:
        if name not in makers:
            known = ", ".join(sorted(makers)) or "none declares a password"
            raise ConfigError(
                f"--rotate-password {name}: karto.yaml declares no password of that name "
                f"(known: {known})"
            )
        chosen.append(makers[name])
    return chosen


async def read_live(
    resources: Sequence[Resource], providers: Mapping[str, Provider]
) -> dict[Address, Live | None]:
    """Every provider reads its own resources; the providers read at the same time."""
    groups: dict[str, list[Resource]] = {}
    for resource in resources:
        groups.setdefault(resource.address.provider, []).append(resource)
    results = await asyncio.gather(*(providers[name].read(items) for name, items in groups.items()))
    live: dict[Address, Live | None] = {}
    for result in results:
        live.update(result)
    return live


class PlaceholderValues:
    """Request bodies as a reviewer sees them: where secrets and records will go."""

    def __init__(
        self, secrets: Mapping[tuple[Address, str], str], records: Mapping[Address, str]
    ) -> None:
        self._secrets = secrets
        self._records = records

    def secret(self, resource: Address, field: str) -> Any:
        credential = self._secrets.get((resource, field))
        return None if credential is None else {"$secret": credential}

    def record(self, resource: Address) -> Any:
        credential = self._records.get(resource)
        return None if credential is None else "[karto-smtp hand-off record, made at apply]"


def _group(
    bundle: Bundle, live: Mapping[Address, Live | None], providers: Mapping[str, Provider]
) -> HandoffGroup:
    credential = bundle.credential
    producer = bundle.producer
    record = None
    exists = False
    if producer is not None:
        found = live.get(producer.resource.address)
        exists = found is not None
        if found is not None:
            provider = providers[producer.resource.address.provider]
            record = decode_record(provider.record(producer.resource, found))
    views = []
    for slot in bundle.consumers:
        provider = providers[slot.resource.address.provider]
        found = live.get(slot.resource.address)
        held = provider.held(slot.resource, slot.field, found) if found is not None else None
        expected = None
        if credential.value is not None:
            expected = provider.proof(slot.resource, slot.field, credential.value)
        views.append(
            ConsumerView(
                slot.resource, slot.field, held or Held(HeldState.UNSET), expected_proof=expected
            )
        )
    return HandoffGroup(credential, producer.resource if producer else None, exists, record, views)


def _mark_secret(
    change: Change, field_name: str, before: str | None, after: str, reason: str
) -> None:
    if not any(f.field == field_name for f in change.fields):
        change.fields.append(
            FieldChange(field=field_name, before=before, after=after, sensitive=True)
        )
    if change.action is Action.NOOP:
        change.action = Action.UPDATE
    if reason and reason not in change.reasons:
        change.reasons.append(reason)


def make_plan(
    state: DesiredState,
    live: Mapping[Address, Live | None],
    providers: Mapping[str, Provider],
    config: ConfigRef,
    options: PlanOptions,
    rotate: Sequence[str] = (),
) -> Planned:
    """The plan for `state` against `live`: pure, given what was read."""
    live_by = dict(live)
    resources = {r.address: r for r in state.resources}
    changes = {r.address: diff_resource(r, live_by.get(r.address)) for r in state.resources}
    changed = {a: {f.field for f in c.fields} for a, c in changes.items()}
    secret_slots: dict[tuple[Address, str], str] = {}
    record_slots: dict[Address, str] = {}
    handoffs: list[Handoff] = []
    outcomes: dict[str, HandoffOutcome] = {}
    drift: list[str] = []
    all_bundles = bundles(state)

    for bundle in all_bundles.values():
        credential = bundle.credential
        if bundle.producer is not None and bundle.producer.resource.ensure is Ensure.ABSENT:
            continue
        group = _group(bundle, live_by, providers)
        outcome = decide(group, forced=credential.id in rotate)
        outcomes[credential.id] = outcome
        after = KNOWN_AFTER_APPLY if outcome.generate else SENSITIVE
        producer = bundle.producer
        if credential.value is not None:
            # A known value goes along wherever its field is sent, so no write can drop it.
            for slot in bundle.consumers:
                secret_slots[(slot.resource.address, slot.field)] = credential.id
        if producer is not None and outcome.write_producer:
            address = producer.resource.address
            before = SENSITIVE if group.producer_exists else None
            _mark_secret(changes[address], producer.field, before, after, outcome.reason)
            changed[address].add(producer.field)
            secret_slots[(address, producer.field)] = credential.id
            record_slots[address] = credential.id
        for view in group.consumers:
            address = view.resource.address
            if address not in outcome.deliver_to:
                continue
            before = None if view.held.state is HeldState.UNSET else SENSITIVE
            made = " (made during apply)" if outcome.generate else ""
            reason = f"receives {credential.label}{made}"
            if producer is None:
                reason = outcome.reason
            _mark_secret(changes[address], view.field, before, after, reason)
            changed[address].add(view.field)
            secret_slots[(address, view.field)] = credential.id
            if producer is not None and outcome.write_producer:
                changes[address].depends_on.append(str(producer.resource.address))
        for address, notes in outcome.notes.items():
            changes[address].notes.extend(notes)
        for address in outcome.drifted:
            drift.append(
                f"{address}: no longer holds {credential.label} that karto-smtp handed to it"
            )
        handoffs.append(
            Handoff(
                credential=credential.id,
                label=credential.label,
                producer=str(producer.resource.address) if producer else None,
                generated=credential.is_generated,
                decision=outcome.decision,
                producer_written=outcome.write_producer,
                consumers=[
                    HandoffConsumer(
                        address=str(v.resource.address),
                        state=outcome.states[v.resource.address],
                        receives=v.resource.address in outcome.deliver_to,
                    )
                    for v in group.consumers
                ],
                reason=outcome.reason,
            )
        )

    values = PlaceholderValues(secret_slots, record_slots)
    for address, resource in resources.items():
        change = changes[address]
        provider = providers[address.provider]
        found = live_by.get(address)
        for dependency in resource.depends_on:
            if dependency in resources and str(dependency) not in change.depends_on:
                change.depends_on.append(str(dependency))
        if change.action is Action.NOOP and found is not None and resource.ensure is Ensure.PRESENT:
            due = provider.due(resource, found)
            if due:
                change.action = Action.UPDATE
                change.reasons.extend(due)
        change.notes[:0] = provider.notes(resource, found, change.action)
        change.details = provider.details(resource, found)
        if change.is_change:
            change.requests = provider.requests(
                change.action, resource, changed[address], found, values
            )
    plan = Plan(
        config=config,
        options=options,
        changes=ordered(list(changes.values())),
        handoffs=handoffs,
        drift=drift,
    )
    if options.targets:
        plan.warnings.append(
            "Resource targeting is in effect: this plan covers only "
            + ", ".join(options.targets)
            + " and what they depend on."
        )
    return Planned(plan, resources, live_by, all_bundles, outcomes, changed, secret_slots)


async def plan(
    state: DesiredState,
    providers: Mapping[str, Provider],
    config: ConfigRef,
    options: PlanOptions,
) -> Planned:
    """Select, read, plan. Everything that can fail without a call fails first."""
    selected = select(state, options.targets)
    # Also links every credential to its holders, raising for a name that resolves nowhere.
    rotate = rotation_ids(selected, options.rotate_passwords)
    live = await read_live(selected.resources, providers)
    return make_plan(selected, live, providers, config, options, rotate)
