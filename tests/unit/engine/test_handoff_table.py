"""The hand-off rules as a table: one row per situation, the decision and who is written."""

from __future__ import annotations

import pytest

from karto_smtp.engine.address import Address
from karto_smtp.engine.handoff import (
    ConsumerView,
    HandoffGroup,
    decide,
    decode_record,
    encode_record,
    entry_key,
    new_record,
    secret_token,
    token,
)
from karto_smtp.engine.plan import ConsumerState, HandoffDecision
from karto_smtp.engine.provider import Held, HeldState
from karto_smtp.engine.resource import Credential, Resource
from karto_smtp.secrets import Secret

PRODUCER = Resource(address=Address("relay", "user", "karto"), label="relay user karto")
A = Resource(address=Address("app", "site", "a"), label="site a")
B = Resource(address=Address("app", "site", "b"), label="site b")
KNOWN = Secret("known-password-1")


def credential(value: Secret | None) -> Credential:
    return Credential(id="cred", label="the password", value=value, producer=PRODUCER.address)


def proof(resource: Resource, secret: str) -> str:
    return f"proof-{resource.address.key}-{secret}"


HOLDS_OLD = {"a": Held.holds(proof(A, "old")), "b": Held.holds(proof(B, "old"))}
RECORD_OLD = {
    "@": secret_token("cred", "old"),
    entry_key(A.address): token(proof(A, "old")),
    entry_key(B.address): token(proof(B, "old")),
}
RECORD_KNOWN = {
    "@": secret_token("cred", KNOWN.reveal()),
    entry_key(A.address): token(proof(A, KNOWN.reveal())),
    entry_key(B.address): token(proof(B, KNOWN.reveal())),
}
UNSET = Held(HeldState.UNSET)
MASKED = Held(HeldState.OPAQUE, shown_as='"****"', advice="send a mail to prove it")


def group(value, exists, record, held_a, held_b, producer=PRODUCER):
    views = [
        ConsumerView(A, "password", held_a, proof(A, value.reveal()) if value else None),
        ConsumerView(B, "password", held_b, proof(B, value.reveal()) if value else None),
    ]
    return HandoffGroup(credential(value), producer, exists, record, views)


K_A = Held.holds(proof(A, KNOWN.reveal()))
K_B = Held.holds(proof(B, KNOWN.reveal()))

