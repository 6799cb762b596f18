"""The one JSON envelope every command prints with `--format json` (and plan files use).

Contract (docs/json-format.md, schema in `output.schema.json` beside this module):
`format_version` is MAJOR.MINOR; a minor bump only adds keys, a major bump may change or
remove them. `command` names the command, `status` its outcome, and the command's payload
sits under a key named after it (`plan`, `apply`, `check`, `validate`, `import`). A
command that fails before it has a payload still prints the envelope, with `errors`.
"""

from __future__ import annotations

import json
from typing import Any

from karto_smtp import __version__

FORMAT_VERSION = "2.0"


def envelope(
    command: str,
    status: str,
    payload: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "command": command,
        "status": status,
    }
    document.update(payload or {})
    document["errors"] = errors or []
    return document


def error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """One entry of `errors`: a stable code, the message printed on stderr, and details."""
    return {"code": code, "message": message, **extra}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
