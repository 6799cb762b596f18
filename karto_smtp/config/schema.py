"""The JSON Schema of karto.yaml, for editors (yaml-language-server) and CI."""

from __future__ import annotations

import json
from typing import Any

from karto_smtp.config.model import KartoConfig


def _one_line(node: Any) -> Any:
    # Field docstrings wrap at the code's line length; editors show them as one paragraph.
    if isinstance(node, dict):
        return {
            key: " ".join(value.split())
            if key == "description" and isinstance(value, str)
            else _one_line(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_one_line(item) for item in node]
    return node


def build_schema() -> dict[str, Any]:
    """KartoConfig's JSON Schema with every description on one line.

    Declared as draft-07: pydantic only emits keywords draft-07 has (its `$defs` are
    reached through plain JSON pointers), and yaml-language-server / VS Code fully
    support draft-07 but flag 2020-12 as "not yet fully supported".
    """
    schema = KartoConfig.model_json_schema(mode="validation")
    return {"$schema": "http://json-schema.org/draft-07/schema#", **_one_line(schema)}


def schema_text() -> str:
    """The schema as committed in karto.schema.json (2-space indent, trailing newline)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
