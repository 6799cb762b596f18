"""The garbage collector while the program starts.

Start-up (imports, pydantic building karto.yaml's validators, reading the file) makes a few
hundred thousand objects that live until the process exits, and next to no garbage in
cycles. Python's collector would walk them again and again while they are being made: about
9 ms of a one-project `plan`, 7 ms of `validate`, 25 ms of a 100-project `plan`. So the
program starts with collection paused. Once the command is known it resumes, with what
start-up built frozen out of the collector's way, unless the command is marked
`short_start`: such a command keeps the pause through its own imports and loading, and
resumes it (`starting_over`) before it talks to the services, so that a long apply still
frees its garbage. Commands that never resume it (`validate`, `show`) read one bounded file
and exit.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_SHORT_START = "_karto_short_start"
_paused = {"by_us": False}


def pause() -> None:
    """The program starts: no collection until its command says otherwise."""
    if gc.isenabled():
        gc.disable()
        _paused["by_us"] = True


def short_start(command: F) -> F:
    """Mark a command whose start-up keeps collection paused until `starting_over`."""
    setattr(command, _SHORT_START, True)
    return command


def command_found(callback: Callable[..., Any] | None) -> None:
    """The command to run is known: any command not marked `short_start` resumes now."""
    if not getattr(callback, _SHORT_START, False):
        starting_over()


def starting_over() -> None:
    """Start-up is done: freeze what it built and let the collector run again."""
    if _paused["by_us"]:
        _paused["by_us"] = False
        gc.freeze()
        gc.enable()
