from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import BASIC_CONFIG, OTHER_REF, REF, SandboxView, write_config


@pytest.fixture
def live(cli_env: dict[str, str]) -> Iterator[SandboxView]:
    """The sandbox with two extra projects, the CLI's environment pointed at it."""
    view = SandboxView(cli_env)
    for ref, name in ((REF, "karto-production"), (OTHER_REF, "karto-staging")):
        view.supabase_admin.post(
            "/_sandbox/projects", json={"ref": ref, "name": name}
        ).raise_for_status()
    view.clear_requests()
    yield view
    view.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, BASIC_CONFIG)
