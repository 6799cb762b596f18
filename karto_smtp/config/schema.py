"""The JSON Schema of karto.yaml, for editors (yaml-language-server) and CI."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from typing import Any

from pydantic import BaseModel

from karto_smtp.config import model
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


def _field_docs(cls: type[BaseModel]) -> dict[str, str]:
    """Field name -> the docstring written under it, in this class or the ones it extends."""
    docs: dict[str, str] = {}
    for owner in reversed(cls.__mro__):
        if not issubclass(owner, BaseModel) or owner.__module__ != model.__name__:
            continue
        body = ast.parse(textwrap.dedent(inspect.getsource(owner))).body[0]
        assert isinstance(body, ast.ClassDef)
        for field, after in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _describe_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """Each model's properties get their field docstrings as descriptions."""
    models = {
        name: cls
        for name, cls in vars(model).items()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == model.__name__
    }
    for name, node in [(KartoConfig.__name__, schema), *schema.get("$defs", {}).items()]:
        if name not in models:
            continue
        for field, doc in _field_docs(models[name]).items():
            prop = node.get("properties", {}).get(field)
            if isinstance(prop, dict) and "description" not in prop:
                prop["description"] = doc
                # pydantic writes every schema's keys in sorted order; keep that order.
                node["properties"][field] = dict(sorted(prop.items()))
    return schema


def build_schema() -> dict[str, Any]:
    """KartoConfig's JSON Schema with every description on one line.

    Declared as draft-07: pydantic only emits keywords draft-07 has (its `$defs` are
    reached through plain JSON pointers), and yaml-language-server / VS Code fully
    support draft-07 but flag 2020-12 as "not yet fully supported".
    """
    schema = _describe_fields(KartoConfig.model_json_schema(mode="validation"))
    return {"$schema": "http://json-schema.org/draft-07/schema#", **_one_line(schema)}


def schema_text() -> str:
    """The schema as committed in karto.schema.json (2-space indent, trailing newline)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
