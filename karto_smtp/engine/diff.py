"""Compare one desired resource with its live object, on declared fields only."""

from __future__ import annotations

import re
from typing import Any

from deepdiff import DeepDiff

from karto_smtp.engine.plan import KNOWN_AFTER_APPLY, SENSITIVE, Action, Change, FieldChange
from karto_smtp.engine.resources import Desired, Ensure
from karto_smtp.providers.base import Provider, SecretState

_ROOT_KEY = re.compile(r"^root\['([^']+)'\]")


def changed_fields(live: dict[str, Any], wanted: dict[str, Any]) -> list[FieldChange]:
    """Field-level differences between `live` and `wanted`, for the keys of `wanted` only."""
    before = {name: live.get(name) for name in wanted}
    report = DeepDiff(before, wanted, verbose_level=2)
    names: set[str] = set()
    for category in ("values_changed", "type_changes"):
        for path in report.get(category, {}):
            match = _ROOT_KEY.match(path)
            if match:
                names.add(match.group(1))
    return [FieldChange(field=n, before=before[n], after=wanted[n]) for n in wanted if n in names]


def diff_resource(desired: Desired, live: dict[str, Any] | None, provider: Provider) -> Change:
    change = Change(
        address=desired.address,
        provider=desired.provider,
        kind=desired.kind,
        key=desired.key,
        action=Action.NOOP,
    )
    if desired.ensure is Ensure.ABSENT:
        if live is not None:
            change.action = Action.DELETE
            change.reasons.append(f"karto.yaml says ensure: absent ({desired.location})")
        return change
    if live is None:
        change.action = Action.CREATE
        change.fields = [FieldChange(field=n, after=v) for n, v in desired.fields.items()]
        change.fields += [FieldChange(field=n, after=v) for n, v in desired.create_fields.items()]
        for name, source in desired.secret_fields.items():
            after = KNOWN_AFTER_APPLY if source.is_generated else SENSITIVE
            change.fields.append(FieldChange(field=name, after=after, sensitive=True))
        return change

    change.fields = changed_fields(live, desired.fields)
    change.unchanged_fields = len(desired.fields) - len(change.fields)
    for name, source in desired.secret_fields.items():
        state = provider.secret_state(desired, name, source, live)
        if state is SecretState.MATCHES:
            change.unchanged_fields += 1
        elif state in (SecretState.DIFFERS, SecretState.UNSET) and not source.is_generated:
            before = SENSITIVE if state is SecretState.DIFFERS else None
            change.fields.append(
                FieldChange(field=name, before=before, after=SENSITIVE, sensitive=True)
            )
    if change.fields:
        change.action = Action.UPDATE
    return change
