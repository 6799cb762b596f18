"""Slow, refusing and rate-limiting services: every wait announced, bounded, and --timeout.

Each test runs the real CLI against the sandbox with faults injected; the clock is real, so
the budgets below leave room for a loaded machine while still telling the cases apart.
"""

from __future__ import annotations

import time

import pytest

from tests.cli_runner import run_cli
from tests.e2e.helpers import REF
from tests.e2e.test_handoff import clear_faults

AUTH_PATH = f"/v1/projects/{REF}/config/auth"
READ = f"read Auth config of {REF}"
THROTTLE_BODY = {
    "request_id": "x",
    "data": {"error": "Too many requests", "error_code": "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"},
}


def timed(capsys, *args):
    start = time.monotonic()
    result = run_cli(capsys, *args)
    return result, time.monotonic() - start


def notices(result) -> list[str]:
    """stderr without the config's lint warnings and the progress line."""
    return [
        line
        for line in result.stderr.splitlines()
        if "warning:" not in line
        and not line.startswith("Reading live state")
        and "`karto-smtp validate -c" not in line
    ]


def test_no_wait_after_the_last_attempt(live, config, capsys, monkeypatch):
    monkeypatch.setenv("KARTO_HTTP_BACKOFF", "0.2")
    live.fault(live.env["SUPABASE_API_URL"], kind="status", method="GET", status=503)
    result, elapsed = timed(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert notices(result) == [
        f"Supabase answered HTTP 503 ({READ}); retrying in 0.2 s (2/4)...",
        f"Supabase answered HTTP 503 ({READ}); retrying in 0.4 s (3/4)...",
        f"Supabase answered HTTP 503 ({READ}); retrying in 0.8 s (4/4)...",
        f"Error: Supabase: {READ} failed (HTTP 503): gave up after 4 attempts: injected fault",
    ]
    assert [r["status"] for r in live.requests() if r["path"] == AUTH_PATH] == [503] * 4
    # 1.4 s of waits between four attempts; a wait after the last would add 1.6 s.
    assert 1.4 <= elapsed < 2.6, elapsed


def test_a_hung_read_is_announced_and_tried_once_more(live, config, capsys, monkeypatch):
    monkeypatch.setenv("KARTO_HTTP_READ_TIMEOUT", "0.5")
    live.fault(live.env["SUPABASE_API_URL"], kind="timeout", method="GET", seconds=2)
    result, elapsed = timed(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert notices(result) == [
        f"Supabase did not answer within 0.5 s ({READ}); retrying (2/2)...",
        f"Error: Supabase: {READ} failed (no response): gave up after 2 attempts: "
        "no answer within 0.5 s",
    ]
    assert 1.0 <= elapsed < 2.0, elapsed


def test_a_write_without_an_answer_is_not_repeated(live, config, capsys, monkeypatch):
    monkeypatch.setenv("KARTO_HTTP_READ_TIMEOUT", "0.5")
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="timeout",
        method="POST",
        path="/v3/single_sender_emails/add",
        seconds=1,
    )
    result = run_cli(capsys, "apply", "--auto-approve", "-c", str(config))
    assert result.exit_code == 1
    assert (
        '  failed: smtp2go.single_sender["karto.help@ro.ru"] (create): SMTP2GO: add single '
        "sender karto.help@ro.ru failed (no response): no answer within 0.5 s; not retried: the "
        "change may have been made, and `karto-smtp plan` shows whether it was\n"
    ) in result.stdout
    adds = [r for r in live.requests() if r["path"] == "/v3/single_sender_emails/add"]
    assert len(adds) <= 1  # the sandbox logs a request only once it has answered it
    # Both services: nothing that depends on the sender was attempted, and the next plan
    # shows what is left, which one apply finishes.
    assert live.users() == []
    assert live.auth_config()["smtp_host"] is None
    clear_faults(live)
    assert run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(config)).exit_code == 2
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    assert live.converged("karto", REF)


