"""How fast karto-smtp checks for drift, measured as a user runs it, against the sandbox.

    python bench/speed.py                      # the full tables (about 7 minutes)
    python bench/speed.py --rounds 15          # more rounds, steadier medians
    python bench/speed.py --code /tmp/before   # the karto_smtp package found in that folder
    python bench/speed.py --smoke              # a quick pass that checks counts, not times

Everything runs on loopback against the built-in sandbox (100 Supabase projects, one
SMTP2GO user, one verified sender), converged first, so every `plan` is a no-change plan:

1. One project, no added latency, in alternation: `karto-smtp plan`, the Supabase CLI's
   `supabase config diff` on the same project (npm `@supabase/cli-linux-x64@3`, installed
   into the test suite's cache on first use), `python -c "import pydantic, yaml, httpx,
   deepdiff, click"` (importing karto-smtp's dependencies and exiting), `validate`'s
   floor (importing click, PyYAML and pydantic and using one model, collector off),
   `karto-smtp validate` and `karto-smtp --version`.
2. `plan` over 1, 10 and 100 projects, in alternation, with no added latency and with 50 ms
   added to every API call (the sandbox's latency fault); at 50 ms also over 100 projects
   with the Supabase bound lowered to 25, so the projects are read in four waves: what a
   user who lowers `KARTO_SUPABASE_MAX_CONCURRENCY` pays.
3. Requests: the sandbox's request log after one plan of each size (a no-change plan reads
   each SMTP2GO collection once and each project once), and the most requests in flight at
   once per service during the 100-project plan at 50 ms, counted by a loopback proxy.
4. Peak RSS of each command (the kernel's figure for that process; `/usr/bin/time -v`,
   when installed, cross-checks the 100-project plan).

The tables are printed as Markdown; `--json FILE` also saves every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import (  # noqa: E402
    Command,
    Sample,
    Series,
    alternate,
    gnu_time_peak_rss_kb,
    paired_ratio,
    peak_rss_kb,
    python_env,
    ratio,
    run,
)
from inflight import InflightProxy  # noqa: E402
from stack import BenchStack  # noqa: E402

from karto_smtp.providers.supabase.provider import SupabaseProvider  # noqa: E402

DEFAULT_BOUND = SupabaseProvider.max_concurrency

SUPABASE_CLI_PACKAGE = "@supabase/cli-linux-x64@3"
DEPENDENCIES = "import pydantic, yaml, httpx, deepdiff, click"
# The least `validate` can do: import what it needs and build and use one pydantic model,
# with the collector off and the prompt exit, as karto-smtp starts and ends.
VALIDATE_FLOOR = (
    "import gc; gc.disable(); import os, click, yaml, pydantic\n"
    "class Model(pydantic.BaseModel):\n    x: int\n"
    "Model.model_validate({'x': 1}); os._exit(0)"
)
LATENCY = 0.05
LISTEN_BACKLOG = 0  # as shipped (256); backlog.py compares others
BOUND_VARIABLE = "KARTO_SUPABASE_MAX_CONCURRENCY"
WAVES = 4  # the lower bound's row reads the projects in this many waves


@dataclass
class Karto:
    """How to start karto-smtp: the installed script, or `python -m` on another copy."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    @classmethod
    def installed(cls) -> Karto:
        script = Path(sys.executable).parent / "karto-smtp"
        if script.exists():
            return cls([str(script)])
        return cls([sys.executable, "-m", "karto_smtp"], cwd=Path(tempfile.gettempdir()))

    @classmethod
    def from_folder(cls, folder: Path) -> Karto:
        # Run from elsewhere: `python -m` puts the working directory first on sys.path.
        env = {"PYTHONPATH": str(folder.resolve())}
        return cls([sys.executable, "-m", "karto_smtp"], env, Path(tempfile.gettempdir()))

    def command(
        self, env: Mapping[str, str], *args: str, check: Callable[[Sample], None] | None = None
    ) -> Command:
        return Command([*self.argv, *args], {**env, **self.env}, self.cwd, check)


