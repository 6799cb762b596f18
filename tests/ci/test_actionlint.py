"""actionlint (with shellcheck on every `run:` script) accepts the action and the workflow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.ci.conftest import WORKFLOW
from tests.ci.runner import REPO

BIN = Path(sys.executable).parent


def actionlint(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    assert (BIN / "actionlint").exists(), "actionlint comes with the test extra"
    assert (BIN / "shellcheck").exists(), "shellcheck comes with the test extra"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(BIN / "actionlint"), "-oneline", "-no-color", *files],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def repository_using_the_local_action(tmp_path: Path, workflow_text: str) -> Path:
    """A repository holding action.yml, whose workflow uses it as `./`: actionlint then
    checks every `with:` against the inputs action.yml declares."""
    folder = tmp_path / "repo"
    (folder / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    shutil.copy(REPO / "action.yml", folder / "action.yml")
    local = re.sub(r"karto-smtp/karto-smtp@v\d+", "./", workflow_text)
    (folder / ".github" / "workflows" / "karto-smtp.yml").write_text(local)
    return folder


def test_the_published_workflow_passes():
    result = actionlint(REPO, str(WORKFLOW))
    assert (result.returncode, result.stdout) == (0, "")


def test_the_workflow_passes_against_the_action_it_uses(tmp_path):
    folder = repository_using_the_local_action(tmp_path, WORKFLOW.read_text())
    result = actionlint(folder)
    assert (result.returncode, result.stdout) == (0, "")


def test_a_wrong_input_name_is_caught(tmp_path):
    text = WORKFLOW.read_text().replace("command: plan", "comand: plan", 1)
    folder = repository_using_the_local_action(tmp_path, text)
    result = actionlint(folder)
    assert result.returncode == 1
    assert 'input "comand" is not defined in action "karto-smtp"' in result.stdout