@pytest.mark.parametrize(
    ("service", "path", "header", "value"),
    [
        ("KARTO_SANDBOX_URL", "/v3/users/smtp/view", "X-RateLimit-Reset", "1"),
        ("SUPABASE_API_URL", AUTH_PATH, "Retry-After", "1"),
    ],
)
def test_a_rate_limit_wait_is_announced_and_honoured(
    live, config, capsys, service, path, header, value
):
    live.fault(
        live.env[service],
        kind="status",
        path=path,
        status=429,
        headers={header: value},
        body={"message": "Rate limit exceeded"},
        times=1,
    )
    result, elapsed = timed(capsys, "plan", "-c", str(config))
    assert result.exit_code == 0, result.stderr
    name = "SMTP2GO" if service == "KARTO_SANDBOX_URL" else "Supabase"
    assert notices(result) == [f"{name} rate limit: waiting 1 s ({header})..."]
    assert [r["status"] for r in live.requests() if r["path"] == path] == [429, 200]
    assert 1.0 <= elapsed < 2.0, elapsed


def test_a_rate_limit_longer_than_karto_smtp_waits_stops_at_once(live, config, capsys):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        path="/v3/users/smtp/view",
        status=429,
        headers={"X-RateLimit-Reset": "45"},
        body=THROTTLE_BODY,
    )
    result, elapsed = timed(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: SMTP2GO: view SMTP users failed (HTTP 429): Too many requests "
        "[E_ApiResponseCodes.REQ_LIMIT_EXCEEDED]; SMTP2GO asks to wait 45 s (X-RateLimit-Reset), "
        "longer than karto-smtp waits (30 s): try again in 45 s"
    )
    assert elapsed < 1.0, elapsed


def test_supabase_rate_limit_beyond_the_cap_names_its_reset(live, config, capsys):
    # The sandbox reports its own window in X-RateLimit-Reset (a minute), like Supabase.
    live.fault(live.env["SUPABASE_API_URL"], kind="status", method="GET", status=429)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: Supabase: {READ} failed (HTTP 429): injected fault; Supabase ")
    assert "(X-RateLimit-Reset), longer than karto-smtp waits (30 s): try again in " in last


def test_a_wait_that_would_pass_the_deadline_is_not_started(live, config, capsys):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        path="/v3/users/smtp/view",
        status=429,
        headers={"X-RateLimit-Reset": "5"},
        body=THROTTLE_BODY,
    )
    result, elapsed = timed(capsys, "plan", "--timeout", "2", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: SMTP2GO: view SMTP users failed (HTTP 429): Too many requests "
        "[E_ApiResponseCodes.REQ_LIMIT_EXCEEDED]; not tried again: waiting 5 s would pass the "
        "--timeout; SMTP2GO asks to wait 5 s (X-RateLimit-Reset): try again after that"
    )
    assert elapsed < 1.0, elapsed


def test_smtp2go_ip_throttle_gets_one_try_then_a_clear_stop(live, config, capsys, monkeypatch):
    monkeypatch.setenv("KARTO_HTTP_BACKOFF", "0.1")
    live.fault(live.env["KARTO_SANDBOX_URL"], kind="status", status=429, body=THROTTLE_BODY)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    lines = notices(result)
    assert lines[0] == (
        "SMTP2GO answered 429 Too Many Requests without saying how long to wait; trying once "
        "more in 0.4 s..."
    )
    assert len(lines) == 2  # the two reads share one announced pause
    assert lines[1].startswith("Error: SMTP2GO: view ")
    assert lines[1].endswith(
        "failed (HTTP 429): Too many requests [E_ApiResponseCodes.REQ_LIMIT_EXCEEDED]; SMTP2GO "
        "blocks an IP address that sends too many requests or error responses for a minute or "
        "more, and every further request counts: wait a few minutes, then run karto-smtp again"
    )
    smtp2go = [r for r in live.requests() if r["path"].startswith("/v3/")]
    assert len(smtp2go) <= 4  # two reads, each tried twice at most


