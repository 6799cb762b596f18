"""A sandbox whose Supabase projects are all converged, so the next plan has nothing to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bench.stack import SENDER, karto_yaml, project_ref
from tests.cli_runner import run_cli


@pytest.fixture
def converged(cli_env, monkeypatch, tmp_path, capsys) -> Callable[[int], Path]:
    """`converged(n)`: a karto.yaml over n projects, applied; returns its path."""
    env = cli_env
    for name in (
        "KARTO_MAX_CONCURRENCY",
        "KARTO_SUPABASE_MAX_CONCURRENCY",
        "KARTO_SMTP2GO_MAX_CONCURRENCY",
    ):
        monkeypatch.delenv(name, raising=False)

    def make(projects: int) -> Path:
        refs = [project_ref(i) for i in range(projects)]
        for number, ref in enumerate(refs):
            httpx.post(
                f"{env['SUPABASE_API_URL']}/_sandbox/projects",
                json={"ref": ref, "name": f"bench-{number}"},
            ).raise_for_status()
        path = tmp_path / f"karto-{projects}.yaml"
        path.write_text(karto_yaml(refs))
        applied = run_cli(capsys, "apply", "--auto-approve", "-c", str(path))
        assert applied.exit_code == 0, applied.stderr
        httpx.post(
            f"{env['KARTO_SANDBOX_URL']}/_sandbox/senders/verify", json={"email_address": SENDER}
        ).raise_for_status()
        httpx.delete(f"{env['KARTO_SANDBOX_URL']}/_sandbox/requests").raise_for_status()
        return path

    return make
