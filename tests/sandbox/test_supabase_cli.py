"""The real Supabase CLI (npm `@supabase/cli-linux-x64`, 3.x), unchanged, against
`karto-smtp sandbox` running as its own process, started from its CLI in a folder whose
karto.yaml names the project (the `sandbox_process` fixture).

How the CLI reaches the sandbox: it ignores SUPABASE_API_URL, but its documented `--profile`
flag takes either a built-in profile name or the path of a profile file; the file here is
YAML with the keys the CLI requires (`name`, `api_url`, `dashboard_url`, `project_host`),
`api_url` being the sandbox's SUPABASE_API_URL. The token is the sandbox's
SUPABASE_ACCESS_TOKEN, the target project `--remote=<ref>` (3.x deprecates
`--project-ref`), and `HOME` is a temporary folder so nothing lands in the real
`~/.supabase`. Telemetry and the update notifier are switched off; the only connection the
CLI opens is to the sandbox.

`config push` reads `GET /v1/projects/{ref}`, `GET /v1/projects/{ref}/billing/addons` and
`GET /v2/projects/{ref}/config`, then writes only what differs (here the Auth SMTP group
through `PATCH /v1/projects/{ref}/config/auth`). `config diff` reads the same v2 document.
Both are run with `--output-format json`, whose summaries are the CLI's documented
machine-readable contract; its stderr diagnostics stay text.

`config diff` compares every property of the services it reads, and takes the CLI's
local-development defaults for properties config.toml leaves out. A hosted project differs
from those defaults (site_url, pooler sizes, ...), so config.toml here also declares the
nine properties where a new hosted project's values differ: after a push, the diff is
clean and `--exit-code` exits 0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.npm_clients import NpmUnavailable, npm_install
from tests.sandbox.conftest import PROCESS_PROJECTS, SandboxProcess, clean_env

pytestmark = pytest.mark.npm

PACKAGE = "@supabase/cli-linux-x64@3"
OTHER_TOKEN = "sbp_" + "fedcba9876543210" * 2 + "76543210"
REF = "kartoclitestprojectq"
assert REF in PROCESS_PROJECTS
SMTP_PASS = "Vq7#mL2!xR9$wK4p-relay"

SMTP_CONFIG = """\
project_id = "karto"

[auth.email.smtp]
enabled = true
host = "mail.smtp2go.com"
port = 587
user = "karto"
pass = "env(SMTP_PASS)"
admin_email = "karto.help@ro.ru"
sender_name = "KARTO"
"""

# What a new hosted project has where the CLI's local defaults differ: declared, so that a
# diff after the push compares equal values only.
HOSTED_VALUES = """
[auth]
site_url = "http://localhost:3000"
additional_redirect_urls = []

[auth.email]
enable_confirmations = true
max_frequency = "1m0s"

[auth.sms]
enable_confirmations = true

[auth.mfa.totp]
enroll_enabled = true
verify_enabled = true

[db.pooler]
default_pool_size = 15
max_client_conn = 200
"""

# Every other resource `config push` writes, declared with values that differ from a new
# project's, so each write route is exercised by the real client.
OTHER_SERVICES_CONFIG = """
[api]
enabled = true
schemas = ["public", "graphql_public", "karto"]
extra_search_path = ["public", "extensions"]
max_rows = 500

[db.settings]
statement_timeout = "30s"
max_connections = 80

[db.ssl_enforcement]
enabled = true

[db.network_restrictions]
enabled = true
allowed_cidrs = ["10.0.0.0/8"]
allowed_cidrs_v6 = ["::/0"]

[storage]
enabled = true
file_size_limit = "20MiB"

