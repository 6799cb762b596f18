"""What the sandbox starts with: the Supabase projects a karto.yaml names.

The sandbox reads the file with its own few lines of YAML handling instead of the
product's config loader: it needs only `supabase.projects[*].ref` and `name`, and it must
start even for a file the product would reject for other reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_REF_RE = re.compile(r"[a-z]{20}")


@dataclass
class Seed:
    projects: list[tuple[str, str]] = field(default_factory=list)  # (ref, name)
    skipped: list[str] = field(default_factory=list)  # why an entry made no project


def projects_in(path: Path) -> Seed:
    """The (ref, name) of each `supabase.projects[*]` with a literal, valid ref."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc})") from exc
    supabase = data.get("supabase") if isinstance(data, dict) else None
    projects: Any = supabase.get("projects") if isinstance(supabase, dict) else None
    if isinstance(projects, dict):  # also accept a mapping keyed by project name
        projects = [{"name": k, **v} for k, v in projects.items() if isinstance(v, dict)]
    seed = Seed()
    for index, project in enumerate(projects if isinstance(projects, list) else []):
        if not isinstance(project, dict):
            continue
        ref = project.get("ref")
        name = project.get("name")
        label = f"supabase.projects[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(ref, str) or not PROJECT_REF_RE.fullmatch(ref):
            seed.skipped.append(f"{label}: ref {ref!r} is not 20 lower-case letters")
            continue
        if any(ref == seen for seen, _ in seed.projects):
            continue
        seed.projects.append((ref, name if isinstance(name, str) and name else ref))
    return seed
