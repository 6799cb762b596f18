"""YAML 1.1 spellings that PyYAML reads differently from what people (and YAML 1.2) mean.

PyYAML implements YAML 1.1: `01113` is octal (587), `1:30` is base 60 (90), `0x1F` and
`0b101` are numbers, `1_000` is 1000, and `yes`/`no`/`on`/`off` are booleans. Editors,
yaml-language-server and most other tools follow YAML 1.2, where these are text or
other numbers, so the same file would mean two things. karto-smtp accepts only the
spellings both versions agree on.
"""

from __future__ import annotations

import re

# Both YAML versions read these as the same whole number.
PLAIN_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# Words PyYAML reads as booleans but YAML 1.2 reads as text.
YAML11_BOOLEANS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"}
)
# More digits than this is no count or port karto.yaml can hold (int64 has 19).
MAX_INT_DIGITS = 20

_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_PREFIXED = re.compile(r"[-+]?0[xXbBoO][0-9a-fA-F_]+")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+")


def int_trap(raw: str, value: int) -> str | None:
    """Why a plain scalar that PyYAML read as the int `value` must be written differently."""
    if PLAIN_DECIMAL.fullmatch(raw):
        return None
    if _SEXAGESIMAL.fullmatch(raw):
        return (
            f"YAML 1.1 reads {raw} as a base-60 number ({value}); quote it ('{raw}') if it is "
            f"text such as a time, or write {value}"
        )
    if "_" in raw:
        return f"YAML 1.1 reads {raw} as {value} but YAML 1.2 as text; write {value}"
    if _PREFIXED.fullmatch(raw):
        return f"YAML 1.1 reads {raw} as {value} but YAML 1.2 as text; write {value}"
    if _LEADING_ZERO.fullmatch(raw):
        plain = raw.lstrip("+-").lstrip("0") or "0"
        sign = "-" if raw.startswith("-") else ""
        return (
            f"YAML 1.1 reads {raw} as the octal number {value} (a leading 0 means octal); "
            f"write {value}, or {sign}{plain} if you meant that"
        )
    return f"YAML 1.1 reads {raw} as {value}; write {value}"


def number_in_text(text: str) -> str | None:
    """For text given where a whole number belongs: the number it was probably meant to be."""
    stripped = text.strip()
    if _LEADING_ZERO.fullmatch(stripped) and "_" not in stripped:
        # `08` and `09` are text in YAML 1.1 (not valid octal): the digits were surely meant.
        plain = stripped.lstrip("+-").lstrip("0") or "0"
        sign = "-" if stripped.startswith("-") else ""
        return f"write {sign}{plain} without the leading zero"
    if _PREFIXED.fullmatch(stripped):
        try:
            value = int(stripped.replace("_", ""), 0)
        except ValueError:
            return None
        return f"write it in decimal: {value}"
    if PLAIN_DECIMAL.fullmatch(stripped) and len(stripped) <= MAX_INT_DIGITS:
        return f"write {stripped} without quotes"
    return None


def is_yaml11_boolean(raw: str) -> bool:
    """True for yes/no/on/off spellings, which YAML 1.2 reads as text."""
    return raw in YAML11_BOOLEANS
