"""The config file and file() secrets: only regular files, only small ones, never a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from karto_smtp.small_files import (
    FileTooLarge,
    NotRegularFile,
    format_size,
    read_small_file,
)

FILE_HINT = "fix the path; file() paths are relative to the config file's folder"


def test_read_small_file_reads_a_regular_file_and_follows_symlinks(tmp_path: Path) -> None:
    target = tmp_path / "secret"
    target.write_bytes(b"x" * 10)
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_small_file(link, 10) == b"x" * 10


def test_read_small_file_stops_one_byte_past_the_limit(tmp_path: Path) -> None:
    target = tmp_path / "big"
    target.write_bytes(b"x" * 11)
    with pytest.raises(FileTooLarge) as info:
        read_small_file(target, 10)
    assert info.value.limit == 10


@pytest.mark.timeout(5)
def test_read_small_file_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile) as info:
        read_small_file(fifo, 10)
    assert info.value.kind == "a named pipe (FIFO)"


def test_read_small_file_refuses_devices_and_directories(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile) as info:
        read_small_file(Path("/dev/zero"), 10)
    assert info.value.kind == "a character device"
    with pytest.raises(NotRegularFile) as info:
        read_small_file(tmp_path, 10)
    assert info.value.kind == "a directory"


def test_format_size() -> None:
    assert [format_size(n) for n in (1024 * 1024, 65536, 100)] == ["1 MiB", "64 KiB", "100 bytes"]


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_config_from_dev_zero(run, tmp_path, command: str) -> None:
    result = run(command, "-c", "/dev/zero", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        "Error: /dev/zero: is a character device, not a config file; karto-smtp reads only "
        "regular files (save the text to a file and pass that)"
    ]
    assert result.out == ""


@pytest.mark.timeout(5)
def test_config_from_a_fifo_does_not_block(run, tmp_path) -> None:
    os.mkfifo(tmp_path / "karto.yaml")
    result = run("validate", "-c", "karto.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        "Error: karto.yaml: is a named pipe (FIFO), not a config file; karto-smtp reads only "
        "regular files (save the text to a file and pass that)"
    ]


def test_config_larger_than_one_mebibyte(run, tmp_path) -> None:
    (tmp_path / "k.yaml").write_text("version: 1\n" + "#" * (1024 * 1024) + "\n")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        "Error: k.yaml: larger than 1 MiB, far beyond any karto.yaml; is this the right file?"
    ]


def test_config_that_is_a_directory(run, tmp_path) -> None:
    (tmp_path / "conf").mkdir()
    result = run("plan", "-c", "conf", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == ["Error: conf: is a directory, not a config file"]


def _secret_file_config(tmp_path: Path, target: str) -> None:
    (tmp_path / "k.yaml").write_text(f"version: 1\nsmtp2go:\n  api_key: file({target})\n")


def test_secret_file_dev_zero(run, tmp_path) -> None:
    _secret_file_config(tmp_path, "/dev/zero")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        "k.yaml:3:3: error: smtp2go.api_key: secret file /dev/zero is a character device; "
        f"file() reads only regular files; {FILE_HINT} [secret-unavailable]",
        "Error: k.yaml: invalid (1 error)",
    ]


@pytest.mark.timeout(5)
def test_secret_file_fifo_does_not_block(run, tmp_path) -> None:
    os.mkfifo(tmp_path / "key")
    _secret_file_config(tmp_path, "key")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        f"k.yaml:3:3: error: smtp2go.api_key: secret file key is a named pipe "
        f"(FIFO); file() reads only regular files; {FILE_HINT} [secret-unavailable]",
        "Error: k.yaml: invalid (1 error)",
    ]


def test_secret_file_over_64_kib(run, tmp_path) -> None:
    (tmp_path / "key").write_text("k" * (64 * 1024 + 1))
    _secret_file_config(tmp_path, "key")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert result.code == 1
    assert result.err_lines == [
        f"k.yaml:3:3: error: smtp2go.api_key: secret file key is larger than "
        "64 KiB, too large for a password, key or token; "
        f"{FILE_HINT} [secret-unavailable]",
        "Error: k.yaml: invalid (1 error)",
    ]


def test_secret_file_of_exactly_64_kib_is_read(run, tmp_path) -> None:
    (tmp_path / "key").write_text("k" * (64 * 1024))
    _secret_file_config(tmp_path, "key")
    result = run("validate", "-c", "k.yaml", cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    assert result.out == "k.yaml: valid (0 SMTP2GO objects)\n"
