"""Saved plans are promises: `apply PLANFILE` re-derives everything and refuses any difference.

Every tampered or stale file is refused with zero write requests to either service.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.cli_runner import run_cli
from tests.e2e.helpers import BASIC_CONFIG, REF, digest, write_config

OUTSIDER_REF = "outsiderprojectrefxx"


@pytest.fixture
def planfile(live, config, capsys, tmp_path):
    path = tmp_path / "karto.plan"
    result = run_cli(capsys, "plan", "--out", str(path), "-c", str(config))
    assert result.exit_code == 0, result.stderr
    live.clear_requests()
    return path


def edit(path, change):
    document = json.loads(path.read_text())
    change(document["plan"])
    path.write_text(json.dumps(document))


def change_of(plan, kind):
    return next(c for c in plan["changes"] if c["kind"] == kind)


def test_a_saved_plan_is_the_plan_json_and_applies_without_a_prompt(live, config, capsys, planfile):
    assert stat.S_IMODE(os.stat(planfile).st_mode) == 0o600
    shown = run_cli(capsys, "plan", "--format", "json", "-c", str(config)).json()
    saved = json.loads(planfile.read_text())
    assert saved["command"] == "plan" and saved["format_version"] == "2.0"
    assert saved["plan"]["changes"] == shown["plan"]["changes"]
    live.clear_requests()
    result = run_cli(capsys, "apply", str(planfile))
    assert result.exit_code == 0, result.stderr
    # It shows the plan it is about to carry out, then the result.
    assert result.stdout.startswith("Resource actions are indicated")
    assert result.stdout.endswith("Apply complete! Resources: 2 added, 1 changed, 0 destroyed.\n")
    assert "The saved plan matches karto.yaml and the live services" in result.stderr
    assert live.converged("karto", REF)


def test_a_saved_plan_holds_no_secret(live, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KARTO_SMTP_PASSWORD", "correct-horse-battery-staple-42")
    path = write_config(
        tmp_path, BASIC_CONFIG.replace("password: generate", "password: env(KARTO_SMTP_PASSWORD)")
    )
    planfile = tmp_path / "karto.plan"
    assert run_cli(capsys, "plan", "--out", str(planfile), "-c", str(path)).exit_code == 0
    text = planfile.read_text()
    assert "correct-horse" not in text
    assert digest(REF, "correct-horse-battery-staple-42") not in text
    assert run_cli(capsys, "apply", str(planfile)).exit_code == 0
    assert live.auth_config()["smtp_pass"] == digest(REF, "correct-horse-battery-staple-42")


def test_a_plan_made_stale_by_a_live_change_is_refused(live, capsys, planfile):
    live.patch_auth({"smtp_sender_name": "Changed meanwhile", "smtp_host": "smtp.example.com"})
    live.clear_requests()
    result = run_cli(capsys, "apply", str(planfile))
    assert result.exit_code == 1
    assert "Error: saved plan is stale or was edited; nothing was applied. Differences:\n" in (
        result.stderr
    )
    assert f'  supabase.auth_smtp["{REF}"]: fields: saved [' in result.stderr
    assert live.writes() == []


def test_a_plan_is_refused_when_the_config_changed(live, config, capsys, planfile):
    config.write_text(config.read_text().replace("sender_name: KARTO", "sender_name: KARTO app"))
    result = run_cli(capsys, "apply", str(planfile))
    assert result.exit_code == 1
    assert f"  {config} changed since the plan was made\n" in result.stderr
    assert live.writes() == []


def _another_ref(plan):
    project = change_of(plan, "auth_smtp")
    project["address"] = f'supabase.auth_smtp["{OUTSIDER_REF}"]'
    project["key"] = OUTSIDER_REF
    for request in project["requests"]:
        request["path"] = f"v1/projects/{OUTSIDER_REF}/config/auth"


def _another_host(plan):
    change_of(plan, "smtp_user")["requests"][0]["path"] = "https://attacker.example/collect"


def _another_path(plan):
    change_of(plan, "smtp_user")["requests"][0]["path"] = "users/smtp/remove"


def _extra_request(plan):
    change_of(plan, "smtp_user")["requests"].append(
        {"method": "POST", "path": "users/smtp/remove", "body": {"username": "legacy-app"}}
    )


def _moved_placeholder(plan):
    project = change_of(plan, "auth_smtp")
    body = project["requests"][0]["body"]
    body["smtp_sender_name"] = body.pop("smtp_pass")


def _edited_fields(plan):
    change_of(plan, "smtp_user")["fields"].append(
        {"field": "audit_email", "after": "x@evil.example"}
    )


def _audit_email(plan):
    change_of(plan, "smtp_user")["requests"][0]["body"]["audit_email"] = "x@evil.example"


def _removed_change(plan):
    plan["changes"] = [c for c in plan["changes"] if c["kind"] != "single_sender"]


def _extra_change(plan):
    plan["changes"].append(
        {
            "address": 'smtp2go.smtp_user["legacy-app"]',
            "provider": "smtp2go",
            "kind": "smtp_user",
            "key": "legacy-app",
            "action": "delete",
            "requests": [
                {"method": "POST", "path": "users/smtp/remove", "body": {"username": "legacy-app"}}
            ],
        }
    )


@pytest.mark.parametrize(
    "tamper",
    [
        _another_ref,
        _another_host,
        _another_path,
        _extra_request,
        _moved_placeholder,
        _edited_fields,
        _audit_email,
        _removed_change,
        _extra_change,
    ],
)
def test_an_edited_plan_file_is_refused_with_zero_writes(live, capsys, planfile, tamper):
    live.smtp2go.post("/users/smtp/add", json={"username": "legacy-app"}).raise_for_status()
    live.clear_requests()
    edit(planfile, tamper)
    result = run_cli(capsys, "apply", str(planfile))
    assert result.exit_code == 1
    assert "saved plan is stale or was edited; nothing was applied" in result.stderr
    assert live.writes() == []
    assert {u["username"] for u in live.users()} == {"legacy-app"}
    assert live.auth_config()["smtp_host"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01binary\xff", "is not a karto-smtp plan (not UTF-8 text)"),
        (b"[" * 100_000 + b"]" * 100_000, "is not a karto-smtp plan (nested too deeply)"),
        (b"{}", "is not a karto-smtp plan (make one with `plan --out`)"),
        (b'{"command": "plan", "format_version": "1.0"}', "format 1.0 is not the one"),
        (b"not json", "is not a karto-smtp plan (not JSON: Expecting value at line 1)"),
        (
            b'{"command": "plan", "format_version": "2.0", "plan": {"config": '
            b'{"path": "k", "digest": "d"}, "extra": 1}}',
            "is not a valid plan: extra: not a key of a plan",
        ),
        (
            b'{"command": "plan", "format_version": "2.0", "plan": {"config": {"path": "k"}}}',
            "is not a valid plan: config.digest: Field required",
        ),
        (
            b'{"command": "plan", "format_version": "2.0", "plan": {"config": '
            b'{"path": "k", "digest": "d"}, "changes": [{"address": "a", "provider": "p", '
            b'"kind": "k", "key": "k", "action": "explode"}]}}',
            "is not a valid plan: changes.0.action: Input should be 'create', 'update', "
            "'delete' or 'no-op'",
        ),
    ],
)
def test_a_broken_plan_file_is_one_line(live, capsys, tmp_path, content, message):
    path = tmp_path / "broken.plan"
    path.write_bytes(content)
    result = run_cli(capsys, "apply", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert live.requests() == []


def test_out_refuses_to_overwrite_the_config(live, config, capsys):
    before = config.read_text()
    result = run_cli(capsys, "plan", "--out", str(config), "-c", str(config))
    assert result.exit_code == 1
    assert "that is the config the plan was made from" in result.stderr
    assert config.read_text() == before
    assert live.requests() == []


def test_out_never_follows_a_symlink(live, config, capsys, tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    link = tmp_path / "karto.plan"
    link.symlink_to(target)
    result = run_cli(capsys, "plan", "--out", str(link), "-c", str(config))
    assert result.exit_code == 1
    assert f"--out {link}: is a symbolic link; name a regular file" in result.stderr
    assert target.read_text() == "keep me\n"
    assert live.requests() == []


def test_out_into_a_missing_folder_is_one_line(live, config, capsys, tmp_path):
    result = run_cli(capsys, "plan", "--out", str(tmp_path / "no" / "such.plan"), "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: --out {tmp_path / 'no' / 'such.plan'}: folder {tmp_path / 'no'} does not exist"
    )


def test_show_renders_a_saved_plan_without_reading_any_service(live, config, capsys, planfile):
    text = run_cli(capsys, "show", str(planfile))
    assert text.exit_code == 0
    assert text.stdout == run_cli(capsys, "plan", "-c", str(config)).stdout
    live.clear_requests()
    as_json = run_cli(capsys, "show", str(planfile), "--format", "json")
    assert as_json.json()["plan"]["changes"] == json.loads(planfile.read_text())["plan"]["changes"]
    markdown = run_cli(capsys, "show", str(planfile), "--format", "markdown")
    assert markdown.stdout.startswith("### karto-smtp plan\n")
    assert live.requests() == []


def test_out_into_a_folder_that_cannot_be_written_is_one_line(live, config, capsys, tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes anywhere: the permission check cannot fail")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_cli(capsys, "plan", "--out", str(locked / "karto.plan"), "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: --out {locked / 'karto.plan'}: folder {locked} is not writable"
    )
    assert live.requests() == []
