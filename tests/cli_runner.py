"""Run the real `karto-smtp` entry point in-process, with its error handling and exit codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from karto_smtp.cli import main


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    capsys.readouterr()
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
