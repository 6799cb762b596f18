"""Carry out a plan that this same run derived, change by change, in dependency order.

Independent changes run at the same time (each service client bounds its own requests);
a change whose dependency failed is not attempted. Every write is verified against what
the service shows afterwards. A stop request (SIGINT, SIGTERM) lets running changes
finish, and still delivers a credential whose producer already took a new value, so the
run ends at a point the next plan can explain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.diff import same
from karto_smtp.engine.handoff import decode_record, new_record
from karto_smtp.engine.order import edges
from karto_smtp.engine.plan import Action, Change
from karto_smtp.engine.planner import Planned
from karto_smtp.engine.provider import HeldState, Live, Provider
from karto_smtp.engine.resource import Resource
from karto_smtp.errors import ApiError
from karto_smtp.secrets import Secret, generate_password


class Outcome(StrEnum):
    APPLIED = "applied"
    UNVERIFIED = "applied, not verified"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


WRITTEN = (Outcome.APPLIED, Outcome.UNVERIFIED)


@dataclass
class ChangeResult:
    address: str
    action: str
    outcome: Outcome
    message: str = ""


@dataclass
class Delivery:
    """Where a credential's new value went in this run."""

    credential: str
    label: str
    producer: str | None
    producer_outcome: Outcome | None
    delivered: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


@dataclass
class ApplyResult:
    results: list[ChangeResult] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    interrupted: str | None = None
    # A hand-off record this run wrote was replaced before it ended (another writer).
    changed_meanwhile: bool = False

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        if self.changed_meanwhile:
            return "error"
        if all(r.outcome is Outcome.APPLIED for r in self.results):
            return "success"
        if any(r.outcome in WRITTEN for r in self.results):
            return "partial"
        return "error"

    def result_for(self, address: str) -> ChangeResult | None:
        return next((r for r in self.results if r.address == address), None)


class StopRequest:
    """Set by a signal handler: no new change starts, except deliveries already promised."""

    def __init__(self) -> None:
        self.signal: str | None = None

    def request(self, name: str) -> None:
        self.signal = self.signal or name


class RunValues:
    """Secrets and records as they really go out, for one apply."""

    def __init__(
        self,
        slots: Mapping[tuple[Address, str], str],
        secrets: Mapping[str, Secret],
        records: Mapping[Address, str],
    ) -> None:
        self._slots = slots
        self._secrets = secrets
        self._records = records

    def secret(self, resource: Address, field: str) -> Any:
        credential = self._slots.get((resource, field))
        value = self._secrets.get(credential) if credential else None
        return None if value is None else value.reveal()

    def record(self, resource: Address) -> Any:
        return self._records.get(resource)


def _verb(action: Action) -> str:
    return {"create": "creating", "update": "updating", "delete": "destroying"}[action.value]


