"""`karto-smtp init`: from flags and from answers, validated before it is written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from tests.cli_runner import run_cli

REF = "kartoprodabcdefghijk"


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SMTP2GO_API_KEY", "SUPABASE_ACCESS_TOKEN", "KARTO_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_flags_write_a_file_that_validates(capsys):
    result = run_cli(
        capsys,
        "init",
        "--non-interactive",
        "--smtp-user",
        "karto-auth",
        "--sender",
        "auth@karto.example",
        "--project",
        f"{REF}:production",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Wrote karto.yaml. Next: karto-smtp validate, then karto-smtp plan."
    )
    text = Path("karto.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=karto.schema.json\n")
    assert yaml.safe_load(text) == {
        "version": 1,
        "smtp2go": {
            "plan": {"name": "free", "monthly_quota": 1000},
            "senders": {"emails": [{"address": "auth@karto.example"}]},
            "smtp_users": [
                {
                    "username": "karto-auth",
                    "description": "Supabase Auth mail",
                    "status": "allowed",
                    "password": "generate",
                }
            ],
        },
        "supabase": {
            "projects": [
                {
                    "ref": REF,
                    "name": "production",
                    "auth": {
                        "smtp": {
                            "relay": {"smtp2go_user": "karto-auth", "port": 587},
                            "admin_email": "auth@karto.example",
                            "rate_limit_email_sent": 30,
                        }
                    },
                }
            ]
        },
    }
    checked = run_cli(capsys, "validate")
    assert checked.exit_code == 0
    assert checked.stdout == (
        "karto.yaml: valid (2 SMTP2GO objects, 1 Supabase project; 1 warning; 2 notes)\n"
    )


def test_questions_ask_again_after_a_bad_answer(capsys, monkeypatch):
    answers = "\n".join(
        [
            "help@karto.example",  # an email as username: asked again
            "",  # the default username
            "not-an-address",  # asked again
            "auth@karto.example",
            "KARTO",
            "Prod",  # not a ref: asked again
            f"{REF}:production",
            "",
        ]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(answers + "\n"))
    result = run_cli(capsys, "init")
    assert result.exit_code == 0, result.stderr
    assert "Error: 'help@karto.example' looks like an email address" in result.stderr
    assert "Error: 'not-an-address' is not an email address" in result.stderr
    assert "Error: 'Prod' is not a project ref" in result.stderr
    data = yaml.safe_load(Path("karto.yaml").read_text())
    assert data["smtp2go"]["smtp_users"][0]["username"] == "karto-auth"
    smtp = data["supabase"]["projects"][0]["auth"]["smtp"]
    assert (smtp["admin_email"], smtp["sender_name"]) == ("auth@karto.example", "KARTO")


def test_refuses_to_overwrite_and_bad_flags_write_nothing(capsys):
    Path("karto.yaml").write_text("version: 1\n")
    refused = run_cli(capsys, "init", "--non-interactive", "--sender", "a@karto.example")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: karto.yaml already exists; pass --force")
    assert Path("karto.yaml").read_text() == "version: 1\n"

    missing = run_cli(capsys, "init", "--non-interactive", "-o", "other.yaml")
    assert missing.stderr == (
        "Error: --non-interactive needs --sender ADDRESS (the From address)\n"
    )
    bad = run_cli(
        capsys,
        "init",
        "--non-interactive",
        "--sender",
        "a@karto.example",
        "--project",
        "x:y",
        "-o",
        "other.yaml",
    )
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: --project x:y: 'x' is not a project ref")
    assert not Path("other.yaml").exists()


def test_dash_prints_the_file(capsys):
    result = run_cli(capsys, "init", "--non-interactive", "--sender", "a@karto.example", "-o", "-")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["smtp2go"]["senders"]["emails"] == [
        {"address": "a@karto.example"}
    ]
    assert "supabase" not in yaml.safe_load(result.stdout)
