"""Go literals as a template writes them: strings, characters and numbers.

Strings follow the Go specification's interpreted and raw string literals (escapes `\\a \\b
\\f \\n \\r \\t \\v \\\\ \\" \\xHH \\ooo \\uHHHH \\UHHHHHHHH`; a raw string loses its carriage
returns). Bytes that are not UTF-8 (from `\\x` or octal escapes) are kept as Python's
surrogate escapes, so the bytes written out are the bytes Go writes.

Numbers follow Go's `strconv`: base prefixes 0x/0o/0b and a leading 0 for octal, `_`
between digits, decimal and hexadecimal floats. A number may be an int and a float at
once (`1e3`), which is why `Number` keeps each reading.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
}
_HEX = "0123456789abcdefABCDEF"
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


class LiteralError(ValueError):
    pass


def _escape(body: str, i: int, quote: str) -> tuple[bytes, int]:
    """The bytes of the escape starting after the backslash at body[i-1]; next index."""
    char = body[i : i + 1]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char].encode(), i + 1
    if char == quote:
        return char.encode(), i + 1
    if char == "x":
        digits = body[i + 1 : i + 3]
        if len(digits) != 2 or any(d not in _HEX for d in digits):
            raise LiteralError("invalid syntax")
        return bytes([int(digits, 16)]), i + 3
    if char in ("u", "U"):
        size = 4 if char == "u" else 8
        digits = body[i + 1 : i + 1 + size]
        if len(digits) != size or any(d not in _HEX for d in digits):
            raise LiteralError("invalid syntax")
        code = int(digits, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise LiteralError("invalid syntax")
        return chr(code).encode(), i + 1 + size
    if "0" <= char <= "7" and char != "":
        digits = body[i : i + 3]
        if len(digits) != 3 or any(not "0" <= d <= "7" for d in digits):
            raise LiteralError("invalid syntax")
        value = int(digits, 8)
        if value > 255:
            raise LiteralError("invalid syntax")
        return bytes([value]), i + 3
    raise LiteralError("invalid syntax")


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def unquote(token: str) -> str:
    """The value of a Go string literal token ("..." or `...`)."""
    if token.startswith("`"):
        if len(token) < 2 or not token.endswith("`") or "`" in token[1:-1]:
            raise LiteralError("invalid syntax")
        return token[1:-1].replace("\r", "")
    if len(token) < 2 or not (token.startswith('"') and token.endswith('"')):
        raise LiteralError("invalid syntax")
    body = token[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char == '"' or char == "\n":
            raise LiteralError("invalid syntax")
        if char == "\\":
            data, i = _escape(body, i + 1, '"')
            out += data
            continue
        out += char.encode("utf-8", "surrogateescape")
        i += 1
    return _decode(bytes(out))


def char_value(token: str) -> int:
    """The code of a character constant token ('a', '\\n', '\\u00e9', '\\x41')."""
    body = token[1:]
    if not body or body[0] == "'":
        raise LiteralError("invalid syntax")
    if body[0] == "\\":
        escape = body[1:2]
        data, end = _escape(body, 1, "'")
        code = data[0] if escape == "x" or "0" <= escape <= "7" else ord(data.decode())
    else:
        code, end = ord(body[0]), 1
    if body[end:] != "'":
        raise LiteralError(f"malformed character constant: {token}")
    return code


@dataclass(frozen=True)
class Number:
    """A number constant as text/template reads it: every type it fits."""

    text: str
    int_value: int | None = None  # fits int64
    uint_value: int | None = None  # fits uint64
    float_value: float | None = None
    is_complex: bool = False


def _underscores_ok(text: str) -> bool:
    """Go's rule: `_` only between digits, or between a base prefix and a digit."""
    saw = "^"
    i = 0
    if text[:1] in ("+", "-"):
        text = text[1:]
    hexadecimal = False
    if len(text) >= 2 and text[0] == "0" and text[1].lower() in "box":
        i = 2
        saw = "0"
        hexadecimal = text[1].lower() == "x"
    while i < len(text):
        char = text[i]
        if "0" <= char <= "9" or hexadecimal and char.lower() in "abcdef":
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
        i += 1
    return saw != "_"


