"""`plan` and `apply` start with collection paused (as `run()` starts them) and resume it
before they talk to the services."""

from __future__ import annotations

import gc

import pytest

from karto_smtp.cli import collector, session
from tests.cli_runner import run_cli


@pytest.mark.parametrize("command", [["plan"], ["apply", "--auto-approve"]])
def test_collection_is_back_on_before_the_first_request(
    converged, capsys, monkeypatch, command
) -> None:
    config = converged(2)
    seen: list[bool] = []
    opened = session.services

    def services(*args, **kwargs):
        seen.append(gc.isenabled())
        return opened(*args, **kwargs)

    monkeypatch.setattr(session, "services", services)
    collector.pause()
    try:
        result = run_cli(capsys, *command, "-c", str(config))
        after = gc.isenabled()
    finally:
        collector.starting_over()
        gc.unfreeze()
        gc.enable()
    assert result.exit_code == 0, result.stderr
    assert seen == [False]  # still paused while plan loaded karto.yaml ...
    assert after  # ... and running again once the services were opened