class _Run:
    def __init__(
        self,
        planned: Planned,
        providers: Mapping[str, Provider],
        progress: Callable[[str], None],
        stop: StopRequest,
    ) -> None:
        self.planned = planned
        self.providers = providers
        self.progress = progress
        self.stop = stop
        self.result = ApplyResult()
        self.outcomes: dict[str, Outcome] = {}
        self.secrets: dict[str, Secret] = {}
        self.records: dict[Address, str] = {}
        self.slots = planned.secret_slots
        self._prepare_values()
        self.values = RunValues(self.slots, self.secrets, self.records)
        # consumer address -> producer address whose new value it must receive
        self.promised: dict[str, str] = {}
        for credential_id, outcome in planned.outcomes.items():
            bundle = planned.bundles[credential_id]
            if bundle.producer is not None and outcome.write_producer:
                for address in outcome.deliver_to:
                    self.promised[str(address)] = str(bundle.producer.resource.address)

    def _prepare_values(self) -> None:
        for credential_id, outcome in self.planned.outcomes.items():
            bundle = self.planned.bundles[credential_id]
            credential = bundle.credential
            value = generate_password() if outcome.generate else credential.value
            if value is None:
                continue
            self.secrets[credential_id] = value
            if bundle.producer is not None and outcome.write_producer:
                proofs = {
                    slot.resource.address: self.providers[slot.resource.address.provider].proof(
                        slot.resource, slot.field, value
                    )
                    for slot in bundle.consumers
                }
                self.records[bundle.producer.resource.address] = new_record(
                    credential_id, value.reveal(), proofs
                )

    async def run(self) -> ApplyResult:
        changes = self.planned.plan.actionable
        waits = edges(changes)
        done = {c.address: asyncio.Event() for c in changes}
        results: dict[str, ChangeResult] = {}

        async def one(change: Change) -> None:
            for need in waits[change.address]:
                await done[need].wait()
            try:
                results[change.address] = await self._change(change, waits[change.address])
                self.outcomes[change.address] = results[change.address].outcome
            finally:
                # Cancelled (a second stop request) or failed in a way `_change` does not
                # report: no outcome yet, but what waits on this change must not hang.
                done[change.address].set()

        try:
            await asyncio.gather(*(one(c) for c in changes))
        except asyncio.CancelledError:
            # A second stop request: whatever was in flight may or may not have happened.
            self.stop.request("SIGINT")
            for change in changes:
                results.setdefault(
                    change.address,
                    ChangeResult(
                        change.address,
                        change.action.value,
                        Outcome.FAILED,
                        "stopped while in flight: it may or may not have been applied",
                    ),
                )
                self.outcomes.setdefault(change.address, results[change.address].outcome)
        self.result.results = [results[c.address] for c in changes]
        self.result.interrupted = self.stop.signal
        await self._check_records()
        self._report_deliveries()
        return self.result

    async def _change(self, change: Change, needs: set[str]) -> ChangeResult:
        action = change.action.value
        blocked = [n for n in needs if self.outcomes.get(n) not in WRITTEN]
        if blocked:
            return ChangeResult(
                change.address,
                action,
                Outcome.NOT_ATTEMPTED,
                f"{', '.join(blocked)} was not applied",
            )
        promised_by = self.promised.get(change.address)
        must_finish = promised_by is not None and self.outcomes.get(promised_by) in WRITTEN
        if self.stop.signal and not must_finish:
            return ChangeResult(
                change.address, action, Outcome.NOT_ATTEMPTED, f"stopped by {self.stop.signal}"
            )
        address = _address(change)
        resource = self.planned.resources[address]
        provider = self.providers[address.provider]
        before = self.planned.live.get(address)
        self.progress(f"{change.address}: {_verb(change.action)}...")
        requests = provider.requests(
            change.action, resource, self.planned.changed[address], before, self.values
        )
        observed: Live | None = None
        sent = 0
        try:
            for request in requests:
                observed = await provider.send(request, resource)
                sent += 1
        except ApiError as exc:
            self.progress(f"{change.address}: failed")
            partly = " (the earlier requests of this change were applied)" if sent else ""
            return ChangeResult(change.address, action, Outcome.FAILED, f"{exc}{partly}")
        if observed is None or change.action is Action.DELETE:
            try:
                observed = await provider.observe(resource)
            except ApiError as exc:
                return ChangeResult(
                    change.address,
                    action,
                    Outcome.UNVERIFIED,
                    f"applied, but reading it back failed: {exc}",
                )
        problem = self._verify(change, resource, before, observed)
        if problem:
            self.progress(f"{change.address}: applied, but {problem}")
            return ChangeResult(change.address, action, Outcome.UNVERIFIED, problem)
        self.progress(f"{change.address}: done")
        return ChangeResult(change.address, action, Outcome.APPLIED)

    def _verify(
        self, change: Change, resource: Resource, before: Live | None, after: Live | None
    ) -> str:
        """What the service shows that the change did not do; empty when all is there."""
        if change.action is Action.DELETE:
            return "" if after is None else "the service still shows it"
        if after is None:
            return "the service does not show it after the write"
        address = resource.address
        provider = self.providers[address.provider]
        problems = []
        for item in change.fields:
            if item.sensitive or item.field not in resource.fields:
                continue
            wanted = resource.fields[item.field]
            if not same(after.get(item.field), wanted):
                problems.append(f"it shows {item.field} = {after.get(item.field)!r}")
        for name in resource.secrets:
            held = provider.held(resource, name, after)
            credential = self.slots.get((address, name))
            # The value this run sends in `name` (what self.values hands the provider).
            value = self.secrets.get(credential) if credential else None
            if value is not None and name in self.planned.changed[address]:
                expected = provider.proof(resource, name, value)
                if held.state is HeldState.UNSET:
                    problems.append(f"it holds no {name} after receiving one")
                elif held.state is HeldState.HOLDS and expected and held.proof != expected:
                    problems.append(f"it does not hold the {name} it was sent")
            elif before is not None and held.state is HeldState.UNSET:
                was = provider.held(resource, name, before)
                if was.state is not HeldState.UNSET:
                    problems.append(
                        f"the service cleared {name} although it was not sent; "
                        "`karto-smtp plan` now proposes a new one on both sides"
                    )
        if change.action is Action.UPDATE:
            # What made the update due and is still there: the call did not settle it.
            problems += provider.due(resource, after)
        written = self.records.get(address)
        if written is not None and decode_record(provider.record(resource, after)) != (
            decode_record(written)
        ):
            problems.append("it did not keep the hand-off record")
        return "; ".join(problems)

    async def _check_records(self) -> None:
        """A record that changed since this run wrote it means another writer was at work."""
        rewritten: dict[str, list[Resource]] = {}
        for address in self.records:
            if self.outcomes.get(str(address)) in WRITTEN:
                rewritten.setdefault(address.provider, []).append(self.planned.resources[address])
        # One read per service, however many of its objects carry a record.
        reads = await asyncio.gather(
            *(self.providers[name].read(group) for name, group in rewritten.items()),
            return_exceptions=True,
        )
        for group, read in zip(rewritten.values(), reads, strict=True):
            if isinstance(read, BaseException) and not isinstance(read, ApiError):
                raise read
            for resource in group:
                self._compare_record(resource, read)

    def _compare_record(
        self, resource: Resource, read: dict[Address, Live | None] | ApiError
    ) -> None:
        address = resource.address
        if isinstance(read, ApiError):
            self.result.warnings.append(f"could not re-read {address}: {read}")
            return
        provider = self.providers[address.provider]
        now = read.get(address)
        shown = provider.record(resource, now) if now is not None else None
        if decode_record(shown) != decode_record(self.records[address]):
            self.result.changed_meanwhile = True
            self.result.warnings.append(
                f"{resource.label} changed while this apply ran (another apply, or a "
                f"person, set a new {self._noun(address)}): run `karto-smtp plan`; it shows "
                "what to repair"
            )

    def _noun(self, producer: Address) -> str:
        for bundle in self.planned.bundles.values():
            if bundle.producer is not None and bundle.producer.resource.address == producer:
                return bundle.credential.noun
        return "secret"

    def _report_deliveries(self) -> None:
        for credential_id, outcome in self.planned.outcomes.items():
            bundle = self.planned.bundles[credential_id]
            if not outcome.deliver_to and not outcome.write_producer:
                continue
            producer = str(bundle.producer.resource.address) if bundle.producer else None
            delivery = Delivery(
                credential=credential_id,
                label=bundle.credential.label,
                producer=producer,
                producer_outcome=self.outcomes.get(producer) if producer else None,
            )
            for address in outcome.deliver_to:
                got = self.outcomes.get(str(address)) in WRITTEN
                (delivery.delivered if got else delivery.missed).append(str(address))
            self.result.deliveries.append(delivery)
            if delivery.missed and (producer is None or delivery.producer_outcome in WRITTEN):
                where = f" was set on {producer} but" if producer else ""
                self.result.warnings.append(
                    f"{bundle.credential.label}{where} did not reach {', '.join(delivery.missed)}; "
                    "`karto-smtp plan` shows the repair and one `karto-smtp apply` makes it"
                )


def _address(change: Change) -> Address:
    return Address(change.provider, change.kind, change.key)


async def execute(
    planned: Planned,
    providers: Mapping[str, Provider],
    progress: Callable[[str], None] = lambda _: None,
    stop: StopRequest | None = None,
) -> ApplyResult:
    return await _Run(planned, providers, progress, stop or StopRequest()).run()
