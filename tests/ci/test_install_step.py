"""The action's install step as shipped: a venv of its own, karto-smtp from a pip spec.

Marked `install`: it builds and installs this checkout (about 20 s, package registry).
"""

from __future__ import annotations

import pytest

from tests.ci.conftest import github
from tests.ci.runner import REPO, Runner


@pytest.mark.install
def test_the_action_installs_karto_smtp_in_a_venv_and_runs_that_one(runner: Runner):
    # A path is a pip requirement too: install this checkout as a user installs a release.
    runner.action_inputs = {"install": "true", "version": str(REPO)}
    result = runner.run_job("drift", github("workflow_dispatch"))
    plan = result.step("plan")
    assert plan.log.startswith("karto-smtp, version 0.1.0\n"), plan.log
    assert plan.outputs["exitcode"] == "2", plan.log
    venv = runner.workspace.parent / "runner-temp-1" / "karto-smtp-venv" / "bin"
    assert (venv / "karto-smtp").exists()
