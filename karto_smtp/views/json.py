"""The machine view of a Plan: the envelope with the plan under `plan`. Secret-free.

The same text is what `plan --out` saves, so a plan file can be read by anything that
reads `plan --format json`, and `show PLANFILE` prints it again.
"""

from __future__ import annotations

from typing import Any

from karto_smtp.engine.plan import Plan, plan_json
from karto_smtp.views.envelope import dumps, envelope


def plan_status(plan: Plan) -> str:
    return "changes" if plan.summary.has_changes else "no-changes"


def plan_document(plan: Plan) -> dict[str, Any]:
    return envelope("plan", plan_status(plan), {"plan": plan_json(plan)})


def render_json(plan: Plan) -> str:
    return dumps(plan_document(plan))
