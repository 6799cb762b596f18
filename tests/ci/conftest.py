from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.ci.runner import REPO, FakeGitHub, Runner

WORKFLOW = REPO / "examples" / "github-workflow.yml"
PR = 7
HEAD = "1111111111111111111111111111111111111111"
MERGE = "2222222222222222222222222222222222222222"


def github(event: str, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "event_name": event,
        "repository": "acme/app",
        "workflow": "karto-smtp",
        "sha": MERGE if event != "pull_request" else "3333333333333333333333333333333333333333",
        "event": {},
    }
    if event == "pull_request":
        context["event"] = {"pull_request": {"number": PR, "head": {"sha": HEAD}}}
    context.update(extra)
    return context


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "karto.yaml", folder / "karto.yaml")
    return folder


@pytest.fixture
def runner(sandbox_env: dict[str, str], workspace: Path, tmp_path: Path) -> Runner:
    """The workflow as shipped, pointed at the sandbox, with the karto-smtp under test."""
    secrets = {
        "SMTP2GO_API_KEY": sandbox_env["SMTP2GO_API_KEY"],
        "SUPABASE_ACCESS_TOKEN": sandbox_env["SUPABASE_ACCESS_TOKEN"],
    }
    machine = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP2GO_", "SUPABASE_", "KARTO_", "GITHUB_", "NO_COLOR"))
    }
    # What the runner machine knows besides the workflow: where the sandbox listens.
    machine.update({k: v for k, v in sandbox_env.items() if k not in secrets})
    machine["KARTO_HTTP_BACKOFF"] = "0.01"
    machine["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{machine.get('PATH', '')}"
    return Runner(
        WORKFLOW,
        workspace,
        FakeGitHub(tmp_path / "github"),
        machine,
        secrets,
        action_inputs={"install": "false"},
    )
