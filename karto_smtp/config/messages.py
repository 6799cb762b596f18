"""Validation errors as sentences: what was found, and what to write instead.

pydantic reports `{type, loc, input, ctx}`; this module turns one into the message after
`file:line:col: path:`. It quotes the value as written in the file where YAML changed it
(`no` read as false, `01113` as 587), and never quotes more than 60 characters.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Any

from pydantic import BaseModel

from karto_smtp.config.display import shown
from karto_smtp.config.model import KartoConfig
from karto_smtp.config.yaml11 import is_yaml11_boolean, number_in_text
from karto_smtp.config.yaml_loader import NodePath, YamlDocument


def describe(error: Any, loc: NodePath, document: YamlDocument) -> str:
    """The message for one pydantic error at `loc`."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    written = document.written(loc)
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return unknown_key(loc)
    if kind == "string_type":
        return _expected_text(value, written)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _expected_whole_number(value, written)
    if kind in ("bool_type", "bool_parsing"):
        return _expected_boolean(value)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {found(value, written)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {found(value, written)}"
    if kind == "literal_error":
        shown_value = f"'{shown(value)}'" if isinstance(value, str) else found(value, written)
        return f"{shown_value} is not allowed; use {ctx.get('expected')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, got {shown(value)}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, got {shown(value)}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "secret_literal" and loc[:2] == ("smtp2go", "smtp_users") and loc[-1] == "password":
        return str(error["msg"]) + ", or generate to let karto-smtp create it"
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def found(value: Any, written: str | None = None) -> str:
    """A value as a message names it: `text 'abc'`, `the number 587`, `a list`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        word = "true" if value else "false"
        if written is not None and is_yaml11_boolean(written):
            return (
                f"the boolean {word} (YAML 1.1 reads an unquoted {written} as {word}; "
                "YAML 1.2 as text)"
            )
        return f"the boolean {word}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f"the number {written or value}"
        return f"{written or repr(value)} (a decimal)"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, str):
        return f"text '{shown(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} ({shown(written or value)})"


def _expected_text(value: Any, written: str | None) -> str:
    message = f"expected text, got {found(value, written)}"
    if written is not None and isinstance(value, bool | int | float):
        return f"{message}; write '{shown(written)}' in quotes if it is text"
    return message


def _expected_whole_number(value: Any, written: str | None) -> str:
    message = f"expected a whole number, got {found(value, written)}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return f"{message}; write {int(value)}"
    if isinstance(value, str):
        hint = number_in_text(value)
        if hint is not None:
            return f"{message}; {hint}"
    return message


def _expected_boolean(value: Any) -> str:
    message = f"expected true or false, got {found(value)}"
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return f"{message}; write {value.strip().lower()} without quotes"
    if isinstance(value, str) and value.strip().lower() in ("yes", "on", "no", "off", "y", "n"):
        word = "true" if value.strip().lower() in ("yes", "on", "y") else "false"
        return f"{message}; write {word}"
    return message


def unknown_key(loc: NodePath) -> str:
    """ "unknown key 'x'; did you mean 'y'?" or the keys that are allowed there."""
    key = str(loc[-1])
    model = model_at(loc[:-1])
    allowed = list(model.model_fields) if model is not None else []
    close = suggestion(key, allowed)
    if close:
        return f"unknown key '{shown(key)}'; did you mean '{close}'?"
    if allowed:
        return f"unknown key '{shown(key)}'; allowed keys: {', '.join(allowed)}"
    return f"unknown key '{shown(key)}'"


def suggestion(key: str, allowed: list[str]) -> str | None:
    """The allowed key `key` is probably a misspelling of."""
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def model_at(loc: NodePath) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` (follows fields and list items)."""
    current: Any = KartoConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            if not args:
                return None
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field_info = current.model_fields.get(part)
            if field_info is None:
                return None
            current = field_info.annotation
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the class or list type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def misspelled_required(errors: list[Any]) -> set[NodePath]:
    """Locations of 'missing' errors explained by a misspelled key in the same mapping.

    `usrname: karto` gives both "unknown key 'usrname'; did you mean 'username'?" and
    "username: required key is missing"; the second says nothing the first does not.
    """
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    explained: set[NodePath] = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        loc: NodePath = tuple(error["loc"])
        model = model_at(loc[:-1])
        if model is None:
            continue
        close = suggestion(str(loc[-1]), list(model.model_fields))
        if close is not None and (*loc[:-1], close) in missing:
            explained.add((*loc[:-1], close))
    return explained
