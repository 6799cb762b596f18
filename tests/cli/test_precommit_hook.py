"""The pre-commit hook as shipped: `.pre-commit-hooks.yaml` run the way pre-commit runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

VALID = """\
version: 1
smtp2go:
  senders: {emails: [{address: auth@karto.example}]}
  smtp_users:
    - {username: karto-auth, password: generate}
supabase:
  projects:
    - ref: kartoprodabcdefghijk
      name: production
      auth:
        smtp:
          relay: {smtp2go_user: karto-auth}
          admin_email: auth@karto.example
"""


def hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (only,) = hooks
    return only


def run_hook(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """What pre-commit does: the entry, then the staged file names that match `files`."""
    entry = hook()["entry"].split()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SMTP2GO_", "SUPABASE_", "KARTO_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [*entry, *(str(f.relative_to(cwd)) for f in files)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_hook_metadata_names_the_installed_command():
    spec = hook()
    assert spec["id"] == "karto-smtp-validate"
    assert spec["language"] == "python"
    assert spec["pass_filenames"] is True
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert spec["entry"].split()[0] in scripts


def test_hook_matches_karto_files_only():
    pattern = re.compile(hook()["files"])
    assert [
        name
        for name in (
            "karto.yaml",
            "deploy/karto.yml",
            "karto.yaml.bak",
            "xkarto.yaml",
            "ops/karto.yaml",
            "other.yaml",
        )
        if pattern.search(name)
    ] == [
        "karto.yaml",
        "deploy/karto.yml",
        "ops/karto.yaml",
    ]


def test_hook_passes_without_credentials_and_reports_notes(tmp_path):
    good = tmp_path / "karto.yaml"
    good.write_text(VALID)
    result = run_hook([good], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("karto.yaml: valid (2 SMTP2GO objects, 1 Supabase project; 2 notes)\n")
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == ["note", "note"]


def test_hook_fails_on_any_invalid_file_and_checks_them_all(tmp_path):
    good = tmp_path / "karto.yaml"
    good.write_text(VALID)
    bad = tmp_path / "staging" / "karto.yaml"
    bad.parent.mkdir()
    bad.write_text(
        VALID.replace("relay: {smtp2go_user: karto-auth}", "relay: {smtp2go_user: kart}")
    )
    result = run_hook([good, bad], tmp_path)
    assert result.returncode == 1
    assert result.stdout == "karto.yaml: valid (2 SMTP2GO objects, 1 Supabase project; 2 notes)\n"
    assert result.stderr.splitlines()[-3:] == [
        "staging/karto.yaml:12:19: error: supabase.projects[0].auth.smtp.relay.smtp2go_user: "
        "SMTP2GO user 'kart' is not declared; declare it under smtp2go.smtp_users "
        "(declared: karto-auth) [relay-unknown-user]",
        "staging/karto.yaml: invalid (1 error)",
        "Error: 1 of 2 files are invalid",
    ]
    assert "Traceback" not in result.stderr
