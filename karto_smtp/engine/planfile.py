"""Saved plans: written owner-only, free of secrets, refused when stale."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from karto_smtp.engine.plan import PLAN_FORMAT_VERSION, Plan
from karto_smtp.engine.planner import fingerprint
from karto_smtp.errors import KartoError, StalePlanError
from karto_smtp.providers.base import Provider


def write_plan(plan: Plan, path: Path) -> None:
    data = plan.model_dump_json(indent=2) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
    with os.fdopen(fd, "w") as handle:
        handle.write(data)


def read_plan(path: Path) -> Plan:
    try:
        raw = json.loads(path.read_text())
    except OSError as exc:
        raise KartoError(f"cannot read plan file {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise KartoError(f"{path} is not a karto-smtp plan file: {exc}") from None
    version = str(raw.get("format_version", "")) if isinstance(raw, dict) else ""
    if version.split(".")[0] != PLAN_FORMAT_VERSION.split(".")[0]:
        raise KartoError(
            f"{path}: plan format {version or 'unknown'} is not supported by this karto-smtp "
            f"(it reads {PLAN_FORMAT_VERSION}); make the plan again with this version"
        )
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        raise KartoError(f"{path} is not a valid plan file: {exc.errors()[0]['msg']}") from None


def check_fresh(
    plan: Plan,
    config_digest: str,
    live: Mapping[str, dict[str, Any] | None],
    providers: Mapping[str, Provider],
) -> None:
    if plan.config_digest != config_digest:
        raise StalePlanError(
            f"saved plan is stale: {plan.config_path} changed since the plan was made; "
            "run `karto-smtp plan` again"
        )
    for change in plan.actionable:
        view = live.get(change.address)
        provider = providers[change.provider]
        now = fingerprint(plan.fingerprint_salt, provider.fingerprint_view(view) if view else None)
        if now != change.fingerprint:
            raise StalePlanError(
                f"saved plan is stale: {change.address} changed since the plan was made; "
                "run `karto-smtp plan` again"
            )