def test_plan_timeout_is_one_line_naming_what_it_waited_for(live, config, capsys):
    live.fault(live.env["SUPABASE_API_URL"], kind="latency", method="GET", seconds=2)
    result, elapsed = timed(capsys, "plan", "--timeout", "0.5", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: timed out after 0.5 s (--timeout) while waiting for Supabase ({READ})\n"
    )
    assert "Traceback" not in result.stderr
    assert 0.5 <= elapsed < 1.5, elapsed


def test_apply_timeout_while_reading_changes_nothing(live, config, capsys):
    live.fault(live.env["SUPABASE_API_URL"], kind="latency", method="GET", seconds=2)
    result = run_cli(capsys, "apply", "--auto-approve", "--timeout", "0.5", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: timed out after 0.5 s (--timeout) while waiting for Supabase ({READ})\n"
    )
    assert live.writes() == []


def test_apply_deadline_never_cuts_a_hand_off_in_half(live, config, capsys):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="latency",
        method="POST",
        path="/v3/users/smtp/add",
        seconds=1.0,
    )
    result = run_cli(capsys, "apply", "--auto-approve", "--timeout", "0.8", "-c", str(config))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert (
        "--timeout of 0.8 s reached: stopping at a safe point (running changes finish, and a "
        "password already set is still delivered)\n"
    ) in result.stderr
    report = result.stdout.split("Plan: 2 to add, 1 to change, 0 to destroy.\n", 1)[1]
    assert report == (
        "Apply stopped by --timeout at a safe point.\n"
        '  applied: smtp2go.single_sender["karto.help@ro.ru"] (create)\n'
        '  applied: smtp2go.smtp_user["karto"] (create)\n'
        f'  applied: supabase.auth_smtp["{REF}"] (update)\n'
        f'  the password of SMTP2GO user karto: reached supabase.auth_smtp["{REF}"]\n'
        "Run `karto-smtp plan` to see what remains; one `karto-smtp apply` finishes the job.\n"
    )
    assert live.converged("karto", REF)


def test_apply_deadline_starts_no_new_change(live, config, capsys):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="latency",
        method="POST",
        path="/v3/single_sender_emails/add",
        seconds=1.0,
    )
    result = run_cli(
        capsys, "apply", "--auto-approve", "--timeout", "0.6", "--format", "json", "-c", str(config)
    )
    assert result.exit_code == 1
    document = result.json()
    assert document["status"] == "interrupted"
    assert document["apply"]["interrupted"] == "timeout"
    assert [(r["address"], r["outcome"], r["message"]) for r in document["apply"]["results"]] == [
        ('smtp2go.single_sender["karto.help@ro.ru"]', "applied", ""),
        ('smtp2go.smtp_user["karto"]', "not attempted", "stopped by timeout"),
        (
            f'supabase.auth_smtp["{REF}"]',
            "not attempted",
            'smtp2go.smtp_user["karto"] was not applied',
        ),
    ]
    assert live.users() == []
    assert live.auth_config()["smtp_host"] is None


def test_bad_timeout_values_are_refused_before_any_call(live, config, capsys):
    result = run_cli(capsys, "plan", "--timeout", "0", "-c", str(config))
    assert result.exit_code == 1
    assert "Invalid value for '--timeout': 0.0 is not in the range 0<x<=86400." in result.stderr
    assert live.requests() == []


def test_a_bad_read_timeout_variable_is_one_line(live, config, capsys, monkeypatch):
    monkeypatch.setenv("KARTO_HTTP_READ_TIMEOUT", "soon")
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: KARTO_HTTP_READ_TIMEOUT: expected a number of seconds, got 'soon'\n"
    )
    assert live.requests() == []
