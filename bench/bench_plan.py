"""Benchmarks: API calls and wall time of validate / plan / apply against the sandbox.

    python bench/bench_plan.py [--runs 7] [--latency-ms 0]

Each command runs as a real process (start-up included), like a user or CI would run it.
With --latency-ms every emulated API call is delayed, which shows the reads overlapping:
a plan's wall time then grows by about one latency, not one per call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "karto.yaml"


def karto(env: dict[str, str], *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "karto_smtp", *args], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 2):
        raise SystemExit(f"karto-smtp {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done


def calls(env: dict[str, str]) -> int:
    # The emulators share one request log: count every service's part, then clear it once.
    bases = (env["KARTO_SANDBOX_URL"], env["SUPABASE_API_URL"])
    total = sum(len(httpx.get(f"{base}/_sandbox/requests").json()) for base in bases)
    httpx.delete(f"{bases[0]}/_sandbox/requests")
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    options = parser.parse_args()

    from karto_sandbox.stack import Stack

    with Stack(config=EXAMPLE, rate_limit=False) as sandbox:
        env = {**os.environ, **sandbox.env, "NO_COLOR": "1"}
        config = ["-c", str(EXAMPLE)]
        if options.latency_ms:
            for base in (env["KARTO_SANDBOX_URL"], env["SUPABASE_API_URL"]):
                httpx.post(
                    f"{base}/_sandbox/faults",
                    json={"kind": "latency", "seconds": options.latency_ms / 1000},
                ).raise_for_status()
        calls(env)
        validate_times = [karto(env, "validate", *config)[0] for _ in range(options.runs)]
        calls(env)
        karto(env, "plan", *config)
        first_plan_calls = calls(env)
        karto(env, "apply", "--auto-approve", *config)
        first_apply_calls = calls(env)
        httpx.post(
            f"{env['KARTO_SANDBOX_URL']}/_sandbox/senders/verify",
            json={"email_address": "karto.help@ro.ru"},
        ).raise_for_status()
        plan_times = []
        for _ in range(options.runs):
            elapsed, done = karto(env, "plan", *config)
            assert "No changes." in done.stdout, done.stdout
            plan_times.append(elapsed)
        no_change_calls = calls(env) // options.runs

    print(
        f"API calls: first plan {first_plan_calls}, first apply {first_apply_calls} "
        f"(reads + writes), no-change plan {no_change_calls}"
    )
    print(
        f"validate wall time: median {statistics.median(validate_times) * 1000:.0f} ms "
        f"over {options.runs} runs"
    )
    print(
        f"no-change plan wall time: median {statistics.median(plan_times) * 1000:.0f} ms "
        f"over {options.runs} runs (injected latency {options.latency_ms:.0f} ms per call)"
    )


if __name__ == "__main__":
    main()
