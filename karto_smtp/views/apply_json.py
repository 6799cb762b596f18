"""The machine view of an apply: the plan it carried out and what happened to each change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from karto_smtp.engine.plan import plan_json
from karto_smtp.views.envelope import envelope

if TYPE_CHECKING:
    from karto_smtp.engine.executor import ApplyResult
    from karto_smtp.engine.plan import Plan


def apply_document(plan: Plan, result: ApplyResult | None) -> dict[str, Any]:
    if result is None:
        return envelope(
            "apply",
            "no-changes",
            {
                "plan": plan_json(plan),
                "apply": {"results": [], "deliveries": [], "warnings": []},
            },
        )
    return envelope(
        "apply",
        result.status,
        {
            "plan": plan_json(plan),
            "apply": {
                "interrupted": result.interrupted,
                "results": [
                    {
                        "address": r.address,
                        "action": r.action,
                        "outcome": r.outcome.value,
                        "message": r.message,
                    }
                    for r in result.results
                ],
                "deliveries": [
                    {
                        "credential": d.credential,
                        "label": d.label,
                        "producer": d.producer,
                        "producer_outcome": d.producer_outcome.value
                        if d.producer_outcome
                        else None,
                        "delivered": d.delivered,
                        "missed": d.missed,
                    }
                    for d in result.deliveries
                ],
                "warnings": result.warnings,
            },
        },
    )
