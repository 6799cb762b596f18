"""Writing a generated file: never over an existing one without force; force keeps its mode."""

from __future__ import annotations

import pytest

from karto_smtp.authoring.output import WouldOverwrite, check_text, write_text


def test_without_force_an_existing_file_is_never_replaced(tmp_path):
    target = tmp_path / "karto.yaml"
    target.write_text("mine\n")
    with pytest.raises(WouldOverwrite):
        write_text("version: 1\n", str(target), force=False)
    assert target.read_text() == "mine\n"


def test_force_replaces_in_one_step_and_keeps_the_mode(tmp_path):
    target = tmp_path / "karto.yaml"
    target.write_text("mine\n")
    target.chmod(0o600)
    write_text("version: 1\n", str(target), force=True)
    assert target.read_text() == "version: 1\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["karto.yaml"]


def test_findings_point_at_the_destination_not_a_scratch_file(tmp_path):
    checked = check_text(
        "version: 1\nsmtp2go: {smtp_users: [{username: ab}]}\n", "deploy/karto.yaml"
    )
    assert [f.location for f in checked.errors] == ["deploy/karto.yaml:2:25"]
