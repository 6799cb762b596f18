"""The run's clock: one overall deadline (`--timeout`), and the one place waits happen.

A command installs a `Deadline` with `limit()`; everything below it (the HTTP client,
check's SMTP steps) reads `current()`. Every deliberate wait (a backoff, a rate limit)
is announced to the user through the deadline's `notify`, and none is started that would
end past the deadline. `apply` relaxes the deadline once it starts changing things: from
then on the deadline is a stop request, so it never cuts a password hand-off in half.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

from karto_smtp.errors import TimedOut

_log = logging.getLogger(__name__)

Notify = Callable[[str], None]


class Deadline:
    """`seconds` from now (None: no limit). `remaining()` is None whenever nothing is enforced."""

    def __init__(
        self,
        seconds: float | None = None,
        notify: Notify | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.notify: Notify = notify or _log.info
        self._clock = clock
        self._end = None if seconds is None else clock() + seconds
        self._enforced = True

    # -- reading the clock ---------------------------------------------------------
    def remaining(self) -> float | None:
        if self._end is None or not self._enforced:
            return None
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def allows(self, wait: float) -> bool:
        """Whether a wait of `wait` seconds ends before the deadline."""
        left = self.remaining()
        return left is None or wait < left

    def cap(self, seconds: float) -> float:
        """`seconds`, or what is left if that is less (for socket timeouts)."""
        left = self.remaining()
        return seconds if left is None else max(0.001, min(seconds, left))

    def exceeded(self, doing: str) -> TimedOut:
        return TimedOut(self.seconds or 0.0, doing)

    def check(self, doing: str) -> None:
        """Raise `TimedOut` if the deadline has passed."""
        if self.expired():
            raise self.exceeded(doing)

    # -- waiting -------------------------------------------------------------------
    @asynccontextmanager
    async def bounded(self, doing: str) -> AsyncIterator[None]:
        """Cancel the block when the deadline passes, and raise `TimedOut` instead."""
        left = self.remaining()
        if left is None:
            yield
            return
        if left <= 0:
            raise self.exceeded(doing)
        try:
            async with asyncio.timeout(left):
                yield
        except TimeoutError:
            if self.expired():
                raise self.exceeded(doing) from None
            raise

    async def sleep(self, seconds: float, notice: str | None = None) -> None:
        """Announce `notice`, then wait; callers check `allows()` first."""
        if notice:
            self.notify(notice)
        if seconds > 0:
            await asyncio.sleep(seconds)

    # -- phases of a run -------------------------------------------------------------
    @contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent here (a person answering a prompt) does not count."""
        start = self._clock()
        try:
            yield
        finally:
            if self._end is not None:
                self._end += self._clock() - start

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        """Nothing below is cut short by the deadline (the caller turns it into a stop)."""
        was = self._enforced
        self._enforced = False
        try:
            yield
        finally:
            self._enforced = was

    def until_end(self) -> float | None:
        """Seconds to the deadline even when relaxed: for scheduling the stop that replaces it."""
        return None if self._end is None else max(0.0, self._end - self._clock())


_current: ContextVar[Deadline | None] = ContextVar("karto_deadline", default=None)


def current() -> Deadline:
    """The deadline of the command that is running, or one without a limit."""
    found = _current.get()
    return found if found is not None else Deadline()


@contextmanager
def limit(seconds: float | None, notify: Notify | None = None) -> Iterator[Deadline]:
    """Run the block under a deadline `seconds` from now (None: no limit)."""
    deadline = Deadline(seconds, notify)
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
