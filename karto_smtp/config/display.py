"""Values as they appear in messages: invisible characters made visible, long ones cut."""

from __future__ import annotations

import unicodedata

MAX_SHOWN = 60

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control, format (zero-width), line/paragraph separators and spaces other than ' '.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Zs"})


def visible(char: str) -> str:
    """`char` itself, or an escape such as \\n or \\u200b when it would not show."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char != " " and unicodedata.category(char) in _INVISIBLE:
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
    return char


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """`value` for a message: invisible characters escaped, cut to `limit` with an ellipsis."""
    text = "".join(visible(char) for char in str(value)[: limit + 1])
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text
