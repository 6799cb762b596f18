"""How karto-smtp puts a count into words: "1 warning", "2 Supabase projects"."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """`count` and `noun`, with an "s" unless there is exactly one."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
