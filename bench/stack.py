"""The loopback state the benchmarks run against: one sandbox, karto.yaml files, the CLI.

`BenchStack(projects=100)` starts the sandbox (the very `Stack` that `karto-smtp sandbox`
runs) with that many Supabase projects, writes `karto.yaml` files that manage the first
1, 10, ... of them through one SMTP2GO user and one verified sender, and converges them all
with one `karto-smtp apply`, so every later `plan` is a no-change plan.

`listen_backlog` sets the sandbox HTTP servers' listen backlog while this stack starts
(bench/backlog.py compares Python's default of 5 with the sandbox's own 256).

For the Supabase CLI it writes a `supabase/config.toml` declaring the same SMTP settings
plus a profile file pointing the CLI's `api_url` at the emulator, which serves what
`config diff` reads (GET /v2/projects/{ref}/config).
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from karto_sandbox import http_server as sandbox_http_server
from karto_sandbox.stack import Stack

SENDER = "karto.help@ro.ru"
USERNAME = "karto"


def project_ref(index: int) -> str:
    """A valid, distinct project ref (20 lowercase letters) for project number `index`."""
    letters = ""
    for _ in range(10):
        index, digit = divmod(index, 26)
        letters = string.ascii_lowercase[digit] + letters
    return "kartobench" + letters


def karto_yaml(refs: list[str]) -> str:
    projects = "".join(
        f"""\
    - ref: {ref}
      name: bench-{number}
      auth:
        smtp:
          enabled: true
          relay:
            smtp2go_user: {USERNAME}
            port: 587
          admin_email: {SENDER}
          sender_name: KARTO
          max_frequency: 60
          rate_limit_email_sent: 30
"""
        for number, ref in enumerate(refs)
    )
    return f"""\
version: 1
smtp2go:
  plan:
    name: business
    monthly_quota: 5000000
  senders:
    emails:
      - address: {SENDER}
  smtp_users:
    - username: {USERNAME}
      description: Supabase Auth mail for the benchmark projects
      status: allowed
      password: generate
supabase:
  projects:
{projects}"""


SUPABASE_CONFIG_TOML = f"""\
project_id = "karto-bench"

[auth.email]
max_frequency = "60s"

[auth.email.smtp]
enabled = true
host = "mail.smtp2go.com"
port = 587
user = "{USERNAME}"
pass = "env(SMTP_PASS)"
admin_email = "{SENDER}"
sender_name = "KARTO"

[auth.rate_limit]
email_sent = 30
"""


class BenchStack:
    def __init__(
        self,
        projects: int,
        sizes: tuple[int, ...],
        folder: Path | None = None,
        listen_backlog: int | None = None,
    ) -> None:
        self.listen_backlog = listen_backlog
        self._tmp = tempfile.TemporaryDirectory(prefix="karto-bench-") if folder is None else None
        self.folder = Path(self._tmp.name) if self._tmp is not None else folder
        assert self.folder is not None
        self.refs = [project_ref(i) for i in range(projects)]
        self.configs: dict[int, Path] = {}
        for size in sorted({*sizes, projects}):
            path = self.folder / f"karto-{size}.yaml"
            path.write_text(karto_yaml(self.refs[:size]))
            self.configs[size] = path
        self.sandbox = Stack(
            config=self.configs[projects], rate_limit=False, auto_verify_senders=True
        )

    def start(self, python_env: Mapping[str, str]) -> BenchStack:
        shipped = sandbox_http_server.BACKLOG
        if self.listen_backlog:
            sandbox_http_server.BACKLOG = self.listen_backlog
        try:
            self.sandbox.start()
        finally:
            sandbox_http_server.BACKLOG = shipped
        self.env = {**python_env, **self.sandbox.env, "NO_COLOR": "1"}
        self.env.pop("KARTO_CONFIG", None)
        largest = self.configs[max(self.configs)]
        done = subprocess.run(
            [*self.karto, "apply", "--auto-approve", "-c", str(largest)],
            env=self.env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"converging the benchmark state failed:\n{done.stdout}{done.stderr}")
        self.clear_requests()
        return self

    def stop(self) -> None:
        self.sandbox.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> BenchStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- commands ---------------------------------------------------------------------
    @property
    def karto(self) -> list[str]:
        return [sys.executable, "-m", "karto_smtp"]

    def services(self) -> dict[str, str]:
        """Service name -> the base URL its admin routes live under."""
        return {"smtp2go": self.sandbox.smtp2go_url, "supabase": self.sandbox.supabase_url}

    # -- observation and faults ---------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for base in self.services().values():
            entries += httpx.get(f"{base}/_sandbox/requests", timeout=10).json()
        return entries

    def clear_requests(self) -> None:
        # The emulators share one request log: one DELETE clears every service's part.
        httpx.delete(f"{self.sandbox.smtp2go_url}/_sandbox/requests", timeout=10)

    def latency(self, seconds: float) -> None:
        """Every API call of every service answers `seconds` late (0: no delay)."""
        for base in self.services().values():
            httpx.delete(f"{base}/_sandbox/faults", timeout=10).raise_for_status()
            if seconds:
                httpx.post(
                    f"{base}/_sandbox/faults",
                    json={"kind": "latency", "seconds": seconds},
                    timeout=10,
                ).raise_for_status()

    def smtp_password(self) -> str:
        state = httpx.get(f"{self.sandbox.smtp2go_url}/_sandbox/state", timeout=10).json()
        return next(u for u in state["users"] if u["username"] == USERNAME)["email_password"]

    # -- the Supabase CLI ---------------------------------------------------------------
    def supabase_cli_env(self) -> tuple[dict[str, str], Path, list[str]]:
        """Environment, working directory and the arguments after `config diff`."""
        root = self.folder / "supabase-cli"
        workdir = root / "project"
        (workdir / "supabase").mkdir(parents=True, exist_ok=True)
        (workdir / "supabase" / "config.toml").write_text(SUPABASE_CONFIG_TOML)
        (root / "home").mkdir(exist_ok=True)
        profile = root / "karto-sandbox.yaml"
        url = self.sandbox.supabase_url
        profile.write_text(
            f"name: karto-sandbox\napi_url: {url}\ndashboard_url: {url}/dashboard\n"
            "project_host: localhost\n"
        )
        proxy_vars = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
        env = {k: v for k, v in os.environ.items() if k.lower() not in proxy_vars}
        env = {k: v for k, v in env.items() if not k.startswith("SUPABASE_")}
        env.update(
            HOME=str(root / "home"),
            SUPABASE_ACCESS_TOKEN=self.sandbox.access_token,
            SMTP_PASS=self.smtp_password(),
            SUPABASE_TELEMETRY_DISABLED="1",
            DO_NOT_TRACK="1",
            SUPABASE_NO_UPDATE_NOTIFIER="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        args = [
            f"--remote={self.refs[0]}",
            "--profile",
            str(profile),
            "--workdir",
            str(workdir),
            "--output-format",
            "json",
        ]
        return env, workdir, args
