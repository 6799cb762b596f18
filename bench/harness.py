"""Measure whole processes the way a user or CI runs them: wall time and peak memory.

Each command runs as its own process. Wall time is taken around the whole process (start-up
and exit included). Peak RSS is measured in separate runs through `peak_rss.py`, a small
launcher that reads the kernel's figure for its one child (`wait4`, what `/usr/bin/time -v`
prints as "Maximum resident set size"); a child started straight from this process would be
charged with this process's own memory.

Commands compared with each other run in alternation (A B, then B A, ...), so a change in
the machine's load during the run touches both sides alike; a ratio is the ratio of the
medians, and the median of the per-round ratios is given next to it.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PEAK_RSS = Path(__file__).resolve().parent / "peak_rss.py"


@dataclass
class Sample:
    seconds: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Command:
    """One thing to time: argv, its environment, and a check that the run did its job."""

    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path | None = None
    check: Callable[[Sample], None] | None = None
    timeout: float = 120.0


def run(command: Command, argv: Sequence[str] | None = None) -> Sample:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv or command.argv),
            env=dict(command.env),
            cwd=command.cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        killer = threading.Timer(command.timeout, process.kill)
        killer.start()
        try:
            _pid, status, _usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        sample = Sample(
            seconds=seconds,
            returncode=process.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )
    if command.check is not None:
        try:
            command.check(sample)
        except AssertionError as exc:
            raise SystemExit(
                f"{' '.join(command.argv)} did not do its job ({exc}); exit {sample.returncode}\n"
                f"--- stdout\n{sample.stdout}--- stderr\n{sample.stderr}"
            ) from None
    return sample


@dataclass
class Series:
    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def peak_rss_kb(command: Command, runs: int = 3) -> int:
    """The largest peak RSS (kB) over `runs` runs of `command`."""
    found = 0
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "peak_rss"
        for _ in range(runs):
            run(command, [sys.executable, "-I", "-S", str(PEAK_RSS), str(report), *command.argv])
            found = max(found, int(report.read_text()))
    return found


def alternate(commands: Mapping[str, Command], rounds: int, warmup: int = 1) -> dict[str, Series]:
    """Run every command once per round, the order reversed every other round."""
    names = list(commands)
    for _ in range(warmup):
        for name in names:
            run(commands[name])
    series = {name: Series(name) for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            series[name].samples.append(run(commands[name]))
    return series


def ratio(numerator: Series, denominator: Series) -> float:
    return numerator.median / denominator.median


def paired_ratio(numerator: Series, denominator: Series) -> float:
    """The median of the per-round ratios: robust when the load drifts during the run."""
    pairs = zip(numerator.seconds, denominator.seconds, strict=True)
    return statistics.median(a / b for a, b in pairs)


def python_env(base: Mapping[str, str], cache: Path) -> dict[str, str]:
    """The environment of a measured Python process, with its bytecode cached.

    An installed package (pip, pipx) ships compiled bytecode; a source checkout with
    PYTHONDONTWRITEBYTECODE set would compile every module on every run instead. The cache
    lives in `cache`, outside the checkout, and the warm-up round fills it.
    """
    env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def time_tool() -> str | None:
    """GNU time, for a cross-check of the peak RSS figures (Debian package `time`)."""
    return shutil.which("time", path="/usr/bin:/bin")


def gnu_time_peak_rss_kb(command: Command) -> int | None:
    """Peak RSS as `/usr/bin/time -v` reports it, or None when GNU time is not installed."""
    tool = time_tool()
    if tool is None:
        return None
    done = run(Command([tool, "-v", *command.argv], command.env, command.cwd))
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1])
    return None
