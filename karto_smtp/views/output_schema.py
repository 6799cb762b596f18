"""The JSON Schema of every `--format json` output and plan file (`output.schema.json`).

The plan part comes from the Plan model itself, so the schema cannot drift from what
`plan` prints; a test keeps the committed file equal to what this module builds.
"""

from __future__ import annotations

import json
from typing import Any

from karto_smtp.views.envelope import FORMAT_VERSION

STATUSES: dict[str, list[str]] = {
    "plan": ["changes", "no-changes", "error"],
    "show": ["changes", "no-changes", "error"],
    "apply": ["success", "partial", "error", "interrupted", "no-changes"],
    "check": ["ok", "failed", "error", "interrupted"],
    "validate": ["valid", "invalid", "error"],
    "import": ["written", "invalid", "error", "interrupted"],
}
PAYLOADS: dict[str, list[str]] = {
    "plan": ["plan"],
    "show": ["plan"],
    "apply": ["plan", "apply"],
    "check": ["check"],
    "validate": ["validate"],
    "import": ["import"],
}

_FINDING = {
    "type": "object",
    "required": ["severity", "code", "location", "message"],
    "properties": {
        "severity": {"enum": ["error", "warning", "note"]},
        "code": {"type": "string"},
        "location": {"type": "string"},
        "path": {"type": "string"},
        "message": {"type": "string"},
        "hint": {"type": "string"},
    },
}


def _apply() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["results", "deliveries", "warnings"],
        "properties": {
            "interrupted": {"type": ["string", "null"]},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["address", "action", "outcome", "message"],
                    "properties": {
                        "address": {"type": "string"},
                        "action": {"enum": ["create", "update", "delete"]},
                        "outcome": {
                            "enum": ["applied", "applied, not verified", "failed", "not attempted"]
                        },
                        "message": {"type": "string"},
                    },
                },
            },
            "deliveries": {"type": "array", "items": {"type": "object"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    }


def _check() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["config", "ok", "summary", "rows"],
        "properties": {
            "config": {"type": "string"},
            "ok": {"type": "boolean"},
            "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["link", "subject", "status", "ms", "detail", "fix"],
                    "properties": {
                        "link": {"type": "string"},
                        "subject": {"type": "string"},
                        "status": {"enum": ["pass", "fail", "warn", "skip"]},
                        "ms": {"type": ["integer", "null"]},
                        "detail": {"type": "string"},
                        "fix": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }


def _validate() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["files"],
        "properties": {
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "valid", "findings"],
                    "properties": {
                        "path": {"type": "string"},
                        "valid": {"type": "boolean"},
                        "summary": {"type": ["string", "null"]},
                        "error": {"type": "string"},
                        "findings": {"type": "array", "items": _FINDING},
                    },
                },
            }
        },
    }


def _import() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["output", "summary", "password_take_over", "findings"],
        "properties": {
            "output": {"type": "string"},
            "summary": {"type": "string"},
            "password_take_over": {"type": "array", "items": {"type": "string"}},
            "skipped_projects": {"type": "array", "items": {"type": "string"}},
            "findings": {"type": "array", "items": _FINDING},
        },
    }


def build() -> dict[str, Any]:
    from karto_smtp.engine.plan import plan_json_schema

    plan = plan_json_schema(ref_template="#/$defs/{model}")
    defs = plan.pop("$defs", {})
    defs["Plan"] = plan
    defs["Apply"] = _apply()
    defs["Check"] = _check()
    defs["Validate"] = _validate()
    defs["Import"] = _import()
    payload_defs = {"plan": "Plan", "apply": "Apply", "check": "Check", "validate": "Validate"}
    payload_defs["import"] = "Import"
    conditions = []
    for command, statuses in STATUSES.items():
        payload = {key: {"$ref": f"#/$defs/{payload_defs[key]}"} for key in PAYLOADS[command]}
        conditions.append(
            {
                "if": {"properties": {"command": {"const": command}}},
                "then": {
                    "properties": {"status": {"enum": statuses}, **payload},
                    "if": {"properties": {"status": {"not": {"enum": ["error", "interrupted"]}}}},
                    "then": {"required": PAYLOADS[command]},
                },
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://karto-smtp.invalid/output.schema.json",
        "title": "karto-smtp JSON output",
        "description": "What `--format json` prints and what `plan --out` saves "
        f"(format {FORMAT_VERSION}).",
        "type": "object",
        "required": ["format_version", "tool_version", "command", "status", "errors"],
        "properties": {
            "format_version": {"type": "string", "pattern": r"^2\.[0-9]+$"},
            "tool_version": {"type": "string"},
            "command": {"enum": list(STATUSES)},
            "status": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {
                            "enum": [
                                "config",
                                "api",
                                "stale-plan",
                                "usage",
                                "aborted",
                                "interrupted",
                                "unexpected",
                                "error",
                            ]
                        },
                        "message": {"type": "string"},
                    },
                },
            },
        },
        "allOf": conditions,
        "$defs": defs,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