[storage.image_transformation]
enabled = true
"""

SMTP_PATHS = {
    ("auth", "email", "smtp", name)
    for name in ("enabled", "host", "port", "user", "admin_email", "sender_name", "pass")
}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


@dataclass
class Cli:
    binary: Path
    version: str


@pytest.fixture(scope="module")
def cli() -> Cli:
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip(f"{PACKAGE} ships a linux-x64 binary; this is {platform.platform()}")
    try:
        folder = npm_install(PACKAGE)
    except NpmUnavailable as exc:
        pytest.skip(str(exc))
    binary = folder / "node_modules" / "@supabase" / "cli-linux-x64" / "bin" / "supabase"
    assert binary.is_file(), f"no CLI binary in {binary.parent}"
    done = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    return Cli(binary=binary, version=done.stdout.strip())


class Workspace:
    """A profile pointing at the sandbox process, and a project folder with config.toml."""

    def __init__(self, cli: Cli, root: Path, config_toml: str, sandbox: SandboxProcess) -> None:
        self.cli = cli
        self.root = root
        self.sandbox = sandbox
        self.api_url = sandbox.env["SUPABASE_API_URL"]
        self.token = sandbox.env["SUPABASE_ACCESS_TOKEN"]
        self.profile = root / "karto-sandbox.yaml"
        self.profile.write_text(
            "name: karto-sandbox\n"
            f"api_url: {self.api_url}\n"
            f"dashboard_url: {self.api_url}/dashboard\n"
            "project_host: localhost\n"
        )
        self.workdir = root / "project"
        (self.workdir / "supabase").mkdir(parents=True)
        (self.workdir / "supabase" / "config.toml").write_text(config_toml)
        (root / "home").mkdir()

    def run(self, *args: str, token: str | None = None) -> Run:
        env = {k: v for k, v in clean_env().items() if not k.startswith("SUPABASE_")}
        env.update(
            HOME=str(self.root / "home"),
            SUPABASE_ACCESS_TOKEN=token or self.token,
            SMTP_PASS=SMTP_PASS,
            SUPABASE_TELEMETRY_DISABLED="1",
            DO_NOT_TRACK="1",
            SUPABASE_NO_UPDATE_NOTIFIER="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        command = [
            str(self.cli.binary),
            *args,
            f"--remote={REF}",
            "--profile",
            str(self.profile),
            "--workdir",
            str(self.workdir),
            "--output-format",
            "json",
        ]
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def requests(self) -> list[dict[str, Any]]:
        return self.sandbox.requests(self.api_url)

    def get(self, path: str) -> dict[str, Any]:
        response = httpx.get(
            self.api_url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def auth_config(self) -> dict[str, Any]:
        return self.get(f"/v1/projects/{REF}/config/auth")


def calls(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in entries]


def writes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["method"] != "GET"]


def paths(changes: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    return {tuple(change["path"]) for change in changes}


def service(summary: dict[str, Any], name: str) -> dict[str, Any]:
    [entry] = [s for s in summary["services"] if s["service"] == name]
    return entry


# -- SMTP only: diff, push, push again, diff -----------------------------------------------


@pytest.fixture(scope="module")
def smtp(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, sandbox_process: SandboxProcess
) -> dict[str, Any]:
    sandbox_process.reset()
    workspace = Workspace(
        cli,
        tmp_path_factory.mktemp("supabase-cli-smtp"),
        SMTP_CONFIG + HOSTED_VALUES,
        sandbox_process,
    )
    steps: dict[str, Any] = {}
    for name, args in (
        ("diff_before", ("config", "diff")),
        ("push", ("config", "push", "--yes")),
        ("push_again", ("config", "push", "--yes")),
        ("diff_after", ("config", "diff", "--exit-code")),
    ):
        before = len(workspace.requests())
        steps[name] = workspace.run(*args)
        steps[f"{name}_requests"] = workspace.requests()[before:]
    steps["auth_config"] = workspace.auth_config()
    return steps


def test_cli_is_version_3(cli):
    assert cli.version.startswith("3."), cli.version


def test_diff_before_push_sees_the_smtp_block(smtp):
    run = smtp["diff_before"]
    assert run.returncode == 0, run.stderr
    summary = run.json()
    assert summary["target"]["project_ref"] == REF
    assert summary["scope"]["missing"] == []
    declared = {tuple(c["path"]) for c in summary["changes"] if c["declared"]}
    assert declared == SMTP_PATHS - {("auth", "email", "smtp", "pass")}
    assert summary["masked"] == [["auth", "email", "smtp", "pass"]]
    assert ("GET", f"/v2/projects/{REF}/config") in calls(smtp["diff_before_requests"])
    assert writes(smtp["diff_before_requests"]) == []


def test_push_reads_then_patches_only_the_smtp_group(smtp):
    run = smtp["push"]
    assert run.returncode == 0, run.stderr
    summary = run.json()
    auth = service(summary, "auth")
    assert auth["status"] == "updated"
    assert {tuple(p) for p in auth["changes"]} == SMTP_PATHS
    assert summary["secrets"]["sent"] == [["auth", "email", "smtp", "pass"]]
    for other in ("api", "db.settings", "storage"):
        assert service(summary, other)["status"] == "up_to_date"

    entries = smtp["push_requests"]
    assert calls(entries) == [
        ("GET", f"/v1/projects/{REF}"),
        ("GET", f"/v1/projects/{REF}/billing/addons"),
        ("GET", f"/v2/projects/{REF}/config"),
        ("PATCH", f"/v1/projects/{REF}/config/auth"),
    ]
    assert all(e["status"] < 300 for e in entries), entries
    assert entries[0]["headers"]["user-agent"].startswith("SupabaseCLI/3.")
    patch = entries[-1]
    assert patch["body"] == {
        "smtp_admin_email": "karto.help@ro.ru",
        "smtp_host": "mail.smtp2go.com",
        "smtp_pass": "(redacted)",  # the request log redacts it
        "smtp_port": "587",
        "smtp_sender_name": "KARTO",
        "smtp_user": "karto",
    }


def test_smtp_settings_are_visible_through_our_api(smtp):
    config = smtp["auth_config"]
    assert config["smtp_host"] == "mail.smtp2go.com"
    assert config["smtp_port"] == "587"
    assert config["smtp_user"] == "karto"
    assert config["smtp_admin_email"] == "karto.help@ro.ru"
    assert config["smtp_sender_name"] == "KARTO"
    digest = hmac.new(REF.encode(), SMTP_PASS.encode(), hashlib.sha256).hexdigest()
    assert config["smtp_pass"] == digest


def test_second_push_finds_the_remote_up_to_date(smtp):
    run = smtp["push_again"]
    assert run.returncode == 0, run.stderr
    summary = run.json()
    assert (
        summary["message"]
        == "Nothing to push: the project already matches the declared properties."
    )
    assert service(summary, "auth") == {"service": "auth", "status": "up_to_date", "changes": []}
    # The CLI hashed SMTP_PASS with the ref and found the same digest in the v2 config.
    assert summary["secrets"]["unchanged"] == [["auth", "email", "smtp", "pass"]]
    assert "Remote Auth config is up to date." in run.stderr
    assert writes(smtp["push_again_requests"]) == []


def test_diff_after_push_is_clean(smtp):
    run = smtp["diff_after"]
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout)
    assert summary["changes"] == []
    assert summary["counts"] == {"update": 0, "remote_only": 0, "local_only": 0, "total": 0}
    assert writes(smtp["diff_after_requests"]) == []


def test_without_the_hosted_values_the_diff_names_only_undeclared_properties(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, sandbox_process: SandboxProcess, smtp
):
    """What the CLI compares: every property, undeclared ones against its local defaults."""
    workspace = Workspace(
        cli, tmp_path_factory.mktemp("supabase-cli-bare"), SMTP_CONFIG, sandbox_process
    )
    run = workspace.run("config", "diff", "--exit-code")
    assert run.returncode == 2
    summary = run.json()
    assert {tuple(c["path"]) for c in summary["changes"]} == {
        ("auth", "additional_redirect_urls"),
        ("auth", "email", "enable_confirmations"),
        ("auth", "email", "max_frequency"),
        ("auth", "mfa", "totp", "enroll_enabled"),
        ("auth", "mfa", "totp", "verify_enabled"),
        ("auth", "site_url"),
        ("auth", "sms", "enable_confirmations"),
        ("db", "pooler", "default_pool_size"),
        ("db", "pooler", "max_client_conn"),
    }
    assert all(c["class"] == "remote_only" and not c["declared"] for c in summary["changes"])


# -- the other services `config push` writes -------------------------------------------------


@pytest.fixture(scope="module")
def services(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, sandbox_process: SandboxProcess
) -> dict[str, Any]:
    sandbox_process.reset()
    workspace = Workspace(
        cli,
        tmp_path_factory.mktemp("supabase-cli-all"),
        SMTP_CONFIG + OTHER_SERVICES_CONFIG,
        sandbox_process,
    )
    first = workspace.run("config", "push", "--yes")
    first_requests = workspace.requests()
    again = workspace.run("config", "push", "--yes")
    again_requests = workspace.requests()[len(first_requests) :]
    unauthorized = workspace.run("config", "push", "--yes", token=OTHER_TOKEN)
    return {
        "first": first,
        "first_requests": first_requests,
        "again": again,
        "again_requests": again_requests,
        "unauthorized": unauthorized,
        "v2": workspace.get(f"/v2/projects/{REF}/config")["data"]["attributes"],
    }


def test_push_writes_every_declared_service(services):
    run = services["first"]
    assert run.returncode == 0, run.stderr
    summary = run.json()
    for name in ("api", "db.settings", "db.network_restrictions", "db.ssl_enforcement", "auth"):
        assert service(summary, name)["status"] == "updated", name
    assert service(summary, "storage")["status"] == "updated"
    bodies = {
        (e["method"], e["path"]): (e["status"], e["body"])
        for e in writes(services["first_requests"])
    }
    base = f"/v1/projects/{REF}"
    assert bodies[("PATCH", f"{base}/postgrest")] == (
        200,
        {"db_schema": "public,graphql_public,karto", "max_rows": 500},
    )
    assert bodies[("PUT", f"{base}/config/database/postgres")] == (
        200,
        {"max_connections": 80, "statement_timeout": "30s"},
    )
    assert bodies[("POST", f"{base}/network-restrictions/apply")] == (
        201,
        {"dbAllowedCidrs": ["10.0.0.0/8"], "dbAllowedCidrsV6": ["::/0"]},
    )
    assert bodies[("PUT", f"{base}/ssl-enforcement")] == (
        200,
        {"requestedConfig": {"database": True}},
    )
    assert bodies[("PATCH", f"{base}/config/storage")] == (
        200,
        {"features": {"imageTransformation": {"enabled": True}}, "fileSizeLimit": 20971520},
    )
    assert bodies[("PATCH", f"{base}/config/auth")][0] == 200


def test_pushed_services_read_back_through_the_v2_config(services):
    v2 = services["v2"]
    assert v2["api"]["db_schema"] == "public,graphql_public,karto"
    assert v2["api"]["max_rows"] == 500
    assert v2["database"]["postgres_settings"] == {
        "max_connections": 80,
        "statement_timeout": "30s",
    }
    assert v2["database"]["ssl_enforced"] is True
    assert v2["database"]["network_restrictions"]["allowed_cidrs"] == [
        {"address": "10.0.0.0/8", "type": "v4"},
        {"address": "::/0", "type": "v6"},
    ]
    assert v2["storage"]["file_size_limit"] == 20971520
    assert v2["storage"]["features"]["image_transformation"] == {"enabled": True}
    assert v2["auth"]["smtp_host"] == "mail.smtp2go.com"


def test_second_push_of_every_service_writes_nothing(services):
    run = services["again"]
    assert run.returncode == 0, run.stderr
    summary = run.json()
    assert {s["status"] for s in summary["services"]} <= {"up_to_date", "disabled"}
    assert writes(services["again_requests"]) == []


def test_an_unknown_token_is_refused(services):
    run = services["unauthorized"]
    assert run.returncode == 1
    assert "401" in run.stdout + run.stderr or "Unauthorized" in run.stdout + run.stderr
