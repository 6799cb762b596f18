"""The password hand-off against the sandbox: every way it used to break silently.

Each scenario ends with the final state of BOTH services: the SMTP2GO user's password and
every project's stored password agree, or the next `plan --detailed-exitcode` exits 2 and
one apply makes them agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.cli_runner import run_cli
from tests.e2e.helpers import BASIC_CONFIG, OTHER_REF, REF, digest, write_config

NO_CHANGES = "No changes. SMTP2GO and Supabase match karto.yaml.\n"
ENVELOPE_ERROR = {
    "request_id": "x",
    "data": {"error": "Something went wrong", "error_code": "E_ApiResponseCodes.API_EXCEPTION"},
}

TWO_PROJECTS = (
    BASIC_CONFIG
    + f"""\
    - ref: {OTHER_REF}
      name: karto-staging
      auth:
        smtp:
          relay:
            smtp2go_user: karto
            port: 2525
          admin_email: karto.help@ro.ru
          sender_name: KARTO staging
"""
)


def apply(capsys, path, *extra):
    return run_cli(capsys, "apply", "--auto-approve", *extra, "-c", str(path))


def detailed_plan(capsys, path):
    return run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(path))


def clear_faults(live):
    for url in (live.env["SUPABASE_API_URL"], live.env["KARTO_SANDBOX_URL"]):
        httpx.delete(url + "/_sandbox/faults").raise_for_status()


def assert_heals(live, capsys, path, *refs):
    """Not converged now; the next plan says so (exit 2) and one apply converges."""
    assert not live.converged("karto", *refs)
    assert detailed_plan(capsys, path).exit_code == 2
    result = apply(capsys, path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert live.converged("karto", *refs)
    live.verify_sender("karto.help@ro.ru")
    assert detailed_plan(capsys, path).exit_code == 0


def test_first_apply_hands_one_password_to_both_projects(live, capsys, tmp_path):
    path = write_config(tmp_path, TWO_PROJECTS)
    assert apply(capsys, path).exit_code == 0
    assert live.converged("karto", REF, OTHER_REF)
    assert live.auth_config(OTHER_REF)["smtp_port"] == "2525"


def test_rotation_while_supabase_is_down_is_caught_by_the_next_plan(live, config, capsys):
    assert apply(capsys, config).exit_code == 0
    old = live.password_of("karto")
    live.fault(live.env["SUPABASE_API_URL"], kind="status", method="PATCH", status=500, times=10)
    result = apply(capsys, config, "--rotate-password", "karto")
    assert result.exit_code == 1
    assert live.password_of("karto") != old  # SMTP2GO took the new one, Supabase did not
    assert "one `karto-smtp apply` finishes the job" in result.stdout
    assert (
        f'the password of SMTP2GO user karto was set on smtp2go.smtp_user["karto"] but did '
        f'not reach supabase.auth_smtp["{REF}"]'
    ) in result.stderr
    clear_faults(live)
    plan = run_cli(capsys, "plan", "-c", str(config))
    assert "project karto-production no longer holds the password of SMTP2GO user karto" in (
        plan.stdout
    )
    assert_heals(live, capsys, config, REF)


def test_a_wiped_project_gets_the_new_password_together_with_the_other(live, capsys, tmp_path):
    path = write_config(tmp_path, TWO_PROJECTS)
    assert apply(capsys, path).exit_code == 0
    live.patch_auth({"smtp_host": ""}, ref=OTHER_REF)  # a dashboard Auth Hooks edit
    plan = run_cli(capsys, "plan", "-c", str(path))
    assert plan.stdout.startswith(
        "Note: objects changed outside karto-smtp since it last wrote them:\n"
        f'  supabase.auth_smtp["{OTHER_REF}"]: no longer holds the password of SMTP2GO user '
        "karto that karto-smtp handed to it\n"
    )
    assert plan.stdout.endswith("Plan: 0 to add, 3 to change, 0 to destroy.\n")
    assert apply(capsys, path).exit_code == 0
    assert live.converged("karto", REF, OTHER_REF)
    live.verify_sender("karto.help@ro.ru")
    assert detailed_plan(capsys, path).exit_code == 0


def test_a_new_password_whose_answer_is_lost_is_caught_by_the_next_plan(
    live, config, capsys, monkeypatch
):
    """SMTP2GO takes the new password, but its answer arrives after karto-smtp gave up."""
    assert apply(capsys, config).exit_code == 0
    old = live.password_of("karto")
    monkeypatch.setenv("KARTO_HTTP_READ_TIMEOUT", "0.5")
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="latency",
        method="PATCH",
        path="/v3/users/smtp/edit",
        seconds=1.0,
        times=1,
    )
    result = apply(capsys, config, "--rotate-password", "karto")
    assert result.exit_code == 1
    assert (
        "no answer within 0.5 s; not retried: the change may have been made, and "
        "`karto-smtp plan` shows whether it was\n"
    ) in result.stdout
    assert f'  not attempted: supabase.auth_smtp["{REF}"] (update)' in result.stdout
    # The sandbox carries the write out once its delay is over.
    until = time.monotonic() + 10
    while live.password_of("karto") == old and time.monotonic() < until:
        time.sleep(0.05)
    assert live.password_of("karto") != old
    monkeypatch.delenv("KARTO_HTTP_READ_TIMEOUT")
    assert_heals(live, capsys, config, REF)


def test_a_failed_second_project_on_the_first_apply_heals_in_one_apply(live, capsys, tmp_path):
    path = write_config(tmp_path, TWO_PROJECTS)
    live.fault(
        live.env["SUPABASE_API_URL"],
        kind="status",
        method="PATCH",
        path=f"/v1/projects/{OTHER_REF}/config/auth",
        status=500,
        times=10,
    )
    assert apply(capsys, path).exit_code == 1
    clear_faults(live)
    assert live.converged("karto", REF)
    assert_heals(live, capsys, path, REF, OTHER_REF)


def test_taking_over_a_hand_made_setup_sets_one_new_password_once(live, capsys, config):
    live.smtp2go.post(
        "/users/smtp/add",
        json={"username": "karto", "description": "KARTO Supabase Auth", "status": "allowed"},
    ).raise_for_status()
    live.smtp2go.post(
        "/single_sender_emails/add", json={"email_address": "karto.help@ro.ru"}
    ).raise_for_status()
    live.verify_sender("karto.help@ro.ru")
    typed = live.password_of("karto") + " "  # pasted with a trailing space
    live.patch_auth(
        {
            "smtp_host": "mail.smtp2go.com",
            "smtp_port": "587",
            "smtp_user": "karto",
            "smtp_pass": typed,
            "smtp_admin_email": "karto.help@ro.ru",
            "smtp_sender_name": "KARTO",
            "smtp_max_frequency": 60,
        }
    )
    live.patch_auth({"rate_limit_email_sent": 30})
    plan = run_cli(capsys, "plan", "--detailed-exitcode", "-c", str(config))
    assert plan.exit_code == 2
    assert (
        "  # (take-over: karto-smtp has not handed over the password of SMTP2GO user karto "
        "before (no hand-off record on SMTP2GO user karto); one new password is made and set "
        "on both sides, once)\n"
    ) in plan.stdout
    assert "was generated" not in plan.stdout
    assert plan.stdout.endswith("Plan: 0 to add, 2 to change, 0 to destroy.\n")
    assert apply(capsys, config).exit_code == 0
    assert live.converged("karto", REF)
    assert detailed_plan(capsys, config).exit_code == 0


def _apply_process(live, path):
    env = {**os.environ, **live.env, "NO_COLOR": "1", "KARTO_HTTP_BACKOFF": "0.01"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "karto_smtp",
            "apply",
            "--auto-approve",
            "--rotate-password",
            "karto",
            "-c",
            str(path),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(process, text, timeout=30.0):
    """Read the process's stderr until `text` appears; return what was read."""
    import selectors
    import time

    seen = ""
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        if selector.select(timeout=0.1):
            line = process.stderr.readline()
            if not line:
                break
            seen += line
    return seen


