"""Go values as Supabase Auth's template data holds them, and how Go's fmt prints them.

Auth's data is a `map[string]any`: strings, and `.Data` (the user's metadata) decoded from
JSON, so maps, lists, float64 numbers, booleans and nulls. Here they are Python's `dict`,
`list`, `float`, `bool`, `str`; a template's own integer constants (and `len`'s results)
are `int`. Two kinds of "nothing" differ in Go and so here: `None` is an interface holding
nil (a JSON null, or `index` of an absent key), `MISSING` is no value at all (an absent
map key). A field of `MISSING` is `MISSING` again; a field of `None` is an error.
"""

from __future__ import annotations

import math
from typing import Any, Final


class _Missing:
    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def is_int(value: Any) -> bool:
    return type(value) is int


def is_nothing(value: Any) -> bool:
    return value is None or value is MISSING


def type_name(value: Any) -> str:
    """The Go type, for error messages."""
    if isinstance(value, bool):
        return "bool"
    if is_int(value):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return "interface {}"


def is_true(value: Any) -> bool:
    """text/template's truth: false, 0, nil, and empty strings, lists and maps are false."""
    if is_nothing(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def format_float(value: float) -> str:
    """fmt's %v of a float64: the shortest digits that read back, as %e when the decimal
    exponent is below -4 or at least 6 (1e+06, 1e-05), else as %f (123456, 0.0001)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":
        # 0.000123 -> digits "123", point at -3
        stripped = fraction.lstrip("0")
        point = (int(exponent) if exponent else 0) - (len(fraction) - len(stripped))
        digits = stripped
    digits = digits.rstrip("0") or "0"
    exp = point - 1
    if exp < -4 or exp >= 6:
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{head}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def format_value(value: Any) -> str:
    """fmt's %v."""
    if is_nothing(value):
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_int(value):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{key}:{format_value(value[key])}" for key in sort_keys(value))
        return "map[" + " ".join(items) + "]"
    return str(value)


def sort_keys(mapping: dict[str, Any]) -> list[str]:
    """Go sorts string keys by their bytes."""
    return sorted(mapping, key=lambda key: key.encode("utf-8", "surrogateescape"))


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between two operands when neither is a string."""
    out: list[str] = []
    previous_string = False
    for index, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if index > 0 and not is_string and not previous_string:
            out.append(" ")
        out.append(format_value(arg))
        previous_string = is_string
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    """fmt.Sprintln: spaces between all operands, then a newline."""
    return " ".join(format_value(arg) for arg in args) + "\n"


def go_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def from_go_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def json_to_go(value: Any) -> Any:
    """A value decoded by Python's json as Go's encoding/json decodes it into `any`: every
    number a float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [json_to_go(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_to_go(item) for key, item in value.items()}
    return value
