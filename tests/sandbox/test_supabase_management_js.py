"""The real `supabase-management-js` client (v2, npm) against `karto-smtp sandbox`.

The sandbox runs as its own process, started from its CLI (the `sandbox_process` fixture);
one node process per module runs every call and prints one JSON document; the tests read it.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from karto_sandbox.supabase.models import secret_digest
from tests.npm_clients import NpmUnavailable, npm_install
from tests.sandbox.conftest import PROCESS_PROJECTS, SandboxProcess

pytestmark = pytest.mark.npm

REF = "abcdefghijklmnopqrst"
PASSWORD = "relay-Pass-9"

SCRIPT = r"""
const { SupabaseManagementAPI } = require("supabase-management-js");
const [baseUrl, accessToken, ref, password] = process.argv.slice(2);

async function failure(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return { name: error.name, status: error.status, message: error.message, data: error.data };
  }
}

(async () => {
  const api = new SupabaseManagementAPI({ accessToken, baseUrl });
  const out = {};
  const projects = await api.listAllProjects();
  out.projects = { status: projects.status, refs: projects.data.map((p) => p.ref) };
  const before = await api.getAuthServiceConfig(ref);
  out.before = {
    status: before.status,
    keys: Object.keys(before.data).length,
    smtp_host: before.data.smtp_host,
    smtp_pass: before.data.smtp_pass,
    rate_limit_email_sent: before.data.rate_limit_email_sent,
    smtp_max_frequency: before.data.smtp_max_frequency,
    limit_header: before.headers.get("x-ratelimit-limit"),
  };
  const updated = await api.updateAuthServiceConfig(ref, {
    smtp_host: "mail.smtp2go.com",
    smtp_port: "587",
    smtp_user: "karto-auth",
    smtp_pass: password,
    smtp_admin_email: "karto.help@ro.ru",
    smtp_sender_name: "KARTO",
    rate_limit_email_sent: 30,
  });
  out.updated = {
    status: updated.status,
    keys: Object.keys(updated.data).length,
    smtp_host: updated.data.smtp_host,
    smtp_port: updated.data.smtp_port,
    smtp_user: updated.data.smtp_user,
    smtp_pass: updated.data.smtp_pass,
    smtp_admin_email: updated.data.smtp_admin_email,
    smtp_sender_name: updated.data.smtp_sender_name,
    rate_limit_email_sent: updated.data.rate_limit_email_sent,
  };
  const renamed = await api.updateAuthServiceConfig(ref, { smtp_sender_name: "Karto Help" });
  out.renamed = { smtp_sender_name: renamed.data.smtp_sender_name, smtp_host: renamed.data.smtp_host };
  const keys = await api.getProjectApiKeys(ref, { reveal: true });
  out.api_keys = keys.data.map((k) => k.name);
  const addons = await api.listProjectAddons(ref);
  out.addons = addons.data;
  out.invalid_port = await failure(() => api.updateAuthServiceConfig(ref, { smtp_port: 587 }));
  const stranger = new SupabaseManagementAPI({ accessToken: "sbp_not_a_token", baseUrl });
  out.unauthorized = await failure(() => stranger.getAuthServiceConfig(ref));
  out.not_found = await failure(() => api.getAuthServiceConfig("zzzzzzzzzzzzzzzzzzzz"));
  console.log(JSON.stringify(out));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
"""


@dataclass
class Run:
    output: dict[str, Any]
    url: str
    token: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, sandbox_process: SandboxProcess) -> Iterator[Run]:
    try:
        folder = npm_install("supabase-management-js@2")
    except NpmUnavailable as exc:
        pytest.skip(str(exc))
    script = tmp_path_factory.mktemp("management-js") / "run.js"
    script.write_text(SCRIPT, encoding="utf-8")
    sandbox_process.reset()
    url = sandbox_process.env["SUPABASE_API_URL"]
    token = sandbox_process.env["SUPABASE_ACCESS_TOKEN"]
    result = subprocess.run(
        ["node", str(script), url, token, REF, PASSWORD],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(Path(folder) / "node_modules")},
    )
    assert result.returncode == 0, result.stderr
    yield Run(json.loads(result.stdout), url, token)


def test_reads_projects_and_the_default_auth_config(run: Run) -> None:
    assert run.output["projects"] == {"status": 200, "refs": list(PROCESS_PROJECTS)}
    assert run.output["before"] == {
        "status": 200,
        "keys": 238,  # the spec's 237 plus one newer key
        "smtp_host": None,
        "smtp_pass": None,
        "rate_limit_email_sent": 2,
        "smtp_max_frequency": 60,
        "limit_header": "120",
    }


def test_updates_smtp_and_sees_the_password_digest(run: Run) -> None:
    assert run.output["updated"] == {
        "status": 200,
        "keys": 238,  # the spec's 237 plus one newer key
        "smtp_host": "mail.smtp2go.com",
        "smtp_port": "587",
        "smtp_user": "karto-auth",
        "smtp_pass": secret_digest(REF, PASSWORD),
        "smtp_admin_email": "karto.help@ro.ru",
        "smtp_sender_name": "KARTO",
        "rate_limit_email_sent": 30,
    }
    assert run.output["renamed"] == {
        "smtp_sender_name": "Karto Help",
        "smtp_host": "mail.smtp2go.com",
    }


def test_the_sandbox_holds_the_change(run: Run) -> None:
    config = httpx.get(
        f"{run.url}/v1/projects/{REF}/config/auth",
        headers={"Authorization": f"Bearer {run.token}"},
    ).json()
    assert (config["smtp_sender_name"], config["smtp_port"]) == ("Karto Help", "587")
    assert config["smtp_pass"] == secret_digest(REF, PASSWORD)


def test_keys_and_addons(run: Run) -> None:
    assert run.output["api_keys"] == ["anon", "service_role"]
    assert run.output["addons"] == {"selected_addons": [], "available_addons": []}


def test_errors_surface_through_the_clients_error_class(run: Run) -> None:
    assert run.output["invalid_port"] == {
        "name": "SupabaseManagementAPIError",
        "status": 400,
        "message": "[updateAuthServiceConfig] failed: smtp_port must be a string",
        "data": {"message": "smtp_port must be a string"},
    }
    assert run.output["unauthorized"] == {
        "name": "SupabaseManagementAPIError",
        "status": 401,
        "message": "[getAuthServiceConfig] failed: Unauthorized",
        "data": {"message": "Unauthorized"},
    }
    assert run.output["not_found"]["status"] == 404
    assert run.output["not_found"]["message"] == "[getAuthServiceConfig] failed: Project not found"
