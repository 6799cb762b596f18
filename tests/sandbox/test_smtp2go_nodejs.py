"""SMTP2GO's own Node.js client (npm `smtp2go-nodejs`) against `karto-smtp sandbox`.

The sandbox runs as its own process, started from its CLI (the `sandbox_process` fixture).

The package has no base-URL option or environment variable; its `ApiClient` keeps the
base in the public `apiUrl` property (declared in its typings), which the script sets.
Nothing in the package is modified. It sends the key as `api_key` in the JSON body, so
this also exercises body authentication the way SMTP2GO's official clients do.

One node process runs every call (node start-up dominates); each test reads its step.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.npm_clients import NpmUnavailable, npm_install
from tests.sandbox.conftest import SandboxProcess, clean_env

pytestmark = pytest.mark.npm

PACKAGE = "smtp2go-nodejs@0.3.6"
PASSWORD = "Vq7#mL2!xR9$wK4p"

SCRIPT = r"""
const path = require("path");
const packageDir = path.join(process.env.NPM_FOLDER, "node_modules", "smtp2go-nodejs");
const { ApiClient, Service } = require(packageDir);

const steps = [
  ["add", "users/smtp/add", "POST", [
    ["username", "node-mailer"],
    ["email_password", process.env.SMTP_PASSWORD],
    ["description", "from node"],
    ["open_tracking_enabled", true],
  ]],
  ["view_one", "users/smtp/view", "POST", [["username", "node-mailer"]]],
  ["patch", "users/smtp/edit", "PATCH", [["username", "node-mailer"], ["status", "sandbox"]]],
  ["view_all", "users/smtp/view", "POST", []],
  ["add_invalid", "users/smtp/add", "POST", [["username", "abc"]]],
  ["sender_add", "single_sender_emails/add", "POST", [["email_address", "node@example.org"]]],
];

(async () => {
  const client = new ApiClient(process.env.SMTP2GO_API_KEY);
  client.apiUrl = process.env.SMTP2GO_API_URL;
  const results = {};
  for (const [name, endpoint, method, body] of steps) {
    const answer = await client.consume(new Service(endpoint, new Map(body), method));
    // consume() resolves with the body on 2xx and with axios' response object otherwise.
    const isAxiosResponse = answer && answer.headers && answer.status !== undefined;
    results[name] = isAxiosResponse
      ? { status: answer.status, body: answer.data }
      : { status: 200, body: answer };
  }
  process.stdout.write(JSON.stringify(results));
})().catch((err) => { console.error(err); process.exit(1); });
"""


class Account:
    """The SMTP2GO account as the sandbox holds it, read over its admin route."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def users(self) -> list[dict[str, Any]]:
        return self.state["users"]

    def senders(self) -> list[dict[str, Any]]:
        return self.state["senders"]


@pytest.fixture(scope="module")
def run(tmp_path_factory, sandbox_process: SandboxProcess) -> tuple[dict[str, Any], Account]:
    try:
        folder = npm_install(PACKAGE)
    except NpmUnavailable as exc:
        pytest.skip(str(exc))
    sandbox_process.reset()
    script = tmp_path_factory.mktemp("smtp2go-nodejs") / "calls.js"
    script.write_text(SCRIPT)
    env = clean_env()
    env.update(
        NPM_FOLDER=str(Path(folder)),
        SMTP2GO_API_KEY=sandbox_process.env["SMTP2GO_API_KEY"],
        SMTP2GO_API_URL=sandbox_process.env["SMTP2GO_API_URL"] + "/",
        SMTP_PASSWORD=PASSWORD,
        NO_PROXY="127.0.0.1,localhost",
    )
    done = subprocess.run(
        ["node", str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    state = httpx.get(f"{sandbox_process.admin}/_sandbox/state", timeout=10).json()
    return json.loads(done.stdout), Account(state)


def test_add_user_through_the_official_client(run):
    results, account = run
    add = results["add"]
    assert add["status"] == 200
    [item] = add["body"]["data"]["results"]
    assert (item["username"], item["description"], item["open_tracking_enabled"]) == (
        "node-mailer",
        "from node",
        True,
    )
    assert item["email_password"] == "********"
    [stored] = [u for u in account.users() if u["username"] == "node-mailer"]
    assert stored["email_password"] == PASSWORD


def test_view_sees_the_added_user(run):
    results, _ = run
    view = results["view_one"]["body"]["data"]
    assert [u["username"] for u in view["results"]] == ["node-mailer"]
    assert (view["default_ratelimit_value"], view["default_ratelimit_period"]) == (0, "unlimited")


def test_patch_through_the_generic_service(run):
    results, account = run
    patched = results["patch"]["body"]["data"]
    assert isinstance(patched, list)
    assert (patched[0]["status"], patched[0]["description"]) == ("sandbox", "from node")
    assert [u["status"] for u in results["view_all"]["body"]["data"]["results"]] == ["sandbox"]
    [stored] = account.users()
    assert (stored["status"], stored["email_password"]) == ("sandbox", PASSWORD)


def test_client_surfaces_the_error_envelope(run):
    results, account = run
    error = results["add_invalid"]
    assert error["status"] == 400
    data = error["body"]["data"]
    assert data["error_code"] == "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD"
    assert data["field_validation_errors"]["fieldname"] == "username"
    assert "abc" not in [u["username"] for u in account.users()]


def test_single_sender_add_through_the_client(run):
    results, account = run
    assert results["sender_add"]["body"]["data"] == {
        "senders": [{"email_address": "node@example.org", "verified": False}]
    }
    assert account.senders() == [{"email_address": "node@example.org", "verified": False}]
