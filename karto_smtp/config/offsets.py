"""Where an offset into a file falls, as the 1-based line and column a message names."""

from __future__ import annotations


def line_column(text: str | bytes, offset: int) -> tuple[int, int]:
    """Line and column of `offset`: columns count characters in text, bytes in bytes
    (a file that is not UTF-8 has no characters to count)."""
    if isinstance(text, bytes):
        return text.count(b"\n", 0, offset) + 1, offset - text.rfind(b"\n", 0, offset)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
