"""Shared fixtures.

`sandbox` is one `Sandbox` for the whole session, reset before each test: starting one takes
~0.03 s but stopping takes ~0.5 s (the HTTP servers' shutdown poll interval), so a fresh
sandbox per test would cost half a second each. `reset()` restores both accounts (options
included), empties the mailbox and request log and clears injected faults. A test that needs
other start-up options (state file, fixed or blocked ports, auto-verified senders) builds
its own `Sandbox(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from karto_smtp import redaction
from karto_smtp.sandbox.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[Sandbox]:
    example = REPO_ROOT / "examples" / "karto.yaml"
    with Sandbox(seed_from=example if example.exists() else None) as running:
        yield running


@pytest.fixture
def sandbox(sandbox_session: Sandbox) -> Sandbox:
    """The running sandbox, back in its start-up state."""
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`sandbox.env` exported into os.environ for the test; returns it."""
    env = sandbox.env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """One command's secrets are not the next test's: a process runs one command."""
    redaction.forget_all()
    yield
    redaction.forget_all()
