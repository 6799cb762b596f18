"""Property: whatever is done to a valid karto.yaml, the CLI answers in one clear way.

Each example takes a valid config, applies one to three mutations (delete, duplicate or
retype a line's value, inject a character, nest deeply, write a huge number, indent with a
tab, truncate, misspell a key...) and runs `validate` and `plan` in-process on it. For every
example:

- the exit code is 0 or 1 (never a crash code), with no traceback and no "unexpected" error;
- an error about the file names `k.yaml:line:col`;
- `plan` makes no connection when it stops on a config error (both API URLs point at a
  local server that counts connections and answers 401 to anything);
- each command finishes within a time bound and allocates within a memory bound.

The budget is fixed so CI stays fast: EXAMPLES examples (two commands each). Set
KARTO_MUTATION_EXAMPLES to run more locally.
"""

from __future__ import annotations

import os
import re
import resource
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.config.conftest import FIXTURES, REPO

EXAMPLES = int(os.environ.get("KARTO_MUTATION_EXAMPLES", "200"))
# Commands take 10-100 ms; the bound catches hangs and blow-ups, not a busy machine.
MAX_SECONDS = 10.0
MAX_BYTES = 128 * 1024 * 1024

BASES = [
    (REPO / "examples" / "karto.yaml").read_text(),
    (FIXTURES / "valid.yaml").read_text(),
]
# Values that YAML or the schema read in surprising ways.
ODD_VALUES = [
    "yes",
    "no",
    "on",
    "~",
    "null",
    "01113",
    "0x1F",
    "0o17",
    "1_000",
    "1:30",
    "587.0",
    ".inf",
    "-1",
    "9" * 5000,
    "[]",
    "{}",
    "[unclosed",
    "{unclosed: 1",
    '"unterminated',
    "'unterminated",
    "*undefined",
    "&anchor",
    "!!python/object:os.system",
    "!!int abc",
    "!!binary ###",
    "2024-01-01",
    "env(X",
    "ENV(KARTO_SMTP_PASSWORD)",
    "${SMTP2GO_API_KEY}",
    "file(/dev/zero)",
    "file(/nonexistent)",
    "generate",
    "http://127.0.0.1:99999",
    "k\u0430rto",
    "karto ",
    "'karto '",
    "x" * 10_000,
    "a: b: c",
    "- item",
    "| \n  block",
    "@at",
    "`tick",
    "%percent",
]
INJECTED = list("\x00\x01\x1b\t\r\n:#-[]{}\"'&*!|>%@`,?\u0430\u200b\u00a0\ufeff\u2028") + [
    "\\",
    "  ",
    ": ",
    " #",
    "<<: *x",
    "\U0001f600",
    "\udcff",  # written as the byte 0xff: not UTF-8
]
KEYS = ["username", "password", "port", "host", "relay", "version", "smtp2go", "auth", "<<"]


@dataclass(frozen=True)
class Mutation:
    kind: str
    where: float
    payload: int


mutations = st.builds(
    Mutation,
    kind=st.sampled_from(
        [
            "delete",
            "duplicate",
            "retype",
            "inject",
            "nest",
            "huge",
            "tab",
            "truncate",
            "rename",
            "indent",
            "swap",
        ]
    ),
    where=st.floats(0, 1, allow_nan=False),
    payload=st.integers(0, 10_000),
)


def _line_index(lines: list[str], where: float) -> int:
    return min(int(where * len(lines)), len(lines) - 1)


def mutate(text: str, mutation: Mutation) -> str:
    lines = text.split("\n")
    index = _line_index(lines, mutation.where)
    line = lines[index]
    pick = mutation.payload
    if mutation.kind == "delete":
        del lines[index]
    elif mutation.kind == "duplicate":
        lines.insert(index, line)
    elif mutation.kind == "retype":
        key, colon, _ = line.partition(": ")
        value = ODD_VALUES[pick % len(ODD_VALUES)]
        lines[index] = f"{key}: {value}" if colon else f"{line} {value}"
    elif mutation.kind == "inject":
        char = INJECTED[pick % len(INJECTED)]
        at = pick % (len(line) + 1)
        lines[index] = line[:at] + char + line[at:]
    elif mutation.kind == "nest":
        depth = 1 + pick % 3000
        key, colon, _ = line.partition(": ")
        brackets = ("[" * depth + "]" * depth) if pick % 2 else ("{a: " * depth + "}" * depth)
        lines[index] = f"{key}: {brackets}" if colon else brackets
    elif mutation.kind == "huge":
        key, colon, _ = line.partition(": ")
        number = "9" * (1 + pick % 6000)
        lines[index] = f"{key}: {number}" if colon else number
    elif mutation.kind == "tab":
        lines[index] = "\t" + line.lstrip(" ")
    elif mutation.kind == "truncate":
        cut = int(mutation.where * len(text))
        return text[:cut]
    elif mutation.kind == "rename":
        key, colon, rest = line.partition(":")
        if colon:
            name = key.strip().lstrip("- ")
            replacement = KEYS[pick % len(KEYS)] if pick % 3 == 0 else name[::-1] or "x"
            lines[index] = key.replace(name, replacement, 1) + colon + rest
    elif mutation.kind == "indent":
        lines[index] = (" " + line) if pick % 2 else line[1:]
    elif mutation.kind == "swap":
        other = pick % len(lines)
        lines[index], lines[other] = lines[other], lines[index]
    return "\n".join(lines)


