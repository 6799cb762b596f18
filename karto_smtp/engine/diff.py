"""Compare one resource with its live object, on the fields karto.yaml declares only."""

from __future__ import annotations

from typing import Any

from karto_smtp.engine.plan import Action, Change, FieldChange
from karto_smtp.engine.provider import Live
from karto_smtp.engine.resource import Ensure, Resource


def same(live_value: Any, wanted: Any) -> bool:
    if live_value == wanted:
        return True
    if isinstance(wanted, dict | list) and isinstance(live_value, dict | list):
        # Nested values only: deepdiff costs an import, most fields are scalars.
        from deepdiff import DeepDiff

        return not DeepDiff(live_value, wanted, ignore_order=True)
    return False


def _field(resource: Resource, name: str, before: Any, after: Any) -> FieldChange:
    display = "text" if name in resource.text_fields else "value"
    return FieldChange(field=name, before=before, after=after, display=display)


def diff_resource(resource: Resource, live: Live | None) -> Change:
    address = resource.address
    change = Change(
        address=str(address),
        provider=address.provider,
        kind=address.kind,
        key=address.key,
        label=resource.label,
        action=Action.NOOP,
    )
    if resource.ensure is Ensure.ABSENT:
        if live is not None:
            change.action = Action.DELETE
            change.reasons.append(f"karto.yaml says ensure: absent ({resource.location})")
        return change
    if live is None:
        change.action = Action.CREATE
        change.fields = [_field(resource, n, None, v) for n, v in resource.fields.items()]
        change.fields += [_field(resource, n, None, v) for n, v in resource.create_only.items()]
        return change
    change.fields = [
        _field(resource, name, live.get(name), wanted)
        for name, wanted in resource.fields.items()
        if not same(live.get(name), wanted)
    ]
    change.unchanged_fields = len(resource.fields) - len(change.fields)
    if change.fields:
        change.action = Action.UPDATE
    return change
