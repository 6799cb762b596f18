"""The documented GitHub workflow, run step by step against the sandbox.

Every `run:` step of examples/github-workflow.yml and every step of action.yml executes
as shipped; only GitHub itself (checkout, artifacts, the API behind `gh`) is stood in for.
"""

from __future__ import annotations

import httpx

from tests.ci.conftest import HEAD, MERGE, PR, github
from tests.ci.runner import Runner

MARKER = "<!-- karto-smtp plan -->"


def test_pull_request_plans_comments_once_and_the_merge_applies_that_plan(runner: Runner):
    pull_request = github("pull_request")
    assert runner.jobs_for(pull_request) == ["plan"]

    first = runner.run_job("plan", pull_request)
    assert first.ok, [s.log for s in first.steps]
    plan = first.step("plan")
    assert (plan.outputs["exitcode"], plan.outputs["has-changes"]) == ("2", "true")
    assert "Plan: 2 to add, 1 to change, 0 to destroy." in first.summary
    (comment,) = runner.fake.comments(PR)
    assert comment["body"].startswith(MARKER + "\n")
    assert "Plan: 2 to add, 1 to change, 0 to destroy." in comment["body"]
    assert (runner.fake.root / "artifacts" / "1" / "karto-plan" / "karto.plan").exists()

    second = runner.run_job("plan", pull_request)  # a new push to the pull request
    assert second.ok
    assert [c["id"] for c in runner.fake.comments(PR)] == [comment["id"]]  # updated, not added
    assert f"PATCH repos/acme/app/issues/comments/{comment['id']}" in runner.fake.load()["calls"]

    runner.fake.merge(PR, HEAD, MERGE)
    push = github("push", ref="refs/heads/main")
    assert runner.jobs_for(push) == ["apply"]
    applied = runner.run_job("apply", push)
    assert applied.ok, [s.log for s in applied.steps]
    assert "Apply complete! Resources: 2 added, 1 changed, 0 destroyed." in applied.summary
    users = httpx.post(
        f"{runner.env['SMTP2GO_API_URL']}/users/smtp/view",
        headers={"X-Smtp2go-Api-Key": runner.secrets["SMTP2GO_API_KEY"]},
        json={},
    ).json()["data"]["results"]
    assert [u["username"] for u in users] == ["karto"]
    for secret in runner.secrets.values():
        assert secret not in applied.summary + "".join(s.log for s in applied.steps)


def test_a_reviewed_plan_is_refused_when_live_state_moved_since(runner: Runner):
    assert runner.run_job("plan", github("pull_request")).ok
    # Someone changes the project in the dashboard between review and merge.
    httpx.patch(
        f"{runner.env['SUPABASE_API_URL']}/v1/projects/kartoprodabcdefghijk/config/auth",
        headers={"Authorization": f"Bearer {runner.secrets['SUPABASE_ACCESS_TOKEN']}"},
        json={"site_url": "https://elsewhere.example", "smtp_max_frequency": 5},
    ).raise_for_status()
    runner.fake.merge(PR, HEAD, MERGE)
    applied = runner.run_job("apply", github("push"))
    assert not applied.ok
    apply_step = applied.steps[-1]
    assert apply_step.outcome == "failure"
    assert "Error: saved plan is stale" in apply_step.log
    users = httpx.post(
        f"{runner.env['SMTP2GO_API_URL']}/users/smtp/view",
        headers={"X-Smtp2go-Api-Key": runner.secrets["SMTP2GO_API_KEY"]},
        json={},
    ).json()["data"]["results"]
    assert users == []  # nothing was applied


def test_a_push_that_came_from_no_pull_request_applies_nothing(runner: Runner):
    applied = runner.run_job("apply", github("push"))
    assert not applied.ok
    fetch = applied.step("Fetch the plan reviewed on the pull request")
    assert fetch.outcome == "failure"
    assert f"::error::{MERGE} did not come from a pull request" in fetch.log
    assert applied.steps[-1].outcome == "skipped"


def test_a_failed_plan_fails_the_job_and_says_so_on_the_pull_request(runner: Runner):
    runner.secrets["SUPABASE_ACCESS_TOKEN"] = "sbp_" + "0" * 40
    result = runner.run_job("plan", github("pull_request"))
    assert not result.ok
    assert result.step("plan").outputs["exitcode"] == "1"
    (comment,) = runner.fake.comments(PR)
    assert comment["body"] == f"{MARKER}\nkarto-smtp plan failed: see the job log.\n"


def test_nightly_drift_fails_the_job_and_check_still_runs(runner: Runner, sandbox):
    runner.vars["KARTO_CHECK_MAILBOX"] = "monitor@karto.example"
    assert runner.run_job("plan", github("pull_request")).ok
    runner.fake.merge(PR, HEAD, MERGE)
    assert runner.run_job("apply", github("push")).ok
    sandbox_url = runner.env["KARTO_SANDBOX_URL"]
    httpx.post(
        f"{sandbox_url}/_sandbox/senders/verify", json={"email_address": "karto.help@ro.ru"}
    ).raise_for_status()

    nightly = github("schedule")
    assert runner.jobs_for(nightly) == ["drift"]
    clean = runner.run_job("drift", nightly)
    assert clean.step("plan").outputs["has-changes"] == "false"
    assert clean.step("Fail on drift").outcome == "skipped"
    # No drift, and mail flows; the one problem check reports every night is the example's
    # sender, a free ro.ru mailbox that cannot align with DMARC (a warning fails the job).
    check_log = clean.steps[-1].log
    assert "pass    Supabase mail  karto-production" in check_log
    assert "pass    delivery       karto-production" in check_log
    assert "warn    alignment      karto-production" in check_log
    assert " 0 fail, 1 warn, " in check_log
    assert clean.steps[-1].outcome == "failure"
    assert sandbox.mailbox.messages()[-1].rcpt_tos == ["monitor@karto.example"]

    httpx.patch(
        f"{runner.env['SUPABASE_API_URL']}/v1/projects/kartoprodabcdefghijk/config/auth",
        headers={"Authorization": f"Bearer {runner.secrets['SUPABASE_ACCESS_TOKEN']}"},
        json={"rate_limit_email_sent": 2},
    ).raise_for_status()
    del runner.vars["KARTO_CHECK_MAILBOX"]  # no mailbox: check sends nothing
    drifted = runner.run_job("drift", nightly)
    assert not drifted.ok
    assert drifted.step("plan").outputs["has-changes"] == "true"
    assert (
        "::error::SMTP2GO or Supabase no longer match karto.yaml"
        in drifted.step("Fail on drift").log
    )
    check = drifted.steps[-1]
    assert check.outcome != "skipped", check.log  # it ran after the failure
    assert "skip    Supabase mail" in check.log
