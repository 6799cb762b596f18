"""Shared fixtures.

`sandbox` is the sandbox's `Stack` (the object `karto-smtp sandbox` runs), in-process, one
for the whole session, reset before each test: `reset()` restores both accounts (switches
included), the Supabase project settings, empties the mailbox and request log, clears
injected faults and sets the clock back. Product tests use only its `.env` and the HTTP
routes that environment names. A test that needs other start-up options (state file, fixed
or blocked ports, auto-verified senders) builds its own `Stack(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from karto_sandbox.stack import Stack
from karto_smtp import redaction

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[Stack]:
    with Stack(config=REPO_ROOT / "examples" / "karto.yaml") as running:
        yield running


@pytest.fixture
def sandbox(sandbox_session: Stack) -> Stack:
    """The running sandbox, back in its start-up state."""
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture
def sandbox_env(sandbox: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`sandbox.env` exported into os.environ for the test; returns it."""
    env = sandbox.env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def cli_env(
    sandbox_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, str]:
    """`sandbox_env`, set up for running the CLI in-process: retries wait 10 ms, no colour,
    no KARTO_CONFIG from outside, and the test's own tmp_path as the working folder."""
    monkeypatch.setenv("KARTO_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("KARTO_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return sandbox_env


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """One command's secrets are not the next test's: a process runs one command."""
    redaction.forget_all()
    yield
    redaction.forget_all()
