"""What a plan asks of the services: one read per remote object, never more than the bound
in flight at once, and a bound the user can set per service or for all of them."""

from __future__ import annotations

import httpx
import pytest

from bench.inflight import InflightProxy
from bench.stack import project_ref
from karto_smtp.providers.supabase.provider import SupabaseProvider
from tests.cli_runner import run_cli


def requests(env: dict[str, str]) -> list[tuple[str, str, str]]:
    found = []
    for base in (env["KARTO_SANDBOX_URL"], env["SUPABASE_API_URL"]):
        for entry in httpx.get(f"{base}/_sandbox/requests").json():
            found.append((entry["service"], entry["method"], entry["path"]))
    return found


def add_latency(env: dict[str, str], seconds: float) -> None:
    for base in (env["KARTO_SANDBOX_URL"], env["SUPABASE_API_URL"]):
        httpx.post(
            f"{base}/_sandbox/faults", json={"kind": "latency", "seconds": seconds}
        ).raise_for_status()


def plan_through_proxies(capsys, monkeypatch, sandbox, config) -> dict[str, object]:
    """A plan with each service behind a proxy that counts requests in flight."""
    with (
        InflightProxy(sandbox.env["SMTP2GO_API_URL"]) as smtp2go,
        InflightProxy(sandbox.env["SUPABASE_API_URL"]) as supabase,
    ):
        monkeypatch.setenv("SMTP2GO_API_URL", smtp2go.url)
        monkeypatch.setenv("SUPABASE_API_URL", supabase.url)
        result = run_cli(capsys, "plan", "-c", str(config))
        assert (result.exit_code, result.stdout.splitlines()[0]) == (
            0,
            "No changes. SMTP2GO and Supabase match karto.yaml.",
        ), result.stderr
        return {"smtp2go": smtp2go.reset(), "supabase": supabase.reset()}


def test_a_no_change_plan_reads_each_collection_and_each_project_once(converged, sandbox, capsys):
    config = converged(12)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.stdout == "No changes. SMTP2GO and Supabase match karto.yaml.\n"
    made = requests(sandbox.env)
    assert sorted(made) == sorted(
        [
            ("smtp2go", "POST", "/v3/users/smtp/view"),
            ("smtp2go", "POST", "/v3/single_sender_emails/view"),
        ]
        + [("supabase", "GET", f"/v1/projects/{project_ref(i)}/config/auth") for i in range(12)]
    )


# Long enough that every request of a wave is sent before the first answer comes back.
LATENCY = 0.2


def test_default_bounds_hold_and_are_used(converged, sandbox, capsys, monkeypatch):
    projects = 101
    config = converged(projects)
    add_latency(sandbox.env, LATENCY)
    counts = plan_through_proxies(capsys, monkeypatch, sandbox, config)
    supabase, smtp2go = counts["supabase"], counts["smtp2go"]
    assert supabase.requests == projects
    assert supabase.max_in_flight == 100
    # One pool per service: connections are reused, never more than the bound.
    assert supabase.connections == 100
    assert (smtp2go.requests, smtp2go.max_in_flight, smtp2go.connections) == (2, 2, 2)


@pytest.mark.parametrize(
    ("variables", "supabase_bound", "smtp2go_bound"),
    [
        ({"KARTO_MAX_CONCURRENCY": "3"}, 3, 2),
        ({"KARTO_SUPABASE_MAX_CONCURRENCY": "5"}, 5, 2),
        ({"KARTO_MAX_CONCURRENCY": "1", "KARTO_SUPABASE_MAX_CONCURRENCY": "4"}, 4, 1),
    ],
)
def test_the_bound_is_set_per_service_or_for_all(
    converged, sandbox, capsys, monkeypatch, variables, supabase_bound, smtp2go_bound
):
    config = converged(7)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    add_latency(sandbox.env, LATENCY)
    counts = plan_through_proxies(capsys, monkeypatch, sandbox, config)
    assert counts["supabase"].requests == 7
    assert counts["supabase"].max_in_flight == supabase_bound
    assert counts["supabase"].connections == supabase_bound
    assert counts["smtp2go"].max_in_flight == smtp2go_bound


@pytest.mark.parametrize("value", ["0", "-2", "eight", "2.5", "257", "³"])
def test_a_bad_bound_is_an_error_before_any_request(converged, sandbox, capsys, monkeypatch, value):
    config = converged(1)
    monkeypatch.setenv("KARTO_SUPABASE_MAX_CONCURRENCY", value)
    result = run_cli(capsys, "plan", "-c", str(config))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"Error: KARTO_SUPABASE_MAX_CONCURRENCY={value!r}: the number of requests in flight "
        "at once must be a whole number from 1 to 256; unset it to use the default "
        f"({SupabaseProvider.max_concurrency})"
    )
    assert "Traceback" not in result.stderr
    assert requests(sandbox.env) == []


def test_writes_to_different_projects_run_at_once_within_the_bound(
    converged, sandbox, capsys, monkeypatch
):
    config = converged(7)
    monkeypatch.setenv("KARTO_SUPABASE_MAX_CONCURRENCY", "3")
    add_latency(sandbox.env, LATENCY)
    with (
        InflightProxy(sandbox.env["SMTP2GO_API_URL"]) as smtp2go,
        InflightProxy(sandbox.env["SUPABASE_API_URL"]) as supabase,
    ):
        monkeypatch.setenv("SMTP2GO_API_URL", smtp2go.url)
        monkeypatch.setenv("SUPABASE_API_URL", supabase.url)
        result = run_cli(
            capsys, "apply", "--auto-approve", "--rotate-password", "karto", "-c", str(config)
        )
        counts = supabase.reset()
    assert result.exit_code == 0, result.stderr
    assert "Apply complete! Resources: 0 added, 8 changed, 0 destroyed." in result.stdout
    patches = [
        (method, path)
        for _service, method, path in requests(sandbox.env)
        if method == "PATCH" and path.startswith("/v1/")
    ]
    assert sorted(patches) == sorted(
        ("PATCH", f"/v1/projects/{project_ref(i)}/config/auth") for i in range(7)
    )
    assert counts.max_in_flight == 3
