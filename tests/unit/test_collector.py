"""The program starts with collection paused; a command resumes it when its start-up is
over, and any command not marked `short_start` as soon as it is found."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import click
import pytest

from karto_smtp.cli import cli, collector


@pytest.fixture
def program_start() -> Iterator[None]:
    """As `run()` starts the program; afterwards, collection as the test suite had it."""
    assert gc.isenabled()
    collector.pause()
    try:
        yield
    finally:
        collector.starting_over()  # a no-op if the test resumed it already
        gc.unfreeze()
        gc.enable()


def found(name: str) -> None:
    with click.Context(cli) as ctx:
        assert cli.get_command(ctx, name) is not None


@pytest.mark.parametrize("name", ["validate", "schema", "plan", "apply", "show", "dns"])
def test_a_short_command_keeps_the_pause_through_its_start_up(program_start, name) -> None:
    assert not gc.isenabled()
    found(name)
    assert not gc.isenabled()
    collector.starting_over()
    assert gc.isenabled()
    # What start-up built is frozen out of the collector's way.
    assert gc.get_freeze_count() > 1000


@pytest.mark.parametrize("name", ["sandbox", "check", "import", "init", "demo"])
def test_every_other_command_resumes_collection_once_found(program_start, name) -> None:
    """`sandbox` runs for hours and `check` and `import` wait on the network: they must
    never run without the collector."""
    found(name)
    assert gc.isenabled()


def test_resuming_twice_or_without_a_pause_changes_nothing() -> None:
    collector.starting_over()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        collector.starting_over()  # paused by someone else: theirs to resume
        assert not gc.isenabled()
    finally:
        gc.enable()
