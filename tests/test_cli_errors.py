"""The top-level error path: one line for anything unexpected, --debug for the traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from karto_smtp import log
from tests.cli_runner import run_cli

CONFIG = "version: 1\nsmtp2go:\n  api_key: env(KARTO_TEST_API_KEY)\n"
CANARY = "canary-api-key-7f3a9c"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "karto.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("KARTO_TEST_API_KEY", CANARY)
    monkeypatch.delenv("KARTO_LOG", raising=False)
    yield path
    log.setup_logging(False)


@pytest.fixture
def broken_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in for a bug: the config loader raises something no handler expects."""

    def load_config(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom:\n  second line of detail")

    monkeypatch.setattr("karto_smtp.cli.validate.load_config", load_config)


def test_unexpected_exception_is_one_line(capsys, config, broken_loader) -> None:
    result = run_cli(capsys, "validate", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unexpected RuntimeError: boom: second line of detail; "
        "run with --debug for details\n"
    )
    assert result.stdout == ""


def test_unexpected_exception_text_is_cut(capsys, config, monkeypatch) -> None:
    def load_config(*_args: object, **_kwargs: object) -> None:
        raise ValueError("x" * 1000)

    monkeypatch.setattr("karto_smtp.cli.validate.load_config", load_config)
    result = run_cli(capsys, "validate", "-c", str(config))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unexpected ValueError: " + "x" * 199 + "…; run with --debug for details\n"
    )


def test_debug_flag_shows_the_traceback(capsys, config, broken_loader) -> None:
    result = run_cli(capsys, "--debug", "validate", "-c", str(config))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert "Traceback (most recent call last):" in lines
    assert lines[-2:] == ["RuntimeError: boom:", "  second line of detail"]
    assert "run with --debug" not in result.stderr


def test_karto_log_debug_shows_the_traceback(capsys, config, broken_loader, monkeypatch) -> None:
    monkeypatch.setenv("KARTO_LOG", "DEBUG")
    result = run_cli(capsys, "validate", "-c", str(config))
    assert result.exit_code == 1
    assert "Traceback (most recent call last):" in result.stderr


def test_debug_logs_on_stderr_and_keeps_stdout_clean(capsys, config) -> None:
    result = run_cli(capsys, "--debug", "validate", "-c", str(config))
    assert result.exit_code == 0
    assert result.stdout == "karto.yaml: valid (0 SMTP2GO objects)\n".replace(
        "karto.yaml", str(config)
    )
    debug_lines = [line.split(" ", 2)[2] for line in result.stderr.splitlines()]
    assert debug_lines[0].startswith("karto_smtp.cli: karto-smtp 0.1.0, Python 3.")
    assert debug_lines[0].endswith(", command validate")
    assert debug_lines[1].startswith(
        f"karto_smtp.config.load: read {config}: {len(CONFIG)} bytes, sha256 "
    )
    assert all(line.startswith("debug ") for line in result.stderr.splitlines())
    assert CANARY not in result.stderr


def test_debug_is_off_by_default_and_after_a_debug_run(capsys, config) -> None:
    run_cli(capsys, "--debug", "validate", "-c", str(config))
    result = run_cli(capsys, "validate", "-c", str(config))
    assert (result.exit_code, result.stderr) == (0, "")
    assert logging.getLogger("karto_smtp").getEffectiveLevel() == logging.WARNING


def test_ctrl_c_exits_130(capsys, config, monkeypatch) -> None:
    def load_config(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("karto_smtp.cli.validate.load_config", load_config)
    result = run_cli(capsys, "validate", "-c", str(config))
    # click writes a newline first, so the message starts on its own line after ^C.
    assert (result.exit_code, result.stderr) == (130, "\nInterrupted.\n")


def test_setup_logging_can_be_called_again() -> None:
    log.setup_logging(True)
    log.setup_logging(True)
    logger = logging.getLogger("karto_smtp")
    assert len(logger.handlers) == 1 and logger.level == logging.DEBUG
    log.setup_logging(False)
    assert logger.handlers == [] and not log.debug_enabled()


def test_debug_requested() -> None:
    assert log.debug_requested({"KARTO_LOG": " Debug "})
    assert not log.debug_requested({"KARTO_LOG": "info"})
    assert not log.debug_requested({})
