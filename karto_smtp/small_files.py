"""Reading a small local file (the config, a `file()` secret) without hanging or filling memory.

Only regular files are read: a named pipe would block until some other process writes to it,
and a device such as /dev/zero or /dev/urandom never ends. Reads stop one byte past a limit,
so a wrong path costs at most that many bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

KIB = 1024
MIB = 1024 * KIB


class NotRegularFile(OSError):
    """The path names a pipe, device, socket or directory; `kind` says which."""

    def __init__(self, path: Path, kind: str) -> None:
        self.kind = kind
        super().__init__(f"{path} is {kind}, not a regular file")


class FileTooLarge(OSError):
    """The file holds more than `limit` bytes."""

    def __init__(self, path: Path, limit: int) -> None:
        self.limit = limit
        super().__init__(f"{path} is larger than {format_size(limit)}")


def format_size(size: int) -> str:
    """1048576 -> '1 MiB', 65536 -> '64 KiB', 100 -> '100 bytes'."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= KIB and size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} bytes"


def file_kind(mode: int) -> str:
    """What a stat mode is, in words ('a directory', 'a named pipe (FIFO)', ...)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def read_small_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.

    Raises NotRegularFile, FileTooLarge, or the OSError of the failed stat, open or read
    (FileNotFoundError, PermissionError, ...).
    """
    # Looking before opening keeps devices closed: opening some has side effects.
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, file_kind(mode))
    # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open must not wait.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, file_kind(mode))
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = handle.read(min(remaining, 64 * KIB))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLarge(path, limit)
    return data
