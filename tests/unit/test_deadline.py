"""The run's clock: remaining time, caps, pauses for prompts, and relaxing it for apply."""

from __future__ import annotations

import asyncio

import pytest

from karto_smtp import deadline
from karto_smtp.deadline import Deadline
from karto_smtp.errors import TimedOut


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_limit_is_never_expired_and_caps_nothing():
    clock = Deadline()
    assert clock.remaining() is None and not clock.expired()
    assert clock.cap(15.0) == 15.0 and clock.allows(1e9)


def test_remaining_cap_and_expiry():
    now = Clock()
    clock = Deadline(10, clock=now)
    now.now += 4
    assert clock.remaining() == 6
    assert clock.cap(15.0) == 6 and clock.cap(2.0) == 2.0
    assert clock.allows(5.9) and not clock.allows(6.0)
    now.now += 6
    assert clock.expired()
    with pytest.raises(TimedOut) as caught:
        clock.check("waiting for Supabase (read Auth config of abc)")
    assert str(caught.value) == (
        "timed out after 10 s (--timeout) while waiting for Supabase (read Auth config of abc)"
    )


def test_time_at_a_prompt_does_not_count():
    now = Clock()
    clock = Deadline(10, clock=now)
    with clock.paused():
        now.now += 60
    assert clock.remaining() == 10


def test_relaxed_enforces_nothing_but_still_knows_the_end():
    now = Clock()
    clock = Deadline(10, clock=now)
    now.now += 12
    with clock.relaxed():
        assert clock.remaining() is None and not clock.expired()
        assert clock.until_end() == 0
    assert clock.expired()


def test_bounded_cuts_a_slow_block_and_names_what_it_waited_for():
    async def slow() -> None:
        async with Deadline(0.05).bounded("waiting for SMTP2GO (view SMTP users)"):
            await asyncio.sleep(5)

    with pytest.raises(TimedOut, match=r"after 0\.05 s \(--timeout\) while waiting for SMTP2GO"):
        asyncio.run(slow())


def test_sleep_announces_the_wait_first():
    said: list[str] = []
    asyncio.run(Deadline(notify=said.append).sleep(0, "Supabase rate limit: waiting 0 s..."))
    assert said == ["Supabase rate limit: waiting 0 s..."]


def test_limit_installs_the_deadline_for_the_block_only():
    assert deadline.current().seconds is None
    with deadline.limit(30) as clock:
        assert deadline.current() is clock
    assert deadline.current().seconds is None
