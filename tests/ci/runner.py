"""Run the shell steps of karto-smtp's GitHub workflow and action on this machine.

The jobs run as a GitHub runner would run them: `${{ }}` expressions are evaluated,
`if:` decides each step, `run:` scripts go to bash with the GITHUB_OUTPUT, GITHUB_ENV,
GITHUB_PATH and GITHUB_STEP_SUMMARY files, and karto-smtp's own action runs its composite
steps. Steps that need GitHub itself stand in: checkout and setup-python do nothing (the
workspace is already there, and so is Python), upload-artifact copies into the fake
GitHub that the `gh` stand-in serves.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.ci.expressions import Evaluator, condition, interpolate

REPO = Path(__file__).resolve().parents[2]
ACTION = "karto-smtp/karto-smtp"


@dataclass
class StepResult:
    name: str
    outcome: str  # success, failure, skipped
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""


@dataclass
class JobResult:
    steps: list[StepResult]
    summary: str

    @property
    def ok(self) -> bool:
        return all(s.outcome != "failure" for s in self.steps)

    def step(self, name: str) -> StepResult:
        return next(s for s in self.steps if s.name == name)


class FakeGitHub:
    """The folder the `gh` stand-in reads: comments, runs, merged pull requests, artifacts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.save(
            {"comments": {}, "runs": [], "merged": {}, "heads": {}, "next_id": 100, "calls": []}
        )
        self.bin = root / "bin"
        self.bin.mkdir(exist_ok=True)
        gh = self.bin / "gh"
        gh.write_text(
            f"#!{sys.executable}\nimport runpy\nrunpy.run_path({str(REPO / 'tests/ci/gh_stub.py')!r}, run_name='__main__')\n"
        )
        gh.chmod(gh.stat().st_mode | stat.S_IEXEC)

    def load(self) -> dict[str, Any]:
        return json.loads((self.root / "state.json").read_text())

    def save(self, state: dict[str, Any]) -> None:
        (self.root / "state.json").write_text(json.dumps(state, indent=2))

    def record_run(self, run_id: int, workflow: str, head_sha: str, event: str, ok: bool) -> None:
        state = self.load()
        state["runs"].append(
            {
                "id": run_id,
                "workflow": workflow,
                "head_sha": head_sha,
                "event": event,
                "conclusion": "success" if ok else "failure",
            }
        )
        self.save(state)

    def merge(self, pr: int, head_sha: str, merge_sha: str) -> None:
        state = self.load()
        state["heads"][str(pr)] = head_sha
        state["merged"][merge_sha] = [pr]
        self.save(state)

    def comments(self, pr: int) -> list[dict[str, Any]]:
        return self.load()["comments"].get(str(pr), [])

    def upload(self, run_id: int, name: str, paths: list[Path]) -> None:
        target = self.root / "artifacts" / str(run_id) / name
        target.mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copy2(path, target / path.name)


