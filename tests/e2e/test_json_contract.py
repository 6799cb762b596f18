"""Every `--format json` output, in every exit path, is one envelope that the published
schema (karto_smtp/views/output.schema.json) accepts; the schema is what the code builds."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from karto_smtp.views import output_schema
from tests.cli_runner import run_cli
from tests.e2e.helpers import BASIC_CONFIG, write_config

SCHEMA_FILE = Path(output_schema.__file__).with_name("output.schema.json")
SCHEMA = json.loads(SCHEMA_FILE.read_text())


def envelope_of(result) -> dict:
    document = json.loads(result.stdout)  # exactly one JSON document on stdout
    jsonschema.validate(document, SCHEMA)
    return document


def test_the_committed_schema_is_the_one_the_code_builds():
    assert SCHEMA_FILE.read_text() == output_schema.render()


def test_plan_changes_no_changes_and_error(live, config, capsys):
    changes = envelope_of(run_cli(capsys, "plan", "--format", "json", "-c", str(config)))
    assert (changes["command"], changes["status"]) == ("plan", "changes")
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    live.verify_sender("karto.help@ro.ru")
    none = envelope_of(run_cli(capsys, "plan", "--format", "json", "-c", str(config)))
    assert none["status"] == "no-changes"
    missing = run_cli(capsys, "plan", "--format", "json", "-c", "nowhere.yaml")
    assert missing.exit_code == 1
    error = envelope_of(missing)
    assert (error["status"], error["errors"][0]["code"]) == ("error", "config")
    assert error["errors"][0]["message"].startswith("nowhere.yaml: ")


def test_apply_success_no_changes_partial_and_stale(live, config, capsys, tmp_path):
    planfile = tmp_path / "karto.plan"
    assert run_cli(capsys, "plan", "--out", str(planfile), "-c", str(config)).exit_code == 0
    live.fault(live.env["SUPABASE_API_URL"], kind="status", method="PATCH", status=500, times=10)
    partial = run_cli(capsys, "apply", "--auto-approve", "--format", "json", "-c", str(config))
    assert partial.exit_code == 1
    assert envelope_of(partial)["status"] == "partial"
    stale = run_cli(capsys, "apply", str(planfile), "--format", "json")
    assert stale.exit_code == 1
    assert envelope_of(stale)["errors"][0]["code"] == "stale-plan"


def test_apply_no_changes_prints_the_envelope_too(live, config, capsys):
    assert run_cli(capsys, "apply", "--auto-approve", "-c", str(config)).exit_code == 0
    live.verify_sender("karto.help@ro.ru")
    again = run_cli(capsys, "apply", "--auto-approve", "--format", "json", "-c", str(config))
    assert again.exit_code == 0
    document = envelope_of(again)
    assert (document["status"], document["apply"]["results"]) == ("no-changes", [])


def test_validate_valid_invalid_and_unreadable(capsys, tmp_path):
    good = write_config(tmp_path, BASIC_CONFIG)
    valid = run_cli(capsys, "validate", "--format", "json", "-c", str(good))
    assert (valid.exit_code, envelope_of(valid)["status"]) == (0, "valid")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nsmtp2go:\n  smtp_users:\n    - username: a\n")
    invalid = run_cli(capsys, "validate", "--format", "json", "-c", str(bad))
    document = envelope_of(invalid)
    assert (invalid.exit_code, document["status"]) == (1, "invalid")
    finding = document["validate"]["files"][0]["findings"][0]
    assert finding["location"] == f"{bad}:4:7" and finding["severity"] == "error"


def test_check_ok_and_failed(live, config, capsys):
    failed = run_cli(capsys, "check", "--format", "json", "-c", str(config))
    assert failed.exit_code == 1
    assert envelope_of(failed)["status"] == "failed"


def test_a_usage_error_still_answers_in_json(capsys):
    result = run_cli(capsys, "plan", "--format", "json", "--no-such-option")
    assert result.exit_code == 1
    document = envelope_of(result)
    assert (document["command"], document["errors"][0]["code"]) == ("plan", "usage")


@pytest.mark.parametrize("command", ["plan", "apply", "check", "validate", "show"])
def test_every_command_answers_a_missing_file_in_json(capsys, command, tmp_path):
    args = [command, "--format", "json"]
    args += [str(tmp_path / "missing.plan")] if command == "show" else ["-c", "missing.yaml"]
    result = run_cli(capsys, *args)
    assert result.exit_code == 1
    document = envelope_of(result)
    assert document["command"] == command and document["status"] in ("error", "invalid")


def test_import_written_and_refused(live, capsys, tmp_path):
    live.smtp2go.post("/users/smtp/add", json={"username": "karto-auth"}).raise_for_status()
    out = tmp_path / "imported.yaml"
    written = run_cli(capsys, "import", "--all", "--format", "json", "-o", str(out))
    assert written.exit_code == 0, written.stderr
    document = envelope_of(written)
    assert (document["status"], document["import"]["output"]) == ("written", str(out))
    refused = run_cli(capsys, "import", "--all", "--format", "json", "-o", "-")
    assert refused.exit_code == 1
    assert envelope_of(refused)["errors"][0]["code"] == "error"
