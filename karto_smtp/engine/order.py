"""The order of changes, from the dependencies providers declare (never from a table of kinds).

A resource is created or updated after what it depends on; a deleted resource goes after
everything that depends on it has changed, and deletions come after the rest where the
dependencies allow (what is new exists before what is old goes). Ties keep karto.yaml's
order.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from karto_smtp.engine.plan import Action, Change


def edges(changes: Sequence[Change]) -> dict[str, set[str]]:
    """address -> addresses that must finish first (among the given changes)."""
    by_address = {c.address: c for c in changes}
    before: dict[str, set[str]] = {c.address: set() for c in changes}
    for change in changes:
        for dependency in change.depends_on:
            other = by_address.get(dependency)
            if other is None or other.address == change.address:
                continue
            if other.action is Action.DELETE:
                before[other.address].add(change.address)
            elif change.action is not Action.DELETE:
                before[change.address].add(other.address)
    return before


def ordered(changes: Sequence[Change]) -> list[Change]:
    """A topological order of `changes`, stable by their original position."""
    waits = edges(changes)
    index = {c.address: (c.action is Action.DELETE, i) for i, c in enumerate(changes)}
    by_address = {c.address: c for c in changes}
    dependents: dict[str, set[str]] = {c.address: set() for c in changes}
    for address, needs in waits.items():
        for need in needs:
            dependents[need].add(address)
    ready = [(index[a], a) for a, needs in waits.items() if not needs]
    heapq.heapify(ready)
    result: list[Change] = []
    while ready:
        _, address = heapq.heappop(ready)
        result.append(by_address[address])
        for dependent in dependents[address]:
            waits[dependent].discard(address)
            if not waits[dependent]:
                heapq.heappush(ready, (index[dependent], dependent))
    if len(result) != len(changes):
        stuck = sorted(set(by_address) - {c.address for c in result})
        raise ValueError(f"dependency cycle among {', '.join(stuck)}")
    return result
