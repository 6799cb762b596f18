"""Layering one validated model over another: how `supabase.defaults` reach each project.

Mappings merge key by key; lists and scalars replace. A key counts as written when the file
sets it to something other than null. Some keys are alternatives to each other (an inline
`content` and a `content_path`; a `relay` and an explicit host/port/user/password): a model
lists them in `ALTERNATIVES`, and writing one of a group hides the base's others, so a
project can swap one form for the other without a conflict it never wrote.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel

Layer = Literal["own", "base"]
PathPart = str | int
M = TypeVar("M", bound=BaseModel)


def written(model: BaseModel) -> set[str]:
    """Fields the file sets to a value (defaults filled in by the model do not count)."""
    return {name for name in model.model_fields_set if getattr(model, name) is not None}


def _hidden(model_type: type[BaseModel], own: set[str]) -> set[str]:
    groups: tuple[frozenset[str], ...] = getattr(model_type, "ALTERNATIVES", ())
    hidden: set[str] = set()
    for group in groups:
        if group & own:
            for other in groups:
                if other is not group:
                    hidden |= other
    return hidden


def merge_over(own: M | None, base: M | None) -> M | None:
    """`own` with every key it leaves unwritten taken from `base` (recursively for mappings)."""
    if own is None:
        return base
    if base is None:
        return own
    own_keys = written(own)
    base_keys = written(base) - _hidden(type(own), own_keys)
    values: dict[str, object] = {}
    for name in type(own).model_fields:
        mine, theirs = getattr(own, name), getattr(base, name)
        if name in own_keys and name in base_keys and isinstance(mine, BaseModel):
            assert isinstance(theirs, BaseModel)
            values[name] = merge_over(mine, theirs)
        elif name in own_keys:
            values[name] = mine
        elif name in base_keys:
            values[name] = theirs
    # Both layers were validated already; the merge only picks among their values.
    return type(own).model_construct(_fields_set=set(values), **values)


def _child(node: object, part: PathPart) -> object | None:
    if isinstance(node, BaseModel) and isinstance(part, str):
        return getattr(node, part) if part in written(node) else None
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def layer_of(own: BaseModel | None, base: BaseModel | None, path: tuple[PathPart, ...]) -> Layer:
    """Which layer wrote the value at `path` of the merged model.

    For a key neither layer wrote, the layer that wrote its deepest written ancestor: that is
    where a missing key should be added.
    """
    layer: Layer = "own"
    mine: object | None = own
    theirs: object | None = base
    for part in path:
        mine, theirs = _child(mine, part), _child(theirs, part)
        if mine is not None:
            layer = "own"
        elif theirs is not None:
            layer = "base"
        else:
            break
    return layer