def test_two_concurrent_applies_leave_no_split_that_the_next_plan_calls_clean(
    live, capsys, tmp_path
):
    """Run A sets SMTP2GO, run B does everything, then A's slow Supabase writes land."""
    path = write_config(tmp_path, TWO_PROJECTS)
    assert apply(capsys, path).exit_code == 0
    live.verify_sender("karto.help@ro.ru")
    live.fault(live.env["SUPABASE_API_URL"], kind="latency", method="PATCH", seconds=2.5, times=2)
    first = _apply_process(live, path)
    _wait_for(first, 'smtp2go.smtp_user["karto"]: done')
    second = _apply_process(live, path)
    second_out = second.communicate(timeout=60)
    first_out = first.communicate(timeout=60)
    assert second.returncode == 0, second_out
    # Whichever way the writes landed, the run whose record was replaced says so.
    assert first.returncode == 1, first_out
    assert "SMTP2GO user karto changed while this apply ran" in first_out[1]
    clear_faults(live)
    if live.converged("karto", REF, OTHER_REF):
        # The second run's writes landed last (a slow machine): the services agree.
        assert detailed_plan(capsys, path).exit_code == 0
    else:
        # The first run's old password landed last: the split the next plan must show.
        assert_heals(live, capsys, path, REF, OTHER_REF)


