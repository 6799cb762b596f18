"""`check --timeout` (one overall deadline) and refused credentials in check's rows."""

from __future__ import annotations

import time

import pytest

from karto_smtp.check.relay_map import RELAY_ENV
from tests.check.conftest import PROJECT, REF, Live, relay_config


def test_a_slow_supabase_read_ends_check_at_the_deadline(live: Live) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    import httpx

    httpx.post(
        live.env["SUPABASE_API_URL"] + "/_sandbox/faults",
        json={"kind": "latency", "method": "GET", "seconds": 3},
    ).raise_for_status()
    start = time.monotonic()
    result = live.cli("check", "--timeout", "1", "-c", str(config))
    elapsed = time.monotonic() - start
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.endswith(
        "Error: timed out after 1 s (--timeout) while waiting for Supabase "
        f"(read Auth config of {REF})\n"
    )
    assert elapsed < 2.0, elapsed


def test_a_port_that_drops_packets_ends_check_at_the_deadline(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    from karto_sandbox.relay.blocked import BlockedPort

    config = live.config(relay_config())
    blocked = BlockedPort("timeout")
    monkeypatch.setenv(RELAY_ENV, f"mail.smtp2go.com:587=127.0.0.1:{blocked.port}")
    start = time.monotonic()
    try:
        result = live.cli("check", "--timeout", "0.5", "-c", str(config))
    finally:
        blocked.close()
    elapsed = time.monotonic() - start
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: timed out after 0.5 s (--timeout) while connecting to mail.smtp2go.com:587\n"
    )
    # The step timeout (5 s) was cut to what the deadline left.
    assert elapsed < 1.5, elapsed


def test_a_refused_token_row_names_the_variable_and_where_tokens_are_made(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = live.config(relay_config())
    live.apply(config)
    live.verify_sender()
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_" + "0" * 40)
    result = live.check(config)
    assert result.exit_code == 1
    row = result.rows()[("supabase_smtp", PROJECT)]
    assert row["detail"] == f"cannot read the Auth config of {REF}: Unauthorized"
    assert row["fix"] == (
        "Supabase did not accept the access token from SUPABASE_ACCESS_TOKEN: create a personal "
        "access token under Account > Access Tokens "
        "(https://supabase.com/dashboard/account/tokens) and export it as SUPABASE_ACCESS_TOKEN "
        "(or name another variable with supabase.access_token: env(NAME) in karto.yaml)"
    )
