"""The hand-off: one credential, made or held by a producer and delivered to its consumers.

karto-smtp keeps no state file, so the evidence that a hand-off happened lives in the
services themselves:

- a consumer shows a *proof* of the secret it holds (e.g. a keyed digest of it); the
  engine never sees the secret behind it;
- the producer keeps a *record* (where is the provider's choice: a free-text field) written in
  the same request that sets its password: a token of the password itself and, for every
  consumer, a token of the proof that consumer should show. Tokens are truncated SHA-256
  hashes, so the record reveals no password and no proof, only a way to confirm a guess
  that anyone who can read the consumer's proof already has.

From these the rules below decide, per credential, whether to write the producer, whether
to make a new value, and which consumers receive it. The invariant they keep: after any
sequence of applies (failed, interrupted or concurrent) either every consumer holds the
producer's current secret, or the next plan says it may not and one apply fixes it for
all consumers at once.

Decisions, per credential (a consumer is "in sync" when what it shows matches the record,
or, for a known value, the proof of that value):

| producer      | value     | what the services show              | decision  | writes     |
|---------------|-----------|-------------------------------------|-----------|------------|
| none (plain)  | known     | holder shows another value, or none | deliver   | holder     |
| to be created | generated | -                                   | create    | P, all C * |
| to be created | known     | -                                   | create    | P, C not ok|
| exists        | any       | --rotate-password                   | rotate    | P, all C   |
| exists        | generated | no record                           | take-over | P, all C * |
| exists        | generated | a C out of sync or holding none     | repair    | P, all C * |
| exists        | generated | every C in sync or not comparable   | none      | -          |
| exists        | known     | no record                           | take-over | P, C not ok|
| exists        | known     | record of another value             | update    | P, C not ok|
| exists        | known     | record of it, a C not in sync       | deliver   | those C    |
| exists        | known     | record of it, every C in sync       | none      | -          |

P: the producer, C: its consumers, *: with a new value made at apply. The producer is
written before any consumer, in one request that carries both the value and the new record.

A consumer that shows nothing comparable (a masked value) never triggers a write on its
own: the plan says what cannot be compared instead of looping on it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from karto_smtp.engine.address import Address
from karto_smtp.engine.plan import ConsumerState, HandoffDecision
from karto_smtp.engine.provider import Held, HeldState
from karto_smtp.engine.resource import Credential, Resource

RECORD_VERSION = "1"
_SELF = "@"
_RECORD = re.compile(r"\[karto-smtp:(?P<version>\d+)(?P<entries>(?: [@0-9a-f]+=[0-9a-f]+)*)\]")
_TOKEN_LENGTH = 12
_KEY_LENGTH = 8


def entry_key(address: Address) -> str:
    """A short, stable name for one consumer in a record."""
    return hashlib.sha256(str(address).encode()).hexdigest()[:_KEY_LENGTH]


def token(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_TOKEN_LENGTH]


def secret_token(credential_id: str, secret: str) -> str:
    """The record's token of the secret itself (salted by the credential's id)."""
    return token(f"{credential_id}\0{secret}")


def encode_record(entries: dict[str, str]) -> str:
    body = "".join(f" {key}={value}" for key, value in sorted(entries.items()))
    return f"[karto-smtp:{RECORD_VERSION}{body}]"


def decode_record(text: str | None) -> dict[str, str] | None:
    """The entries of the last record in `text`; None when there is none (or unreadable)."""
    if not text:
        return None
    found = list(_RECORD.finditer(text))
    if not found or found[-1]["version"] != RECORD_VERSION:
        return None
    entries: dict[str, str] = {}
    for item in found[-1]["entries"].split():
        key, _, value = item.partition("=")
        entries[key] = value
    return entries


def split_record(text: str | None) -> tuple[str, str | None]:
    """(`text` without its record, the record as written or None)."""
    if not text:
        return "", None
    found = list(_RECORD.finditer(text))
    return strip_record(text), (found[-1].group(0) if found else None)


def strip_record(text: str) -> str:
    """`text` without any record, as the person who wrote it sees it."""
    return _RECORD.sub("", text).rstrip()


def attach_record(text: str | None, record: str) -> str:
    base = strip_record(text or "")
    return f"{base} {record}" if base else record


@dataclass
class ConsumerView:
    resource: Resource
    field: str
    held: Held
    # What this consumer would show for the credential's known value (None: not known).
    expected_proof: str | None = None


@dataclass
class HandoffGroup:
    credential: Credential
    producer: Resource | None
    producer_exists: bool
    record: dict[str, str] | None
    consumers: list[ConsumerView] = field(default_factory=list)


@dataclass
class HandoffOutcome:
    decision: HandoffDecision
    generate: bool
    write_producer: bool
    deliver_to: list[Address]
    states: dict[Address, ConsumerState]
    reason: str = ""
    notes: dict[Address, list[str]] = field(default_factory=dict)
    # Consumers the record says karto-smtp delivered to, that no longer hold it.
    drifted: list[Address] = field(default_factory=list)


def consumer_state(group: HandoffGroup, view: ConsumerView) -> ConsumerState:
    held = view.held
    if held.state is HeldState.UNSET:
        return ConsumerState.UNSET
    if held.state is HeldState.OPAQUE or held.proof is None:
        return ConsumerState.UNKNOWN
    if not group.credential.is_generated:
        if view.expected_proof is None:
            return ConsumerState.UNKNOWN
        return (
            ConsumerState.IN_SYNC
            if held.proof == view.expected_proof
            else ConsumerState.OUT_OF_SYNC
        )
    recorded = (group.record or {}).get(entry_key(view.resource.address))
    return ConsumerState.IN_SYNC if recorded == token(held.proof) else ConsumerState.OUT_OF_SYNC


def _names(
    views: list[ConsumerView], states: dict[Address, ConsumerState], *wanted: ConsumerState
) -> str:
    return ", ".join(v.resource.label for v in views if states[v.resource.address] in wanted)


def decide(group: HandoffGroup, forced: bool) -> HandoffOutcome:
    """Apply the table in this module's docstring to one credential."""
    credential = group.credential
    views = group.consumers
    states = {v.resource.address: consumer_state(group, v) for v in views}
    everyone = [v.resource.address for v in views]
    not_in_sync = [a for a in everyone if states[a] is not ConsumerState.IN_SYNC]
    broken = [a for a in everyone if states[a] in (ConsumerState.OUT_OF_SYNC, ConsumerState.UNSET)]
    unknown = [v for v in views if states[v.resource.address] is ConsumerState.UNKNOWN]
    label = credential.label
    outcome = HandoffOutcome(HandoffDecision.NONE, False, False, [], states)

    def write(decision: HandoffDecision, deliver: list[Address], reason: str) -> HandoffOutcome:
        outcome.decision = decision
        outcome.generate = credential.is_generated
        outcome.write_producer = group.producer is not None
        outcome.deliver_to = deliver
        outcome.reason = reason
        return outcome

    if group.producer is None:
        if forced:
            return write(HandoffDecision.DELIVER, everyone, f"{label} is set again (forced)")
        if broken:
            who = _names(views, states, ConsumerState.OUT_OF_SYNC, ConsumerState.UNSET)
            return write(
                HandoffDecision.DELIVER, broken, f"{who} does not hold {label} from karto.yaml"
            )
        return _not_comparable(outcome, unknown, label)

    producer = group.producer.label
    if not group.producer_exists:
        deliver = everyone if credential.is_generated else not_in_sync
        how = "made at apply and handed" if credential.is_generated else "handed"
        return write(
            HandoffDecision.CREATE,
            deliver,
            f"{producer} is new: its {credential.noun} is {how} to every resource that uses it",
        )
    if forced:
        return write(
            HandoffDecision.ROTATE,
            everyone,
            f"--rotate-password: {label} is set again on {producer} and everything that uses it",
        )
    if group.record is None:
        what = (
            f"one new {credential.noun} is made and set"
            if credential.is_generated
            else "the one in karto.yaml is set"
        )
        return write(
            HandoffDecision.TAKE_OVER,
            everyone if credential.is_generated else not_in_sync,
            f"take-over: karto-smtp has not handed over {label} before (no hand-off record on "
            f"{producer}); {what} on both sides, once",
        )
    if credential.is_generated:
        if broken:
            outcome.drifted = [a for a in broken if entry_key(a) in group.record]
            who = _names(views, states, ConsumerState.OUT_OF_SYNC, ConsumerState.UNSET)
            return write(
                HandoffDecision.REPAIR,
                everyone,
                f"{who} no longer holds {label}, which was generated and cannot be read back: "
                "a new one is made, set on both sides and handed to every resource that uses it",
            )
        return _not_comparable(outcome, unknown, label)
    assert credential.value is not None
    if group.record.get(_SELF) != secret_token(credential.id, credential.value.reveal()):
        return write(
            HandoffDecision.UPDATE,
            not_in_sync,
            f"{label} in karto.yaml is not the one karto-smtp last set on {producer}",
        )
    if broken:
        outcome.drifted = [a for a in broken if entry_key(a) in group.record]
        who = _names(views, states, ConsumerState.OUT_OF_SYNC, ConsumerState.UNSET)
        outcome.decision = HandoffDecision.DELIVER
        outcome.deliver_to = broken
        outcome.reason = f"{who} does not hold {label} from karto.yaml"
        return outcome
    return _not_comparable(outcome, unknown, label)


def _not_comparable(
    outcome: HandoffOutcome, unknown: list[ConsumerView], label: str
) -> HandoffOutcome:
    for view in unknown:
        shown = view.held.shown_as or "nothing comparable"
        advice = f"; {view.held.advice}" if view.held.advice else ""
        outcome.notes.setdefault(view.resource.address, []).append(
            f"cannot tell whether it holds {label}: the service shows {shown}{advice}"
        )
    return outcome


def new_record(credential_id: str, secret: str, proofs: dict[Address, str | None]) -> str:
    """The record to write with a new value: its own token and every consumer's proof token."""
    entries = {_SELF: secret_token(credential_id, secret)}
    for address, proof in proofs.items():
        if proof is not None:
            entries[entry_key(address)] = token(proof)
    return encode_record(entries)