@pytest.mark.parametrize(
    "path",
    ["/v3/single_sender_emails/add", "/v3/users/smtp/add"],
)
def test_a_200_error_envelope_on_a_create_is_a_failure(live, config, capsys, path):
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        method="POST",
        path=path,
        status=200,
        body=ENVELOPE_ERROR,
        times=1,
    )
    result = apply(capsys, config)
    assert result.exit_code == 1
    assert "Apply complete" not in result.stdout
    assert "Something went wrong [E_ApiResponseCodes.API_EXCEPTION]" in result.stdout
    assert detailed_plan(capsys, config).exit_code == 2
    assert apply(capsys, config).exit_code == 0
    assert live.converged("karto", REF)


def test_a_200_error_envelope_on_a_password_change_changes_nothing(live, config, capsys):
    assert apply(capsys, config).exit_code == 0
    before = live.password_of("karto")
    live.fault(
        live.env["KARTO_SANDBOX_URL"],
        kind="status",
        method="PATCH",
        path="/v3/users/smtp/edit",
        status=200,
        body=ENVELOPE_ERROR,
        times=1,
    )
    result = apply(capsys, config, "--rotate-password", "karto")
    assert result.exit_code == 1
    assert f'  not attempted: supabase.auth_smtp["{REF}"] (update)' in result.stdout
    assert live.password_of("karto") == before
    assert live.converged("karto", REF)


@pytest.mark.parametrize("check", ["after_merge", "before_merge"])
def test_the_email_rate_limit_rule_holds_either_way(live, config, capsys, check):
    live.supabase_options(email_rate_limit_check=check)
    result = apply(capsys, config)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert live.auth_config()["rate_limit_email_sent"] == 30
    assert live.converged("karto", REF)
    live.verify_sender("karto.help@ro.ru")
    assert detailed_plan(capsys, config).exit_code == 0


def test_a_masked_password_is_not_compared_and_never_loops(live, config, capsys):
    assert apply(capsys, config).exit_code == 0
    live.verify_sender("karto.help@ro.ru")
    live.supabase_options(smtp_pass_view="masked")
    live.clear_requests()
    plan = detailed_plan(capsys, config)
    assert plan.exit_code == 0
    assert (
        f'  supabase.auth_smtp["{REF}"]: cannot tell whether it holds the password of SMTP2GO '
        'user karto: the service shows "****" (masked); `karto-smtp check --via-supabase` '
        "proves it by sending a mail\n"
    ) in plan.stdout
    assert apply(capsys, config).exit_code == 0
    assert live.writes() == []


def test_a_patch_that_clears_an_unsent_password_is_reported_and_healed(live, config, capsys):
    assert apply(capsys, config).exit_code == 0
    live.supabase_options(partial_smtp_patch="clears_password")
    config.write_text(config.read_text().replace("sender_name: KARTO", "sender_name: KARTO app"))
    result = apply(capsys, config)
    assert result.exit_code == 1
    assert (
        "the service cleared smtp_pass although it was not sent; `karto-smtp plan` now "
        "proposes a new one on both sides"
    ) in result.stdout
    assert live.auth_config()["smtp_sender_name"] == "KARTO app"
    assert_heals(live, capsys, config, REF)