class _Recorder(BaseHTTPRequestHandler):
    """Answers 401 to anything and records the first path segment of each request.

    Each example uses its own segment, so a request of an earlier example that arrives
    late is never counted against a later one.
    """

    seen: list[str] = []
    lock = threading.Lock()

    def _answer(self) -> None:
        with _Recorder.lock:
            _Recorder.seen.append(self.path.lstrip("/").split("/", 1)[0])
        body = b'{"message": "mutation test: no service here"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up early is no concern of this test; stay off stderr.
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def rss_baseline() -> int:
    return _max_rss()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorder: str) -> Path:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "supabase_token").write_text("sbp_test_token\n")
    monkeypatch.setenv("SMTP2GO_API_URL", recorder)
    monkeypatch.setenv("SUPABASE_API_URL", recorder)
    monkeypatch.setenv("KARTO_HTTP_BACKOFF", "0")
    return tmp_path


FILE_FINDING = re.compile(r"^k\.yaml:\d+:\d+: error: ")
CONFIG_ERROR = re.compile(r"^Error: (k\.yaml:\d+:\d+: |environment variable )")
VALIDATE_SUMMARY = re.compile(r"^Error: k\.yaml: invalid \(\d+ errors?(, \d+ warnings?)?\)$")
API_ERROR = re.compile(r"^Error: (SMTP2GO|Supabase)\b")
COUNTS = {"examples": 0, "commands": 0, "config errors": 0, "reached the network": 0}


def _max_rss() -> int:
    """This process's peak resident memory so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measured(run, *args: str, cwd: Path, baseline: int):
    started = time.perf_counter()
    result = run(*args, cwd=cwd)
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS, f"{args[0]} took {elapsed:.2f} s"
    # The peak only grows: any command that ever needed MAX_BYTES more than the test's
    # start would show here.
    grown = _max_rss() - baseline
    assert grown < MAX_BYTES, f"{args[0]} raised peak memory by {grown} bytes"
    return result


def _error_line(result) -> str:
    errors = [line for line in result.err_lines if line.startswith("Error: ")]
    assert len(errors) == 1, result.err[-2000:]
    return errors[0]


def _check_answer(result, command: str) -> None:
    output = result.out + result.err
    assert result.code in (0, 1), f"{command} exited {result.code}: {result.err[-500:]}"
    assert "Traceback" not in output, result.err[-2000:]
    assert "Error: unexpected" not in result.err, result.err
    if result.code == 0:
        return
    error = _error_line(result)
    # Every failure names where to look: the file's line, the variable, or the service.
    if command == "validate":
        assert VALIDATE_SUMMARY.match(error), error
        assert any(FILE_FINDING.match(line) for line in result.err_lines) or any(
            line.startswith("environment variable ") for line in result.err_lines
        ), result.err
    else:
        assert CONFIG_ERROR.match(error) or API_ERROR.match(error), error
        if CONFIG_ERROR.match(error):
            assert result.out == "", result.out


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # bounded per command below, with a margin for a loaded CI machine
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(base=st.sampled_from(BASES), changes=st.lists(mutations, min_size=1, max_size=3))
def test_any_mutation_gets_one_clear_answer(
    run, monkeypatch, recorder: str, workdir: Path, rss_baseline: int, base: str, changes
) -> None:
    text = base
    for change in changes:
        text = mutate(text, change)
    (workdir / "k.yaml").write_bytes(text.encode("utf-8", errors="surrogateescape"))
    COUNTS["examples"] += 1

    result = _measured(run, "validate", "-c", "k.yaml", cwd=workdir, baseline=rss_baseline)
    _check_answer(result, "validate")

    tag = f"example-{COUNTS['examples']}"
    monkeypatch.setenv("SMTP2GO_API_URL", f"{recorder}/{tag}")
    monkeypatch.setenv("SUPABASE_API_URL", f"{recorder}/{tag}")
    result = _measured(run, "plan", "-c", "k.yaml", cwd=workdir, baseline=rss_baseline)
    with _Recorder.lock:
        connections = _Recorder.seen.count(tag)
    COUNTS["commands"] += 2
    _check_answer(result, "plan")
    if result.code == 1 and CONFIG_ERROR.match(_error_line(result)):
        COUNTS["config errors"] += 1
        assert connections == 0, f"connected before a config error: {_error_line(result)}"
    if connections:
        COUNTS["reached the network"] += 1


def test_report_mutation_counts(capsys) -> None:
    """Runs after the property test (file order): prints what it covered, checks the budget."""
    if COUNTS["examples"] == 0:
        pytest.skip("the property test did not run in this session")
    with capsys.disabled():
        print(f"\nmutation test: {COUNTS}")
    assert COUNTS["examples"] >= EXAMPLES
    assert COUNTS["config errors"] > 0 and COUNTS["reached the network"] > 0
