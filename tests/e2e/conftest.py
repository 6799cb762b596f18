from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import BASIC_CONFIG, OTHER_REF, REF, SandboxView, write_config


@pytest.fixture
def live(sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[SandboxView]:
    """The sandbox with two extra projects, the CLI's environment pointed at it."""
    for name, value in sandbox.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KARTO_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("KARTO_CONFIG", raising=False)
    view = SandboxView(sandbox.env)
    for ref, name in ((REF, "karto-production"), (OTHER_REF, "karto-staging")):
        view.supabase_admin.post(
            "/_sandbox/projects", json={"ref": ref, "name": name}
        ).raise_for_status()
    view.clear_requests()
    monkeypatch.chdir(tmp_path)
    yield view


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, BASIC_CONFIG)
