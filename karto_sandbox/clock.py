"""The sandbox's clock: real time plus an offset that tests move forward over HTTP.

Every time-dependent rule of the emulators (rate-limit windows, Supabase's per-user mail
interval, link expiry) reads this one clock, so `POST /_sandbox/clock {"advance": 61}`
lets a client see what happens a minute later without waiting a minute.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def time(self) -> float:
        """Seconds since the epoch, shifted."""
        return time.time() + self.offset

    def monotonic(self) -> float:
        """A monotonic reading, shifted the same way."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