@dataclass
class Results:
    machine: dict[str, str]
    rounds: int
    settings: dict[str, Any] = field(default_factory=dict)
    series: dict[str, dict[str, Any]] = field(default_factory=dict)
    ratios: dict[str, dict[str, float]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    peak_rss_kb: dict[str, int | None] = field(default_factory=dict)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def projects(n: int) -> str:
    return f"{n} project{'' if n == 1 else 's'}"


# -- checks: each measured run must have done its job ----------------------------------------
def no_changes(sample: Sample) -> None:
    assert sample.returncode == 0, "exit code"
    assert sample.stdout.startswith("No changes."), "not a no-change plan"


def exit_zero(sample: Sample) -> None:
    assert sample.returncode == 0, "exit code"


def valid(sample: Sample) -> None:
    assert sample.returncode == 0 and ": valid (" in sample.stdout, "not valid"


def smtp_in_sync(sample: Sample) -> None:
    assert sample.returncode == 0, "exit code"
    summary = json.loads(sample.stdout)
    smtp = [c for c in summary["changes"] if c["path"][:3] == ["auth", "email", "smtp"]]
    assert summary["counts"]["update"] == 0 and not smtp, "config diff found SMTP differences"


def supabase_cli_binary() -> Path | None:
    """The Supabase CLI from npm, in the test suite's cache; None when it cannot be had."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    sys.path.insert(0, str(BENCH.parent))
    from tests.npm_clients import NpmUnavailable, npm_install

    try:
        folder = npm_install(SUPABASE_CLI_PACKAGE)
    except NpmUnavailable as exc:
        print(f"note: no Supabase CLI ({exc})", file=sys.stderr)
        return None
    binary = folder / "node_modules" / "@supabase" / "cli-linux-x64" / "bin" / "supabase"
    return binary if binary.is_file() else None


# -- measurements ----------------------------------------------------------------------------
def summarise(
    series: dict[str, Series], commands: dict[str, Command], rss_runs: int
) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "median_s": s.median,
            "min_s": min(s.seconds),
            "max_s": max(s.seconds),
            "peak_rss_kb": peak_rss_kb(commands[name], rss_runs),
            "seconds": s.seconds,
        }
        for name, s in series.items()
    }


def both_ratios(a: Series, b: Series) -> dict[str, float]:
    return {"of_medians": ratio(a, b), "paired": paired_ratio(a, b)}


def count_requests(stack: BenchStack, command: Command) -> dict[str, Any]:
    stack.clear_requests()
    run(command)
    entries = stack.requests()
    per_object: dict[str, int] = {}
    for entry in entries:
        key = f"{entry['method']} {entry['path']}"
        per_object[key] = per_object.get(key, 0) + 1
    return {
        "total": len(entries),
        "most_per_object": max(per_object.values(), default=0),
        "by_service": {
            service: sum(1 for e in entries if e["service"] == service)
            for service in sorted({e["service"] for e in entries})
        },
        "calls": sorted(per_object),
    }


def in_flight(stack: BenchStack, command: Command) -> dict[str, dict[str, int]]:
    """Run `command` with both services behind counting proxies."""
    env = dict(command.env)
    with (
        InflightProxy(env["SMTP2GO_API_URL"]) as smtp2go,
        InflightProxy(env["SUPABASE_API_URL"]) as supabase,
    ):
        env.update(SMTP2GO_API_URL=smtp2go.url, SUPABASE_API_URL=supabase.url)
        run(Command(command.argv, env, command.cwd, command.check))
        return {"smtp2go": asdict(smtp2go.reset()), "supabase": asdict(supabase.reset())}


def measure(options: argparse.Namespace) -> Results:
    rounds = options.rounds
    results = Results(machine=machine(), rounds=rounds)
    karto = Karto.from_folder(options.code) if options.code else Karto.installed()
    results.settings = {
        "karto": " ".join(karto.argv) + (f" (PYTHONPATH={options.code})" if options.code else ""),
        "sandbox listen backlog": options.sandbox_backlog or "as shipped",
        "latency": options.latency,
    }
    smallest, largest = min(options.sizes), max(options.sizes)
    ms = f"{options.latency * 1000:.0f} ms"
    cli = None if options.no_supabase_cli else supabase_cli_binary()
    with (
        tempfile.TemporaryDirectory(prefix="karto-bench-pycache-") as cache,
        BenchStack(largest, tuple(options.sizes), listen_backlog=options.sandbox_backlog) as stack,
    ):
        stack.start(python_env(os.environ, Path(cache)))

        def plan(size: int, extra: Mapping[str, str] | None = None) -> Command:
            config = str(stack.configs[size])
            return karto.command(
                {**stack.env, **(extra or {})}, "plan", "-c", config, check=no_changes
            )

        group: dict[str, Command] = {"plan": plan(smallest)}
        if cli is not None:
            cli_env, workdir, cli_args = stack.supabase_cli_env()
            group["supabase config diff"] = Command(
                [str(cli), "config", "diff", *cli_args], cli_env, workdir, smtp_in_sync
            )
        group["import dependencies"] = Command(
            [sys.executable, "-c", DEPENDENCIES], stack.env, None, exit_zero
        )
        group["validate floor"] = Command(
            [sys.executable, "-c", VALIDATE_FLOOR], stack.env, None, exit_zero
        )
        config = str(stack.configs[smallest])
        group["validate"] = karto.command(stack.env, "validate", "-c", config, check=valid)
        group["--version"] = karto.command(stack.env, "--version", check=exit_zero)
        progress(f"{projects(smallest)}: {', '.join(group)}; {rounds} rounds")
        first = alternate(group, rounds, warmup=options.warmup)
        for name, figures in summarise(first, group, options.rss_runs).items():
            results.series[f"{projects(smallest)}: {name}"] = figures
        if cli is not None:
            results.ratios["plan / supabase config diff"] = both_ratios(
                first["plan"], first["supabase config diff"]
            )
        results.ratios["plan / import dependencies"] = both_ratios(
            first["plan"], first["import dependencies"]
        )
        results.ratios["validate / plan"] = both_ratios(first["validate"], first["plan"])
        results.ratios["validate / validate floor"] = both_ratios(
            first["validate"], first["validate floor"]
        )

        for latency in options.latencies:
            stack.latency(latency)
            label = f"{latency * 1000:.0f} ms"
            progress(f"plan over {options.sizes} projects, {label} per call; {rounds} rounds")
            commands = {projects(n): plan(n) for n in options.sizes}
            # The same plan in four waves: what a lower bound costs.
            lower = max(1, -(-largest // WAVES))
            waves = f"{projects(largest)}, bound {lower}"
            if latency:
                commands[waves] = plan(largest, {BOUND_VARIABLE: str(lower)})
            sizes = alternate(commands, rounds, options.warmup)
            for name, figures in summarise(sizes, commands, options.rss_runs).items():
                results.series[f"plan, {name}, {label}"] = figures
            if latency:
                results.ratios[f"plan {largest} / {smallest} projects at {label}"] = both_ratios(
                    sizes[projects(largest)], sizes[projects(smallest)]
                )
                results.ratios[
                    f"the same, Supabase bound {lower} ({WAVES} waves; default {DEFAULT_BOUND})"
                ] = both_ratios(sizes[waves], sizes[projects(smallest)])
        stack.latency(options.latency)
        results.peak_rss_kb[f"plan, {projects(largest)}"] = results.series[
            f"plan, {projects(largest)}, {ms}"
        ]["peak_rss_kb"]
        if not options.smoke:
            results.peak_rss_kb["the same, by /usr/bin/time -v"] = gnu_time_peak_rss_kb(
                plan(largest)
            )
        progress("requests in flight")
        results.in_flight[f"plan, {projects(largest)}, {ms}"] = in_flight(stack, plan(largest))
        stack.latency(0)
        for n in options.sizes:
            results.requests[f"plan, {projects(n)}"] = count_requests(stack, plan(n))
    return results


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the report ------------------------------------------------------------------------------
TARGETS: dict[str, tuple[str, float]] = {
    "plan / supabase config diff": ("≤ 0.45", 0.45),
    "plan / import dependencies": ("≤ 1.3", 1.3),
    "validate / plan": ("≤ 0.6", 0.6),
}
# Ratios shown for the analysis, with no target: the start of the name, and what to print.
COMPARISONS: dict[str, str] = {
    "validate / validate floor": "none: what validate adds to the least it can do",
    "the same, Supabase bound": "none: what a lower bound costs",
}


def report(results: Results) -> str:
    m = results.machine
    lines = [
        f"Machine: {m['cpu']}; {m['os']}; Python {m['python']}; load average at start {m['load']}.",
        f"Date: {m['date']}. Medians of {results.rounds} alternating rounds. "
        + "; ".join(f"{k}: {v}" for k, v in results.settings.items())
        + ".",
        "",
        "| ratio | of medians | median of per-round ratios | target |",
        "|---|---|---|---|",
    ]
    for name, value in results.ratios.items():
        comparison = next(
            (text for start, text in COMPARISONS.items() if name.startswith(start)), None
        )
        if comparison is not None:
            target = comparison
        else:
            text, limit = TARGETS.get(name, ("≤ 1.3", 1.3))
            target = f"{text} ({'met' if value['of_medians'] <= limit else '**missed**'})"
        lines.append(f"| {name} | {value['of_medians']:.2f} | {value['paired']:.2f} | {target} |")
    lines += ["", "| run | median | min | max | peak RSS |", "|---|---|---|---|---|"]
    for name, series in results.series.items():
        lines.append(
            f"| {name} | {series['median_s']:.3f} s | {series['min_s']:.3f} s | "
            f"{series['max_s']:.3f} s | {series['peak_rss_kb'] / 1024:.1f} MB |"
        )
    lines += ["", "| requests (no-change plan) | total | per service | most per object |"]
    lines.append("|---|---|---|---|")
    for name, counts in results.requests.items():
        per_service = ", ".join(f"{k} {v}" for k, v in counts["by_service"].items())
        most = counts["most_per_object"]
        lines.append(f"| {name} | {counts['total']} | {per_service} | {most} |")
    lines += [
        "",
        "| in flight | service | requests | most in flight | connections opened | most open |",
        "|---|---|---|---|---|---|",
    ]
    for name, services in results.in_flight.items():
        for service, c in services.items():
            lines.append(
                f"| {name} | {service} | {c['requests']} | {c['max_in_flight']} | "
                f"{c['connections']} | {c['max_open_connections']} |"
            )
    lines += ["", "| peak RSS | MB |", "|---|---|"]
    for name, kb in results.peak_rss_kb.items():
        lines.append(f"| {name} | {'n/a' if kb is None else f'{kb / 1024:.1f}'} |")
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11, help="alternating rounds (≥ 9)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--rss-runs", type=int, default=3, help="runs per peak RSS figure")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds per API call")
    parser.add_argument("--code", type=Path, help="folder holding the karto_smtp to measure")
    parser.add_argument(
        "--sandbox-backlog",
        type=int,
        default=LISTEN_BACKLOG,
        help="listen backlog of the sandbox's HTTP servers; 0: as shipped (see backlog.py)",
    )
    parser.add_argument("--no-supabase-cli", action="store_true", help="skip the comparison")
    parser.add_argument(
        "--smoke", action="store_true", help="a quick pass: 1 round, 1 and 3 projects"
    )
    parser.add_argument("--json", type=Path, help="also save every figure here")
    options = parser.parse_args(argv)
    options.latencies = [0.0, options.latency]
    if options.smoke:
        options.rounds, options.warmup, options.rss_runs = 1, 0, 1
        options.sizes, options.latency, options.latencies = [1, 3], 0.01, [0.01]
        options.no_supabase_cli = True
    return options


def main(argv: list[str] | None = None) -> Results:
    options = parse(argv)
    results = measure(options)
    print(report(results))
    if options.json is not None:
        options.json.write_text(json.dumps(asdict(results), indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
