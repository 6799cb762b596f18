"""The program exits as soon as its output is flushed, and loses nothing by it.

`python -m karto_smtp` (like the `karto-smtp` script) runs `karto_smtp.cli.run`, which ends
with `os._exit` instead of the interpreter's teardown; these tests run it as a real process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def karto(*args: str, env: dict[str, str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "karto_smtp", *args],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


@pytest.fixture
def env(converged, sandbox) -> dict[str, str]:
    return {**os.environ, **sandbox.env, "NO_COLOR": "1"}


def test_a_long_output_through_a_pipe_arrives_whole(converged, env, tmp_path):
    config = converged(30)
    env = {**env, "KARTO_MAX_CONCURRENCY": "4"}  # see the `converged` fixture
    done = karto("plan", "-c", str(config), "--format", "json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 16_384  # more than one pipe buffer
    document = json.loads(done.stdout)
    assert len(document["plan"]["changes"]) == 32


def test_exit_codes_and_errors_are_kept(converged, env, tmp_path):
    config = converged(1)
    config.write_text(config.read_text().replace("sender_name: KARTO", "sender_name: KARTO Mail"))
    changed = karto("plan", "-c", str(config), "--detailed-exitcode", env=env, cwd=tmp_path)
    assert changed.returncode == 2, changed.stderr
    assert changed.stdout.endswith("Plan: 0 to add, 1 to change, 0 to destroy.\n")
    missing = karto("plan", "-c", str(tmp_path / "missing.yaml"), env=env, cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.startswith("Error: ")
    assert "Traceback" not in missing.stderr


def test_the_exit_skips_the_interpreter_teardown(tmp_path):
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown ran'))\n"
        "from karto_smtp.cli import run\n"
        "sys.argv = ['karto-smtp', '--version']\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stdout) == (0, "karto-smtp, version 0.1.0\n")


def test_a_profiler_still_gets_its_report(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-m", "karto_smtp", "--version"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("karto-smtp, version 0.1.0\n")
    assert "function calls" in done.stdout


def test_a_thread_still_working_is_waited_for(tmp_path):
    code = (
        "import threading, time\n"
        "from karto_smtp.cli import _exit_now\n"
        "def work():\n"
        "    time.sleep(0.2)\n"
        "    print('work finished', flush=True)\n"
        "threading.Thread(target=work).start()\n"
        "_exit_now(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stdout) == (3, "work finished\n")


def test_a_reader_that_went_away_is_not_a_traceback(converged, env, tmp_path):
    config = converged(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "karto_smtp", "plan", "-c", str(config)],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `karto-smtp plan | head -0`
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
