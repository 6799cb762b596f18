"""How long `plan` takes to fail (or get through) when a service is slow, refuses or throttles.

    python bench/bench_failures.py [--slow] [--code DIR] [--case TEXT]

Each case injects one fault into the sandbox and runs `karto-smtp plan` as a real process
with the default timeouts and backoff, then prints the wall time, the exit code, how many
requests reached the services and how many lines were printed on stderr. --slow adds the
cases that take half a minute or more (a hung read, a long rate limit). --code runs the
CLI from another checkout of karto-smtp (its top folder), to compare versions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "karto.yaml"
THROTTLE = {
    "request_id": "x",
    "data": {"error": "Too many requests", "error_code": "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED"},
}

# name, which service, the fault, extra plan arguments, slow?
CASES: list[tuple[str, str, dict[str, Any], list[str], bool]] = [
    ("Supabase 503 on every read", "supabase", {"kind": "status", "status": 503}, [], False),
    (
        "Supabase 429, Retry-After: 2, once",
        "supabase",
        {"kind": "status", "status": 429, "headers": {"Retry-After": "2"}, "times": 1},
        [],
        False,
    ),
    (
        "SMTP2GO 429 without headers (IP throttle)",
        "smtp2go",
        {"kind": "status", "status": 429, "body": THROTTLE},
        [],
        False,
    ),
    (
        "Supabase reads 10 s slow, --timeout 3",
        "supabase",
        {"kind": "latency", "method": "GET", "seconds": 10},
        ["--timeout", "3"],
        False,
    ),
    (
        "Supabase read hangs",
        "supabase",
        {"kind": "timeout", "method": "GET", "seconds": 80},
        [],
        True,
    ),
    (
        "Supabase 429, Retry-After: 45, every time",
        "supabase",
        {"kind": "status", "status": 429, "headers": {"Retry-After": "45"}},
        [],
        True,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", action="store_true")
    parser.add_argument("--code", type=Path, help="run the CLI from this checkout")
    parser.add_argument("--case", default="", help="only the cases whose name contains this")
    options = parser.parse_args()

    from karto_sandbox.stack import Stack

    with Stack(config=EXAMPLE, rate_limit=False) as sandbox:
        env = {**os.environ, **sandbox.env, "NO_COLOR": "1"}
        env.pop("KARTO_HTTP_BACKOFF", None)
        if options.code is not None:
            env["PYTHONPATH"] = str(options.code.resolve())
        bases = {"smtp2go": env["KARTO_SANDBOX_URL"], "supabase": env["SUPABASE_API_URL"]}
        print(f"{'case':<56} {'exit':>4} {'seconds':>8} {'requests':>8} {'stderr lines':>12}")
        for name, service, fault, extra, slow in CASES:
            if (slow and not options.slow) or options.case not in name:
                continue
            for base in bases.values():
                httpx.delete(f"{base}/_sandbox/faults")
                httpx.delete(f"{base}/_sandbox/requests")
            httpx.post(f"{bases[service]}/_sandbox/faults", json=fault).raise_for_status()
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "karto_smtp", "plan", "-c", str(EXAMPLE), *extra],
                env=env,
                capture_output=True,
                text=True,
                # `python -m` looks in the working folder first.
                cwd=options.code or ROOT,
            )
            elapsed = time.perf_counter() - start
            requests = sum(len(httpx.get(f"{b}/_sandbox/requests").json()) for b in bases.values())
            lines = [line for line in done.stderr.splitlines() if "warning:" not in line]
            print(f"{name:<56} {done.returncode:>4} {elapsed:>8.2f} {requests:>8} {len(lines):>12}")
            if os.environ.get("BENCH_SHOW"):
                print("    " + "\n    ".join(lines))


if __name__ == "__main__":
    main()
