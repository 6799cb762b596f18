"""One colour decision for every command, and examples under every command's --help."""

from __future__ import annotations

import io

import click
import pytest

from karto_smtp.cli import COMMANDS, color_enabled
from tests.cli_runner import run_cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, True, True),
        ({"FORCE_COLOR": "false"}, False, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, False),
    ],
)
def test_colour_decision(environ, terminal, expected):
    stream = Terminal() if terminal else io.StringIO()
    assert color_enabled(stream, environ) is expected


SEEN: list[bool] = []


@click.command()
def probe() -> None:
    SEEN.append(color_enabled(Terminal()))


def test_no_color_flag_wins_over_force_color(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setitem(COMMANDS, "probe-colour", (f"{__name__}:probe", "test probe"))
    SEEN.clear()
    from karto_smtp.cli import cli

    cli.main(["--no-color", "probe-colour"], standalone_mode=False)
    cli.main(["probe-colour"], standalone_mode=False)
    assert SEEN == [False, True]


def test_force_color_keeps_escape_codes_in_a_pipe(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "karto.yaml").write_text("version: 1\n")
    result = run_cli(capsys, "check")
    assert result.stdout.startswith("Nothing to check")
    assert "\x1b[" not in result.stdout  # nothing to colour: only status words are coloured
    assert run_cli(capsys, "--no-color", "check").exit_code == 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_shows_examples(capsys, command):
    result = run_cli(capsys, command, "--help")
    assert result.exit_code == 0
    examples = [line.strip() for line in result.stdout.split("Examples:\n", 1)[1].splitlines()]
    assert examples and all(
        line.startswith(("# ", "$ karto-smtp ", "$ . ./sandbox.env")) for line in examples
    ), examples
    assert any(line.startswith(f"$ karto-smtp {command}") for line in examples)


def test_shell_completion_as_documented_completes_commands():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "karto-smtp"
    env = {
        **os.environ,
        "_KARTO_SMTP_COMPLETE": "bash_complete",
        "COMP_WORDS": "karto-smtp im",
        "COMP_CWORD": "1",
    }
    completed = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert completed.stdout.splitlines() == ["plain,import"]
    source = subprocess.run(
        [str(script)],
        env={**os.environ, "_KARTO_SMTP_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "complete -o nosort -F _karto_smtp_completion karto-smtp" in source.stdout
