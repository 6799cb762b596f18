from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]

BASE_ENV = {
    "SMTP2GO_API_KEY": "api-test-key",
    "SUPABASE_ACCESS_TOKEN": "sbp_test_token",
    "SMTP_PASSWORD": "smtp-password",
    "SENDGRID_API_KEY": "sendgrid-key",
    "KARTO_SMTP_PASSWORD": "karto-password",
}


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SMTP2GO_", "SUPABASE_", "KARTO_")) or name in BASE_ENV:
            monkeypatch.delenv(name)
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the real entry point (`karto_smtp.cli.main`) in `cwd`; return code and output."""

    def _run(*args: str, cwd: Path = FIXTURES) -> Result:
        monkeypatch.chdir(cwd)
        result = run_cli(capsys, *args)
        return Result(result.exit_code, result.stdout, result.stderr)

    return _run