def _parse_uint(text: str) -> int | None:
    """strconv.ParseUint(text, 0, 64) without the range check; None on a syntax error."""
    if not text:
        return None
    base, body = 10, text
    if text[0] == "0":
        prefix = text[1:2].lower()
        if len(text) >= 3 and prefix in ("b", "o", "x"):
            base, body = {"b": 2, "o": 8, "x": 16}[prefix], text[2:]
        else:
            base, body = 8, text[1:]
    value, underscores = 0, False
    for char in body:
        if char == "_":
            underscores = True
            continue
        digit = int(char, 36) if char.isascii() and char.isalnum() else base
        if digit >= base:
            return None
        value = value * base + digit
    if underscores and not _underscores_ok(text):
        return None
    return value


def parse_integer(text: str) -> tuple[int | None, int | None]:
    """(ParseInt, ParseUint) of `text` with base 0: each value, or None when it fails."""
    unsigned = _parse_uint(text)
    if unsigned is not None and unsigned > UINT64_MAX:
        unsigned = None
    sign, body = 1, text
    if text[:1] in ("+", "-"):
        sign, body = (-1 if text[0] == "-" else 1), text[1:]
    magnitude = _parse_uint(body)
    signed = None if magnitude is None else sign * magnitude
    if signed is not None and not -(2**63) <= signed <= INT64_MAX:
        signed = None
    return signed, unsigned


_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9][0-9_]*)?")
_HEX_FLOAT = re.compile(
    r"[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9][0-9_]*"
)


def parse_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64); None on a syntax or range error."""
    if "_" in text and not _underscores_ok(text):
        return None
    clean = text.replace("_", "")
    if _HEX_FLOAT.fullmatch(text):
        sign = -1.0 if clean.startswith("-") else 1.0
        mantissa, _, exponent = clean.lstrip("+-")[2:].lower().partition("p")
        if not any(c in "0123456789abcdef" for c in mantissa):
            return None
        try:
            value = sign * float.fromhex(f"0x{mantissa}p{exponent}")
        except (OverflowError, ValueError):
            return None
    elif _DECIMAL_FLOAT.fullmatch(text):
        mantissa = re.split("[eE]", clean)[0]
        if not any(c.isdigit() for c in mantissa):
            return None
        value = float(clean)
    else:
        return None
    return None if math.isinf(value) else value


def parse_number(text: str, complex_token: bool = False) -> Number:
    """text/template's reading of a number token (parse.Tree.newNumber)."""
    if complex_token:
        # `1+2i`: both parts must read as Go floats; the sandbox does not compute with it.
        match = re.fullmatch(r"([+-]?[^+-]+?)([+-].+)i", text)
        if not match or parse_float(match.group(1)) is None or parse_float(match.group(2)) is None:
            raise LiteralError(f"illegal number syntax: {text!r}")
        return Number(text, is_complex=True)
    if text.endswith("i") and parse_float(text[:-1]) is not None:
        return Number(text, is_complex=True)
    int_value, uint_value = parse_integer(text)
    if int_value == 0:
        uint_value = 0  # "-0" fails ParseUint but is zero all the same
    float_value: float | None = None
    if int_value is not None:
        float_value = float(int_value)
    elif uint_value is not None:
        float_value = float(uint_value)
    else:
        parsed = parse_float(text)
        if parsed is not None:
            if not any(c in text for c in ".eEpP"):
                raise LiteralError(f"integer overflow: {text!r}")
            float_value = parsed
            if parsed.is_integer() and -(2**63) <= parsed < 2**63:
                int_value = int(parsed)
            if parsed.is_integer() and 0 <= parsed < 2**64:
                uint_value = int(parsed)
    if int_value is None and uint_value is None and float_value is None:
        raise LiteralError(f"illegal number syntax: {text!r}")
    return Number(text, int_value, uint_value, float_value)


def char_number(token: str) -> Number:
    code = char_value(token)
    return Number(token, code, code, float(code))
