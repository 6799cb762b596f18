"""Relay ports that look firewalled, for testing how clients cope with a blocked port."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Literal

BlockMode = Literal["refused", "timeout"]
BLOCK_MODES = ("refused", "timeout")


class BlockedPort:
    """A loopback address where a relay port looks firewalled.

    "refused": a bound socket that never listens, so connecting fails at once (RST).
    "timeout": a listening socket with a full accept queue that is never drained; Linux
    then drops new SYNs, so a client's connect hangs until its own timeout, like a port
    behind a DROP rule.
    """

    def __init__(self, mode: BlockMode) -> None:
        if mode not in BLOCK_MODES:
            raise ValueError(f"a blocked port's mode is 'refused' or 'timeout', not {mode!r}")
        self.mode = mode
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        if mode == "timeout":
            self._fill_accept_queue()

    def _fill_accept_queue(self) -> None:
        self._listener.listen(0)
        for _ in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            self._sockets.append(filler)
        time.sleep(0.02)
        try:
            probe = socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
        except OSError:
            return  # the SYN was dropped: connects now time out
        probe.close()
        self.close()
        raise RuntimeError("this system accepts connections past a full backlog; use 'refused'")

    def close(self) -> None:
        for sock in [*self._sockets, self._listener]:
            sock.close()
        self._sockets = []


def normalise_blocked(
    blocked: Mapping[int, BlockMode] | Iterable[int] | None,
) -> dict[int, BlockMode]:
    """{port: mode} from a mapping, or from bare ports meaning "timeout"."""
    if blocked is None:
        return {}
    if not isinstance(blocked, Mapping):
        # A bare port means a firewall that drops, the usual way providers block SMTP ports.
        return {int(port): "timeout" for port in blocked}
    for port, mode in blocked.items():
        if mode not in BLOCK_MODES:
            raise ValueError(f"blocked port {port}: mode is 'refused' or 'timeout', not {mode!r}")
    return {int(port): mode for port, mode in blocked.items()}
