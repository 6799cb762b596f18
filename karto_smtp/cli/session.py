"""What `plan` and `apply` share: load the file, derive resources, open services, plan."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.engine.plan import Plan, PlanOptions
    from karto_smtp.engine.planner import DesiredState, Planned
    from karto_smtp.engine.provider import Provider


def progress(message: str) -> None:
    from karto_smtp.redaction import redact

    click.echo(redact(message), err=True)


def load(config_path: Path | None) -> LoadedConfig:
    """Load and lint karto.yaml; errors stop before any call, warnings are one line on
    stderr that points at `validate` (which prints them in full)."""
    from karto_smtp.cli.notices import warnings_line
    from karto_smtp.config.load import config_path as default_config_path
    from karto_smtp.config.load import load_config

    loaded = load_config(default_config_path(config_path))
    line = warnings_line(loaded.warnings, loaded.display)
    if line:
        click.echo(line, err=True)
    return loaded


def prepare(loaded: LoadedConfig, options: PlanOptions) -> DesiredState:
    """Resources for this run: secrets resolved, --target and --rotate-password checked."""
    from karto_smtp.engine.planner import rotation_ids, select
    from karto_smtp.providers.registry import desired_state

    state = select(desired_state(loaded, os.environ), options.targets)
    rotation_ids(state, options.rotate_passwords)
    return state


@asynccontextmanager
async def services(loaded: LoadedConfig, state: DesiredState) -> AsyncIterator[dict[str, Provider]]:
    from karto_smtp.cli.collector import starting_over
    from karto_smtp.providers.registry import open_providers, titles

    starting_over()
    names = {r.address.provider for r in state.resources}
    providers = open_providers(loaded, os.environ, names)
    progress(f"Reading live state from {titles(names) or 'no service'}...")
    try:
        yield providers
    finally:
        for provider in providers.values():
            await provider.aclose()


async def derive(
    loaded: LoadedConfig,
    state: DesiredState,
    providers: dict[str, Provider],
    options: PlanOptions,
) -> Planned:
    from karto_smtp.engine.plan import ConfigRef
    from karto_smtp.engine.planner import plan

    config = ConfigRef(path=str(loaded.path), digest=loaded.digest)
    return await plan(state, providers, config, options)


def render(planned_plan: Plan, fmt: str, colour: bool) -> str:
    if fmt == "json":
        from karto_smtp.views.json import render_json

        return render_json(planned_plan)
    if fmt == "markdown":
        from karto_smtp.views.markdown import render_markdown

        return render_markdown(planned_plan)
    from karto_smtp.views.text import render_text

    return render_text(planned_plan, colour=colour)
