"""Characters that make a name look right and be wrong: edge spaces, invisible characters,
and non-ASCII letters that look like ASCII ones (a Cyrillic 'а' in 'kаrto').

Each check returns the end of a sentence that starts with the quoted value, or None.
"""

from __future__ import annotations

import unicodedata

from karto_smtp.config.display import visible

# Letters that render like ASCII ones in common fonts (Unicode's confusables, abridged to
# the Cyrillic, Greek and Latin letters that turn up in pasted names).
LOOKALIKES: dict[str, str] = {
    **dict(zip("аеорсухіјѕԁһԛԝјӏ", "aeopcyxijsdhqwjl", strict=True)),
    **dict(zip("АВЕКМНОРСТХІЈЅ", "ABEKMHOPCTXIJS", strict=True)),
    **dict(zip("οινρτυχκ", "oivptuxk", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
    "ı": "i",
    "ℓ": "l",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "−": "-",
    "．": ".",
    "＠": "@",
    "\u00a0": " ",
}
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _ascii_twin(char: str) -> str | None:
    """The ASCII character `char` passes for, if any."""
    if char in LOOKALIKES:
        return LOOKALIKES[char]
    # Fullwidth letters and accented ones: their compatibility decomposition starts in ASCII.
    base = unicodedata.normalize("NFKD", char)[:1]
    return base if base.isascii() and base.isprintable() else None


def _describe(char: str) -> str:
    """`'а' (U+0430 CYRILLIC SMALL LETTER A), which looks like 'a',` and the like."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    if unicodedata.category(char) in _INVISIBLE_CATEGORIES or char.isspace():
        return f"{visible(char)} ({code}), which is invisible,"
    twin = _ascii_twin(char)
    if twin is not None and twin != char:
        return f"'{char}' ({code}), which looks like '{twin}',"
    return f"'{char}' ({code})"


def edge_space_problem(value: str) -> str | None:
    """'ends with a space; remove it', or None."""
    if not value or value.strip() == value:
        return None
    where = "starts" if value[:1].isspace() else "ends"
    edge = value[:1] if where == "starts" else value[-1:]
    kind = {" ": "a space", "\t": "a tab", "\n": "a newline", "\r": "a newline"}.get(
        edge, "an invisible space"
    )
    return f"{where} with {kind}; remove it"


def invisible_problem(value: str) -> str | None:
    """A control, zero-width or line-break character anywhere in `value`, or None."""
    for index, char in enumerate(value, 1):
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            return f"has {_describe(char)} at character {index}; delete it"
    return None


def non_ascii_problem(value: str) -> str | None:
    """The first non-ASCII character, named, with what it looks like, or None."""
    for index, char in enumerate(value, 1):
        if not char.isascii():
            return (
                f"has the non-ASCII character {_describe(char)} at character {index}; "
                "retype it in plain ASCII"
            )
    return None


def lookalike_problem(value: str) -> str | None:
    """Like non_ascii_problem, but only for characters that pass for ASCII ones."""
    for index, char in enumerate(value, 1):
        if not char.isascii() and (
            char in LOOKALIKES or unicodedata.category(char) in _INVISIBLE_CATEGORIES
        ):
            return (
                f"has the non-ASCII character {_describe(char)} at character {index}; "
                "retype it in plain ASCII"
            )
    return None