class Runner:
    def __init__(
        self,
        workflow: Path,
        workspace: Path,
        fake: FakeGitHub,
        env: dict[str, str],
        secrets: dict[str, str],
        variables: dict[str, str] | None = None,
        action_inputs: dict[str, str] | None = None,
    ) -> None:
        self.workflow = yaml.safe_load(workflow.read_text())
        self.workspace = workspace
        self.fake = fake
        self.env = env
        self.secrets = secrets
        self.vars = variables or {}
        # What a test changes about every use of karto-smtp's action (e.g. install: false
        # to use the karto-smtp under test instead of one from the package registry).
        self.action_inputs = action_inputs or {}
        self.action = yaml.safe_load((REPO / "action.yml").read_text())
        self.run_id = 0

    # -- jobs -----------------------------------------------------------------------------
    def jobs_for(self, github: dict[str, Any]) -> list[str]:
        evaluator = Evaluator(self._contexts(github, {}), lambda _: True)
        return [
            name
            for name, job in self.workflow["jobs"].items()
            if condition(job.get("if"), evaluator)
        ]

    def run_job(self, name: str, github: dict[str, Any]) -> JobResult:
        self.run_id += 1
        job = self.workflow["jobs"][name]
        temp = self.workspace.parent / f"runner-temp-{self.run_id}"
        temp.mkdir()
        summary = temp / "step-summary.md"
        summary.touch()
        state = _JobState(temp=temp, summary=summary, path=[str(self.fake.bin)])
        github = {**github, "run_id": self.run_id, "token": "fake-token"}
        env = {**self.workflow.get("env", {}), **job.get("env", {})}
        results: list[StepResult] = []
        steps_context: dict[str, Any] = {}
        for index, step in enumerate(job["steps"]):
            failed = any(r.outcome == "failure" for r in results)
            evaluator = Evaluator(self._contexts(github, steps_context), _status(failed))
            label = step.get("id") or step.get("name") or step.get("uses") or f"step {index}"
            if not condition(step.get("if"), evaluator):
                results.append(StepResult(label, "skipped"))
                continue
            result = self._step(step, label, evaluator, env, state, github)
            results.append(result)
            if step.get("id"):
                steps_context[step["id"]] = {"outputs": result.outputs, "outcome": result.outcome}
        ok = all(r.outcome != "failure" for r in results)
        pull_request = (github.get("event") or {}).get("pull_request") or {}
        head = (pull_request.get("head") or {}).get("sha") or github.get("sha", "")
        self.fake.record_run(self.run_id, self.workflow["name"], head, github["event_name"], ok)
        return JobResult(results, summary.read_text())

    def _contexts(self, github: dict[str, Any], steps: dict[str, Any]) -> dict[str, Any]:
        return {
            "github": github,
            "secrets": self.secrets,
            "vars": self.vars,
            "steps": steps,
            "env": {},
            "runner": {"temp": ""},
        }

    # -- steps ----------------------------------------------------------------------------
    def _step(
        self,
        step: dict[str, Any],
        label: str,
        evaluator: Evaluator,
        env: dict[str, Any],
        state: _JobState,
        github: dict[str, Any],
    ) -> StepResult:
        step_env = {
            k: interpolate(str(v), evaluator) for k, v in {**env, **step.get("env", {})}.items()
        }
        if "run" in step:
            return self._run(label, step["run"], step.get("shell"), step_env, state, evaluator)
        uses = step["uses"]
        inputs = {k: interpolate(str(v), evaluator) for k, v in (step.get("with") or {}).items()}
        if uses.startswith(("actions/checkout@", "actions/setup-python@")):
            return StepResult(label, "success")
        if uses.startswith("actions/upload-artifact@"):
            paths = [self.workspace / p for p in inputs["path"].split()]
            self.fake.upload(github["run_id"], inputs["name"], [p for p in paths if p.exists()])
            return StepResult(label, "success")
        if uses.split("@")[0] == ACTION or uses == "./":
            return self._composite(label, {**inputs, **self.action_inputs}, step_env, state, github)
        raise AssertionError(f"the test runner does not know the action {uses}")

    def _composite(
        self,
        label: str,
        given: dict[str, str],
        env: dict[str, str],
        state: _JobState,
        github: dict[str, Any],
    ) -> StepResult:
        declared = self.action["inputs"]
        unknown = set(given) - set(declared)
        assert not unknown, f"inputs not declared by action.yml: {unknown}"
        inputs = {name: given.get(name, spec.get("default", "")) for name, spec in declared.items()}
        missing = [n for n, spec in declared.items() if spec.get("required") and not inputs[n]]
        assert not missing, f"required inputs missing: {missing}"
        inner: dict[str, Any] = {}
        logs: list[str] = []
        outcome = "success"
        for index, step in enumerate(self.action["runs"]["steps"]):
            contexts = {
                **self._contexts(github, inner),
                "inputs": inputs,
            }
            evaluator = Evaluator(contexts, _status(outcome == "failure"))
            if not condition(step.get("if"), evaluator):
                continue
            step_env = {
                **env,
                **{k: interpolate(str(v), evaluator) for k, v in step.get("env", {}).items()},
            }
            result = self._run(
                step.get("id") or f"{label}/{index}",
                step["run"],
                step["shell"],
                step_env,
                state,
                evaluator,
            )
            logs.append(result.log)
            if step.get("id"):
                inner[step["id"]] = {"outputs": result.outputs}
            if result.outcome == "failure":
                outcome = "failure"
        evaluator = Evaluator({**self._contexts(github, inner), "inputs": inputs}, _status(False))
        outputs = {
            name: interpolate(spec["value"], evaluator)
            for name, spec in self.action["outputs"].items()
        }
        return StepResult(label, outcome, outputs, "".join(logs))

    def _run(
        self,
        label: str,
        script: str,
        shell: str | None,
        step_env: dict[str, str],
        state: _JobState,
        evaluator: Evaluator,
    ) -> StepResult:
        script = interpolate(script, evaluator)
        output = state.temp / f"output-{len(state.outputs)}"
        output.touch()
        state.outputs.append(output)
        path_file = state.temp / "path"
        path_file.touch()
        script_file = state.temp / f"script-{len(state.outputs)}.sh"
        script_file.write_text(script)
        env = {
            **self.env,
            **state.exported,
            **step_env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(state.temp),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(state.summary),
            "GITHUB_ENV": str(state.temp / "env"),
            "GITHUB_PATH": str(path_file),
            "FAKE_GITHUB": str(self.fake.root),
        }
        env["PATH"] = os.pathsep.join([*reversed(state.path), self.env["PATH"]])
        # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`; with no
        # shell given on Linux it is `bash -e {0}`.
        command = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)]
            if shell == "bash"
            else ["bash", "-e", str(script_file)]
        )
        completed = subprocess.run(
            command, cwd=self.workspace, env=env, capture_output=True, text=True, timeout=180
        )
        state.path += [line for line in path_file.read_text().splitlines() if line]
        path_file.write_text("")
        return StepResult(
            label,
            "success" if completed.returncode == 0 else "failure",
            _read_outputs(output),
            completed.stdout + completed.stderr,
        )


@dataclass
class _JobState:
    temp: Path
    summary: Path
    path: list[str]
    outputs: list[Path] = field(default_factory=list)
    exported: dict[str, str] = field(default_factory=dict)


def _status(failed: bool) -> Any:
    def status(name: str) -> bool:
        return {"always": True, "success": not failed, "failure": failed, "cancelled": False}[name]

    return status


def _read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs
