"""The machine view of a Plan: versioned, stable, secret-free.

Contract: `format_version` is MAJOR.MINOR; a minor bump only adds keys, a major bump may
change or remove them. Sensitive fields never carry values, only the markers
"(sensitive value)" and "(known after apply)".
"""

from __future__ import annotations

import json
from typing import Any

from karto_smtp.engine.plan import Plan


def plan_document(plan: Plan) -> dict[str, Any]:
    summary = plan.summary
    return {
        "format_version": plan.format_version,
        "tool_version": plan.tool_version,
        "created_at": plan.created_at,
        "config": {"path": plan.config_path, "digest": plan.config_digest},
        "targets": plan.targets,
        "rotate_passwords": plan.rotate_passwords,
        "summary": {
            "add": summary.add,
            "change": summary.change,
            "destroy": summary.destroy,
            "unchanged": summary.unchanged,
        },
        "has_changes": summary.has_changes,
        "resource_changes": [
            {
                "address": c.address,
                "provider": c.provider,
                "kind": c.kind,
                "key": c.key,
                "action": c.action.value,
                "fields": [f.model_dump() for f in c.fields],
                "unchanged_fields": c.unchanged_fields,
                "reasons": c.reasons,
                "notes": c.notes,
                "requests": [r.model_dump() for r in c.requests],
            }
            for c in plan.changes
        ],
        "warnings": plan.warnings,
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2) + "\n"
