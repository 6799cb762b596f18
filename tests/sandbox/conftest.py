"""Fixtures of the sandbox's fidelity suite.

`stack`: the `Stack` object `karto-smtp sandbox` runs, in-process for speed, with no
projects, back in its start-up state for each test (`reset()`: accounts, switches, project
settings, mailbox, request log, faults, clock).

`sandbox_process`: `karto-smtp sandbox` itself, started once per session as a user starts
it (in a folder whose karto.yaml names the projects, environment read from what it
prints), for the real third-party clients. A test that changes it calls `.reset()` first.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from karto_sandbox.stack import Stack

# The projects the process serves: the real clients' tests use these refs.
PROCESS_PROJECTS = {
    "kartoclitestprojectq": "karto-cli",
    "abcdefghijklmnopqrst": "karto-management-js",
}
PROCESS_CONFIG = "version: 1\nsupabase:\n  projects:\n" + "".join(
    f"    - ref: {ref}\n      name: {name}\n" for ref, name in PROCESS_PROJECTS.items()
)
START_TIMEOUT = 20.0


@pytest.fixture(scope="session")
def _stack_session() -> Iterator[Stack]:
    with Stack() as running:
        yield running


@pytest.fixture
def stack(_stack_session: Stack) -> Stack:
    _stack_session.reset()
    return _stack_session


class SandboxProcess:
    """`karto-smtp sandbox ARGS` in a subprocess, with the environment it printed."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "karto_smtp", "sandbox", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout_lines: list[str] = []
        self.env = self._read_exports()
        self.stderr = ""

    def _read_exports(self) -> dict[str, str]:
        env: dict[str, str] = {}
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.stdout_lines.append(line)
                if line.startswith("#"):
                    ready.set()
                    return
                [assignment] = shlex.split(line.removeprefix("export "))
                name, _, value = assignment.partition("=")
                env[name] = value

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(START_TIMEOUT):
            self.process.kill()
            _out, err = self.process.communicate()
            raise AssertionError(f"the sandbox printed no ready line; stderr: {err}")
        return env

    @property
    def admin(self) -> str:
        return self.env["KARTO_SANDBOX_URL"]

    def reset(self) -> None:
        httpx.post(f"{self.admin}/_sandbox/reset", timeout=10).raise_for_status()

    def requests(self, service_url: str) -> list[dict[str, Any]]:
        return httpx.get(f"{service_url}/_sandbox/requests", timeout=10).json()

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _out, self.stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _out, self.stderr = self.process.communicate()
        return self.process.returncode


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    folder = tmp_path_factory.mktemp("sandbox-process")
    (folder / "karto.yaml").write_text(PROCESS_CONFIG)
    running = SandboxProcess(cwd=folder)
    try:
        yield running
    finally:
        code = running.stop()
        assert code == 0, running.stderr


def clean_env() -> dict[str, str]:
    """The test's environment without proxies, for clients that must reach loopback."""
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    return {k: v for k, v in os.environ.items() if k.lower() not in proxies}
