"""Does the sandbox keep up with 100 clients connecting at once?

    python bench/backlog.py [--clients 100] [--backlog 128]

A server's listen backlog is how many connections the kernel holds for it until it calls
accept(). Python's `socketserver` asks for 5, asyncio's servers for 100. When more clients
than that connect at the same moment, Linux drops the extra SYNs and each of those clients
sends its SYN again only after its retransmission timeout (1 s, then 2 s, 4 s, ...): a burst
of 100 connections then takes seconds instead of milliseconds.

Measured here, each against the Supabase emulator as the sandbox starts it and then with
the listen backlog set to `--backlog` (`karto_sandbox.http_server.BACKLOG`, set before the
servers start):
1. a burst: `--clients` threads connect at once, each sends one GET on a new connection;
   the table shows the slowest connect and request, and how many requests took over 0.9 s
   (a retransmission: a dropped SYN, or a handshake the server's kernel did not complete
   because the accept queue was full);
2. `karto-smtp plan` over 100 projects with KARTO_MAX_CONCURRENCY=100 (Supabase's default),
   so its reads go out at once, and with a bound of 32, which also exceeds a backlog of 5;
3. the round trip of small requests on one kept-alive connection: well under a millisecond
   (the server writes each answer at once, with TCP_NODELAY, as asyncio sets it).
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import python_env, run  # noqa: E402
from speed import Karto, no_changes  # noqa: E402
from stack import BenchStack  # noqa: E402

from karto_sandbox import http_server  # noqa: E402


def burst(url: str, token: str, path: str, clients: int) -> dict[str, float]:
    host, port = url.removeprefix("http://").split(":")
    gate = threading.Barrier(clients)
    connects: list[float] = []
    totals: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        gate.wait()
        start = time.perf_counter()
        try:
            sock = socket.create_connection((host, int(port)), timeout=30)
            connected = time.perf_counter()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.sock = sock
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            conn.close()
            done = time.perf_counter()
        except OSError as exc:
            with lock:
                errors.append(type(exc).__name__)
            return
        with lock:
            connects.append(connected - start)
            totals.append(done - start)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return {
        "wall_s": wall,
        "slowest_connect_s": max(connects, default=float("nan")),
        "slowest_request_s": max(totals, default=float("nan")),
        "requests_over_0.9_s": sum(1 for t in totals if t > 0.9),
        "errors": len(errors),
    }


def keepalive_round_trip(url: str, token: str, path: str, requests: int = 30) -> float:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        conn.getresponse().read()
        times.append(time.perf_counter() - start)
    conn.close()
    return statistics.median(times[1:])


def measure(backlog: int | None, clients: int, env: dict[str, str]) -> dict[str, float]:
    with BenchStack(100, (100,), listen_backlog=backlog) as stack:
        stack.start(env)
        url = stack.sandbox.supabase_url
        token = stack.sandbox.access_token
        path = f"/v1/projects/{stack.refs[0]}/config/auth"
        figures = burst(url, token, path, clients)
        figures["keepalive_round_trip_ms"] = keepalive_round_trip(url, token, path) * 1000
        for label, bound in (("plan_100_bound_100_s", "100"), ("plan_100_bound_32_s", "32")):
            plan = Karto.installed().command(
                {**stack.env, "KARTO_MAX_CONCURRENCY": bound},
                "plan",
                "-c",
                str(stack.configs[100]),
                check=no_changes,
            )
            run(plan)
            figures[label] = statistics.median(run(plan).seconds for _ in range(5))
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=128)
    options = parser.parse_args()
    somaxconn = Path("/proc/sys/net/core/somaxconn").read_text().strip()
    with tempfile.TemporaryDirectory(prefix="karto-bench-pycache-") as cache:
        env = python_env(os.environ, Path(cache))
        rows = {
            f"as shipped (backlog {http_server.BACKLOG})": measure(None, options.clients, env),
            f"backlog {options.backlog}": measure(options.backlog, options.clients, env),
        }
    print(f"net.core.somaxconn = {somaxconn}; {options.clients} clients at once\n")
    print(
        "| Supabase emulator | burst wall | slowest connect | slowest request "
        "| requests > 0.9 s | errors | plan, 100 projects, 100 in flight "
        "| the same, 32 in flight | keep-alive round trip |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, f in rows.items():
        print(
            f"| {name} | {f['wall_s']:.2f} s | {f['slowest_connect_s']:.2f} s | "
            f"{f['slowest_request_s']:.2f} s | {f['requests_over_0.9_s']:.0f} | "
            f"{f['errors']:.0f} | "
            f"{f['plan_100_bound_100_s']:.2f} s | {f['plan_100_bound_32_s']:.2f} s | "
            f"{f['keepalive_round_trip_ms']:.2f} ms |"
        )


if __name__ == "__main__":
    main()
