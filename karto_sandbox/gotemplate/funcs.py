"""text/template's builtin functions (https://pkg.go.dev/text/template#hdr-Functions), on
the values `values.py` describes, with Go's errors where Go reports one.

`printf` renders the verbs `%v`, `%s` (of a string), `%d` (of an int) and `%%` only, and
`index` of a string is not rendered; both are UnsupportedTemplate otherwise. `and` and `or`
are evaluated by the executor, which must not evaluate every argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from karto_sandbox.gotemplate.errors import UnsupportedTemplate
from karto_sandbox.gotemplate.escapers import (
    ESCAPERS,
    html_builtin,
    js_builtin,
    urlquery_builtin,
)
from karto_sandbox.gotemplate.values import (
    MISSING,
    format_value,
    from_go_bytes,
    go_bytes,
    is_int,
    is_nothing,
    is_true,
    sprint,
    sprintln,
    type_name,
)

# How an argument reaches a function: as any Go value (`any`), as a reflect.Value (the
# comparison and collection builtins), or as a string (printf's format).
ANY, VALUE, STRING = "any", "value", "string"


class FuncError(Exception):
    """The function returned an error; the executor reports it as `error calling NAME`."""


@dataclass(frozen=True)
class Signature:
    fixed: tuple[str, ...]
    variadic: str | None = None


def _basic_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if is_int(value):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "invalid"


def _equal(first: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    kind = _basic_kind(first)
    for other in others:
        other_kind = _basic_kind(other)
        if kind != other_kind:
            if not is_nothing(first) and not is_nothing(other):
                raise FuncError("incompatible types for comparison")
            continue
        if kind != "invalid":
            if first == other:
                return True
            continue
        # Neither is a basic value: only nil compares.
        first_kind, second_kind = type_name(first), type_name(other)
        if first_kind != second_kind and not (is_nothing(first) or is_nothing(other)):
            raise FuncError(f"non-comparable types {first_kind}, {second_kind}")
        if is_nothing(first) or is_nothing(other):
            if is_nothing(first) == is_nothing(other):
                return True
            continue
        raise FuncError(f"non-comparable type {type_name(other)}")
    return False


def _less(first: Any, second: Any) -> bool:
    kind, other = _basic_kind(first), _basic_kind(second)
    if kind == "invalid" or other == "invalid":
        raise FuncError("invalid type for comparison")
    if kind != other:
        raise FuncError("incompatible types for comparison")
    if kind == "bool":
        raise FuncError("invalid type for comparison")
    if kind == "string":
        return go_bytes(first) < go_bytes(second)
    return bool(first < second)


def _eq(first: Any, *others: Any) -> bool:
    return _equal(first, *others)


def _ne(first: Any, second: Any) -> bool:
    return not _equal(first, second)


def _lt(first: Any, second: Any) -> bool:
    return _less(first, second)


def _le(first: Any, second: Any) -> bool:
    return _less(first, second) or _equal(first, second)


def _gt(first: Any, second: Any) -> bool:
    return not (_less(first, second) or _equal(first, second))


def _ge(first: Any, second: Any) -> bool:
    return not _less(first, second)


def _not(value: Any) -> bool:
    return not is_true(value)


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(go_bytes(value))
    if isinstance(value, list | dict):
        return len(value)
    if value is None:
        raise FuncError("len of nil pointer")
    raise FuncError(f"len of type {type_name(value)}")


def _index_number(index: Any, size: int) -> int:
    if is_nothing(index):
        raise FuncError("cannot index slice/array with nil")
    if not is_int(index):
        raise FuncError(f"cannot index slice/array with type {type_name(index)}")
    if index < 0 or index > size:
        raise FuncError(f"index out of range: {index}")
    return int(index)


def _index(item: Any, *indexes: Any) -> Any:
    if is_nothing(item):
        raise FuncError("index of untyped nil")
    for index in indexes:
        if item is None or item is MISSING:
            raise FuncError("index of nil pointer")
        if isinstance(item, list):
            position = _index_number(index, len(item))
            if position == len(item):
                raise FuncError(f"reflect: slice index out of range: {position}")
            item = item[position]
        elif isinstance(item, str):
            raise UnsupportedTemplate("index of a string (a byte) is not rendered by the sandbox")
        elif isinstance(item, dict):
            if is_nothing(index):
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise FuncError(f"value has type {type_name(index)}; should be string")
            item = item.get(index)
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if is_nothing(item):
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data = go_bytes(item)
        size = len(data)
    elif isinstance(item, list):
        size = len(item)
    else:
        raise FuncError(f"can't slice item of type {type_name(item)}")
    bounds = [0, size, size]
    for position, index in enumerate(indexes):
        bounds[position] = _index_number(index, size)
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(indexes) == 3 and bounds[1] > bounds[2]:
        raise FuncError(f"invalid slice index: {bounds[1]} > {bounds[2]}")
    if isinstance(item, str):
        return from_go_bytes(data[bounds[0] : bounds[1]])
    return item[bounds[0] : bounds[1]]


def _call(function: Any, *args: Any) -> Any:
    if is_nothing(function):
        raise FuncError("call of nil")
    raise FuncError(f"non-function of type {type_name(function)}")


_VERB = re.compile(r"%(.)", re.DOTALL)


def _printf(format_text: str, *args: Any) -> str:
    out: list[str] = []
    remaining = list(args)
    position = 0
    for match in _VERB.finditer(format_text):
        out.append(format_text[position : match.start()])
        position = match.end()
        verb = match.group(1)
        if verb == "%":
            out.append("%")
            continue
        if not remaining:
            raise UnsupportedTemplate(f"printf: %{verb} without an argument is not rendered")
        arg = remaining.pop(0)
        if verb == "v":
            out.append(format_value(arg))
        elif verb == "s" and isinstance(arg, str):
            out.append(arg)
        elif verb == "d" and is_int(arg):
            out.append(str(arg))
        else:
            raise UnsupportedTemplate(
                f"printf verb %{verb} with a {type_name(arg)} is not rendered by the sandbox"
            )
    if "%" in format_text[position:]:
        raise UnsupportedTemplate("printf: a trailing % is not rendered by the sandbox")
    if remaining:
        raise UnsupportedTemplate("printf with extra arguments is not rendered by the sandbox")
    out.append(format_text[position:])
    return "".join(out)


def _variadic_text(function: Callable[[list[Any]], str]) -> Callable[..., str]:
    def call(*args: Any) -> str:
        return function(list(args))

    return call


BUILTINS: dict[str, tuple[Signature, Callable[..., Any]]] = {
    "and": (Signature((VALUE,), VALUE), lambda *args: None),
    "or": (Signature((VALUE,), VALUE), lambda *args: None),
    "not": (Signature((VALUE,)), _not),
    "len": (Signature((VALUE,)), _len),
    "index": (Signature((VALUE,), VALUE), _index),
    "slice": (Signature((VALUE,), VALUE), _slice),
    "call": (Signature((VALUE,), VALUE), _call),
    "eq": (Signature((VALUE,), VALUE), _eq),
    "ne": (Signature((VALUE, VALUE)), _ne),
    "lt": (Signature((VALUE, VALUE)), _lt),
    "le": (Signature((VALUE, VALUE)), _le),
    "gt": (Signature((VALUE, VALUE)), _gt),
    "ge": (Signature((VALUE, VALUE)), _ge),
    "print": (Signature((), ANY), lambda *args: sprint(list(args))),
    "println": (Signature((), ANY), lambda *args: sprintln(list(args))),
    "printf": (Signature((STRING,), ANY), _printf),
    "html": (Signature((), ANY), _variadic_text(html_builtin)),
    "js": (Signature((), ANY), _variadic_text(js_builtin)),
    "urlquery": (Signature((), ANY), _variadic_text(urlquery_builtin)),
}
for _name, _escaper in ESCAPERS.items():
    BUILTINS[_name] = (Signature((), ANY), _variadic_text(_escaper))
