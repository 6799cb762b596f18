"""SIGINT and SIGTERM during apply: stop at a safe point, say what was delivered, 130/143.

The apply runs as a real process against the sandbox; Supabase is slowed down so the signal
lands after SMTP2GO took the new password and before the project received it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.cli_runner import run_cli
from tests.e2e.helpers import OTHER_REF, REF, write_config
from tests.e2e.test_handoff import TWO_PROJECTS, _wait_for


def _start(live, path, *args):
    env = {**os.environ, **live.env, "NO_COLOR": "1", "KARTO_HTTP_BACKOFF": "0.01"}
    return subprocess.Popen(
        [sys.executable, "-m", "karto_smtp", "apply", "--auto-approve", *args, "-c", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_after_the_new_password_still_delivers_it(live, capsys, tmp_path, sig, code):
    path = write_config(tmp_path, TWO_PROJECTS)
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(path)).exit_code == 0
    live.fault(live.env["SUPABASE_API_URL"], kind="latency", method="PATCH", seconds=1.0)
    process = _start(live, path, "--rotate-password", "karto")
    before = _wait_for(process, 'smtp2go.smtp_user["karto"]: done')
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    assert process.returncode == code, out + before + err
    assert f"Apply interrupted by {sig.name}: stopped at a safe point." in out
    assert (
        f'  the password of SMTP2GO user karto: reached supabase.auth_smtp["{REF}"], '
        f'supabase.auth_smtp["{OTHER_REF}"]'
    ) in out
    assert "Traceback" not in err
    assert live.converged("karto", REF, OTHER_REF)


def test_a_signal_before_any_password_was_set_stops_before_it(live, capsys, config):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="latency",
        method="POST",
        path="/v3/single_sender_emails/add",
        seconds=1.0,
    )
    process = _start(live, config)
    _wait_for(process, 'smtp2go.single_sender["karto.help@ro.ru"]: creating...')
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert '  not attempted: smtp2go.smtp_user["karto"] (create): stopped by SIGINT' in out
    assert live.users() == []
    assert live.auth_config()["smtp_host"] is None
    assert run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(config)).exit_code == 2


def test_sigterm_while_planning_is_one_line_and_143(live, config):
    live.fault(live.env["SUPABASE_API_URL"], kind="latency", method="GET", seconds=2.0)
    process = _start(live, config)
    _wait_for(process, "Reading live state")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 143
    assert err.endswith("Terminated.\n")
    assert "Traceback" not in err
    assert live.writes() == []
