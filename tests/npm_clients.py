"""Install real third-party npm clients once per machine cache, for the fidelity tests.

A package is installed into `~/.cache/karto-smtp-tests/npm/<slug>` the first time a test
session asks for it; later sessions reuse it. When the npm registry cannot be reached the
caller gets `NpmUnavailable` with npm's own message, to skip with a visible reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

CACHE = (
    Path(os.environ.get("KARTO_TEST_CACHE", Path.home() / ".cache" / "karto-smtp-tests")) / "npm"
)


class NpmUnavailable(Exception):
    pass


def npm_install(*specs: str, timeout: float = 300) -> Path:
    """Install `specs` (e.g. "supabase-management-js@2") into a cached folder; return it."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise NpmUnavailable("node/npm are not installed on this machine")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", "+".join(specs))
    folder = CACHE / slug
    marker = folder / ".installed"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"name": "karto-fidelity", "private": true}\n')
    try:
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise NpmUnavailable(f"npm install {' '.join(specs)} timed out after {timeout}s") from exc
    if result.returncode != 0:
        raise NpmUnavailable(
            f"npm install {' '.join(specs)} failed: {result.stderr.strip()[-500:]}"
        )
    marker.write_text("ok\n")
    return folder
