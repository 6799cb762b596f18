"""The JSON envelope: which command lines answer in JSON."""

from __future__ import annotations


def test_json_mode_is_read_from_any_command_line():
    from karto_smtp.cli import json_command

    commands = ["plan", "apply"]
    assert json_command([], commands) is None
    assert json_command(["plan"], commands) is None
    assert json_command(["plan", "--format", "json"], commands) == "plan"
    assert json_command(["--no-color", "apply", "--format=json"], commands) == "apply"
    assert json_command(["plan", "--format"], commands) is None
