"""Saved plans: a promise of what apply will do, never a program it runs.

A plan file is the JSON of `plan --format json`. `apply PLANFILE` derives the plan again
from karto.yaml and the live services and goes ahead only if the result is exactly what was
saved; nothing written in the file is executed. Files are written owner-only, never over
the config they were made from, and never through a symbolic link.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from karto_smtp.engine.plan import Plan, plan_from_json
from karto_smtp.errors import KartoError, StalePlanError
from karto_smtp.small_files import FileTooLarge, NotRegularFile, read_small_file

MAJOR_VERSION = "2"
MAX_PLAN_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64


def check_destination(path: Path, config_path: Path) -> Path:
    """Refuse, before any call, a destination that is the config, a link or not writable."""
    if path.is_symlink():
        raise KartoError(f"--out {path}: is a symbolic link; name a regular file")
    if path.exists():
        if not path.is_file():
            raise KartoError(f"--out {path}: is not a regular file")
        try:
            if config_path.exists() and path.samefile(config_path):
                raise KartoError(
                    f"--out {path}: that is the config the plan was made from; "
                    "name another file (e.g. karto.plan)"
                )
        except OSError:
            pass
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise KartoError(f"--out {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise KartoError(f"--out {path}: folder {folder} is not writable")
    return folder


def write_plan(text: str, path: Path, config_path: Path) -> None:
    """Write `text` to `path` atomically with mode 0600; refuse the config and symlinks."""
    folder = check_destination(path, config_path)
    try:
        fd, temporary = tempfile.mkstemp(prefix=".karto-plan-", dir=folder)
    except OSError as exc:
        raise KartoError(f"--out {path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
        # rename() replaces a link at the destination instead of following it.
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise KartoError(f"--out {path}: cannot write ({exc.strerror})") from None


def _depth(value: Any, limit: int) -> bool:
    """True when `value` nests deeper than `limit` (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return False


def read_plan(path: Path) -> Plan:
    """Parse a plan file; any defect is one line naming the file, never a traceback."""
    where = f"plan file {path}"
    try:
        raw = read_small_file(path, MAX_PLAN_BYTES)
    except FileNotFoundError:
        raise KartoError(f"{where} does not exist") from None
    except NotRegularFile:
        raise KartoError(f"{where} is not a regular file") from None
    except FileTooLarge:
        raise KartoError(f"{where} is larger than any plan karto-smtp writes") from None
    except OSError as exc:
        raise KartoError(f"cannot read {where} ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KartoError(f"{where} is not a karto-smtp plan (not UTF-8 text)") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise KartoError(f"{where} is not a karto-smtp plan (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise KartoError(
            f"{where} is not a karto-smtp plan (not JSON: {exc.msg} at line {exc.lineno})"
        ) from None
    if not isinstance(document, dict) or document.get("command") != "plan":
        raise KartoError(f"{where} is not a karto-smtp plan (make one with `plan --out`)")
    version = str(document.get("format_version", ""))
    if version.split(".")[0] != MAJOR_VERSION:
        raise KartoError(
            f"{where}: format {version or 'unknown'} is not the one this karto-smtp reads "
            f"({MAJOR_VERSION}.x); make the plan again with this version"
        )
    if _depth(document, MAX_DEPTH):
        raise KartoError(f"{where} is not a karto-smtp plan (nested too deeply)")
    try:
        return plan_from_json(document.get("plan"))
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(p) for p in first["loc"]) or "plan"
        said = (
            "not a key of a plan"
            if first["type"] == "unexpected_keyword_argument"
            else first["msg"]
        )
        raise KartoError(f"{where} is not a valid plan: {at}: {said}") from None


def _describe(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def differences(saved: Plan, fresh: Plan, limit: int = 10) -> list[str]:
    """How the plan derived now differs from the saved one, in words; empty when equal."""
    if saved.config.digest != fresh.config.digest:
        return [f"{fresh.config.path} changed since the plan was made"]
    before, now = saved.promise(), fresh.promise()
    found: list[str] = []
    if before["options"] != now["options"]:
        found.append(
            f"options: saved {_describe(before['options'])}, now {_describe(now['options'])}"
        )
    saved_changes = {c["address"]: c for c in before["changes"]}
    fresh_changes = {c["address"]: c for c in now["changes"]}
    for address in saved_changes.keys() - fresh_changes.keys():
        found.append(f"{address} is in the saved plan but karto.yaml does not give it now")
    for address in fresh_changes.keys() - saved_changes.keys():
        found.append(f"{address} would change now but is not in the saved plan")
    for address in sorted(saved_changes.keys() & fresh_changes.keys()):
        old, new = saved_changes[address], fresh_changes[address]
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                found.append(
                    f"{address}: {key}: saved {_describe(old.get(key))}, "
                    f"now {_describe(new.get(key))}"
                )
    if not found and before["handoffs"] != now["handoffs"]:
        found.append("the password hand-off differs from the saved plan")
    if not found and [c["address"] for c in before["changes"]] != [
        c["address"] for c in now["changes"]
    ]:
        found.append("the order of changes differs from the saved plan")
    return found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])


def check_promise(saved: Plan, fresh: Plan) -> None:
    """Refuse, saying what differs, unless `fresh` is exactly the saved plan."""
    found = differences(saved, fresh)
    if found:
        raise StalePlanError(
            "saved plan is stale or was edited; nothing was applied. Differences:\n  "
            + "\n  ".join(found)
            + "\nRun `karto-smtp plan --out` again and review the new plan."
        )