# (name, group, forced) -> (decision, generate, write producer, delivered to)
TABLE = [
    (
        "generated, producer new",
        group(None, False, None, UNSET, UNSET),
        False,
        (HandoffDecision.CREATE, True, True, [A, B]),
    ),
    (
        "generated, in sync",
        group(None, True, RECORD_OLD, *HOLDS_OLD.values()),
        False,
        (HandoffDecision.NONE, False, False, []),
    ),
    (
        "generated, one consumer wiped",
        group(None, True, RECORD_OLD, HOLDS_OLD["a"], UNSET),
        False,
        (HandoffDecision.REPAIR, True, True, [A, B]),
    ),
    (
        "generated, one consumer holds another",
        group(None, True, RECORD_OLD, HOLDS_OLD["a"], Held.holds("x")),
        False,
        (HandoffDecision.REPAIR, True, True, [A, B]),
    ),
    (
        "generated, no record (hand-made setup)",
        group(None, True, None, *HOLDS_OLD.values()),
        False,
        (HandoffDecision.TAKE_OVER, True, True, [A, B]),
    ),
    (
        "generated, forced",
        group(None, True, RECORD_OLD, *HOLDS_OLD.values()),
        True,
        (HandoffDecision.ROTATE, True, True, [A, B]),
    ),
    (
        "generated, masked and in sync",
        group(None, True, RECORD_OLD, MASKED, HOLDS_OLD["b"]),
        False,
        (HandoffDecision.NONE, False, False, []),
    ),
    (
        "generated, all masked",
        group(None, True, RECORD_OLD, MASKED, MASKED),
        False,
        (HandoffDecision.NONE, False, False, []),
    ),
    (
        "known, producer new",
        group(KNOWN, False, None, K_A, UNSET),
        False,
        (HandoffDecision.CREATE, False, True, [B]),
    ),
    (
        "known, in sync",
        group(KNOWN, True, RECORD_KNOWN, K_A, K_B),
        False,
        (HandoffDecision.NONE, False, False, []),
    ),
    (
        "known, no record (hand-made setup)",
        group(KNOWN, True, None, K_A, Held.holds("typed-with-space")),
        False,
        (HandoffDecision.TAKE_OVER, False, True, [B]),
    ),
    (
        "known, value changed in karto.yaml",
        group(KNOWN, True, RECORD_OLD, *HOLDS_OLD.values()),
        False,
        (HandoffDecision.UPDATE, False, True, [A, B]),
    ),
    (
        "known, one consumer wiped",
        group(KNOWN, True, RECORD_KNOWN, K_A, UNSET),
        False,
        (HandoffDecision.DELIVER, False, False, [B]),
    ),
    (
        "known, forced",
        group(KNOWN, True, RECORD_KNOWN, K_A, K_B),
        True,
        (HandoffDecision.ROTATE, False, True, [A, B]),
    ),
    (
        "known, masked",
        group(KNOWN, True, RECORD_KNOWN, MASKED, K_B),
        False,
        (HandoffDecision.NONE, False, False, []),
    ),
    (
        "plain secret, holder differs",
        group(KNOWN, False, None, K_A, UNSET, producer=None),
        False,
        (HandoffDecision.DELIVER, False, False, [B]),
    ),
    (
        "plain secret, in sync",
        group(KNOWN, False, None, K_A, K_B, producer=None),
        False,
        (HandoffDecision.NONE, False, False, []),
    ),
]


@pytest.mark.parametrize(
    ("name", "situation", "forced", "expected"), TABLE, ids=[r[0] for r in TABLE]
)
def test_decision_table(name, situation, forced, expected):
    outcome = decide(situation, forced)
    decision, generate, write_producer, deliver = expected
    assert (outcome.decision, outcome.generate, outcome.write_producer) == (
        decision,
        generate,
        write_producer,
    )
    assert outcome.deliver_to == [r.address for r in deliver]


def test_a_masked_consumer_gets_a_note_not_a_write():
    outcome = decide(group(None, True, RECORD_OLD, MASKED, HOLDS_OLD["b"]), False)
    assert outcome.states == {A.address: ConsumerState.UNKNOWN, B.address: ConsumerState.IN_SYNC}
    assert outcome.notes[A.address] == [
        'cannot tell whether it holds the password: the service shows "****"; '
        "send a mail to prove it"
    ]


def test_take_over_says_so_in_those_words():
    outcome = decide(group(None, True, None, *HOLDS_OLD.values()), False)
    assert outcome.reason == (
        "take-over: karto-smtp has not handed over the password before (no hand-off record on "
        "relay user karto); one new secret is made and set on both sides, once"
    )


def test_repair_names_the_consumers_out_of_sync_and_marks_recorded_ones_as_drift():
    outcome = decide(group(None, True, RECORD_OLD, HOLDS_OLD["a"], UNSET), False)
    assert outcome.reason.startswith("site b no longer holds the password, which was generated")
    assert outcome.drifted == [B.address]


def test_record_round_trip_and_tokens_reveal_neither_secret_nor_proof():
    record = new_record("cred", "s3cret-value", {A.address: "proof-a", B.address: None})
    assert decode_record(f"Some text {record}") == {
        "@": secret_token("cred", "s3cret-value"),
        entry_key(A.address): token("proof-a"),
    }
    assert "s3cret" not in record and "proof-a" not in record
    assert decode_record("no record here") is None
    assert decode_record("[karto-smtp:9 @=abc]") is None
    assert encode_record({}) == "[karto-smtp:1]"