def test_a_known_password_goes_along_so_a_clearing_patch_cannot_drop_it(
    live, capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "correct-horse-battery-staple-42")
    path = write_config(
        tmp_path, BASIC_CONFIG.replace("password: generate", "password: env(KARTO_SMTP_PASSWORD)")
    )
    assert apply(capsys, path).exit_code == 0
    live.supabase_options(partial_smtp_patch="clears_password")
    path.write_text(path.read_text().replace("max_frequency: 60", "max_frequency: 30"))
    assert apply(capsys, path).exit_code == 0
    assert live.auth_config()["smtp_pass"] == digest(REF, "correct-horse-battery-staple-42")


def test_rotate_password_forces_a_new_one_on_both_sides(live, config, capsys):
    assert apply(capsys, config).exit_code == 0
    old_password = live.password_of("karto")
    live.clear_requests()
    result = apply(capsys, config, "--rotate-password", "karto")
    assert result.exit_code == 0, result.stderr
    assert [(w["method"], w["path"], sorted(w["body"])) for w in live.writes()] == [
        ("PATCH", "/v3/users/smtp/edit", ["description", "email_password", "username"]),
        (
            "PATCH",
            f"/v1/projects/{REF}/config/auth",
            sorted(
                [
                    "smtp_host",
                    "smtp_port",
                    "smtp_user",
                    "smtp_pass",
                    "smtp_admin_email",
                    "smtp_sender_name",
                ]
            ),
        ),
    ]
    assert live.password_of("karto") != old_password
    assert live.converged("karto", REF)


def test_a_known_password_is_compared_through_the_digest(live, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "correct-horse-battery-staple-42")
    path = write_config(
        tmp_path, BASIC_CONFIG.replace("password: generate", "password: env(KARTO_SMTP_PASSWORD)")
    )
    assert apply(capsys, path).exit_code == 0
    assert live.auth_config()["smtp_pass"] == digest(REF, "correct-horse-battery-staple-42")
    live.verify_sender("karto.help@ro.ru")
    assert run_cli(capsys, "plan", "-c", str(path)).stdout.endswith(NO_CHANGES)
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "a-new-password-from-the-vault-77")
    plan = run_cli(capsys, "plan", "-c", str(path))
    assert "      ~ smtp_pass = (sensitive value) -> (sensitive value)\n" in plan.stdout
    assert "      ~ email_password = (sensitive value) -> (sensitive value)\n" in plan.stdout
    assert "a-new-password" not in plan.stdout + plan.stderr
    assert apply(capsys, path).exit_code == 0
    assert live.password_of("karto") == "a-new-password-from-the-vault-77"
    assert live.converged("karto", REF)
    assert run_cli(capsys, "plan", "-c", str(path)).stdout.endswith(NO_CHANGES)


def test_the_plan_json_says_what_happens_to_each_password(live, capsys, tmp_path):
    path = write_config(tmp_path, TWO_PROJECTS)
    assert apply(capsys, path).exit_code == 0
    live.patch_auth({"smtp_host": ""}, ref=OTHER_REF)
    document = json.loads(run_cli(capsys, "plan", "--format", "json", "-c", str(path)).stdout)
    assert document["plan"]["handoffs"] == [
        {
            "credential": 'smtp2go.smtp_user["karto"].password',
            "label": "the password of SMTP2GO user karto",
            "producer": 'smtp2go.smtp_user["karto"]',
            "generated": True,
            "decision": "repair",
            "producer_written": True,
            "consumers": [
                {"address": f'supabase.auth_smtp["{REF}"]', "state": "in-sync", "receives": True},
                {
                    "address": f'supabase.auth_smtp["{OTHER_REF}"]',
                    "state": "unset",
                    "receives": True,
                },
            ],
            "reason": "project karto-staging no longer holds the password of SMTP2GO user "
            "karto, which was generated and cannot be read back: a new one is made, set on "
            "both sides and handed to every resource that uses it",
        }
    ]
