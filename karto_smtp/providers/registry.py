"""The services karto-smtp manages. Adding one is a new folder here plus one line below.

Each entry names a module whose `factory` maps karto.yaml to resources and opens a
provider; nothing is imported until a command needs that service.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from karto_smtp.engine.planner import DesiredState

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.engine.provider import Desired, Provider

SERVICES: dict[str, str] = {
    "smtp2go": "karto_smtp.providers.smtp2go",
    "supabase": "karto_smtp.providers.supabase",
}


class ServiceFactory(Protocol):
    name: str
    title: str

    def desired(self, loaded: LoadedConfig, environ: Mapping[str, str]) -> Desired: ...

    def open(self, loaded: LoadedConfig, environ: Mapping[str, str]) -> Provider: ...


def factory(name: str) -> ServiceFactory:
    module = importlib.import_module(SERVICES[name])
    found: ServiceFactory = module.factory
    return found


def desired_state(loaded: LoadedConfig, environ: Mapping[str, str]) -> DesiredState:
    """Every service's resources and credentials, in karto.yaml's order of services."""
    state = DesiredState()
    for name in SERVICES:
        part = factory(name).desired(loaded, environ)
        state.resources.extend(part.resources)
        state.credentials.extend(part.credentials)
    return state


def open_providers(
    loaded: LoadedConfig, environ: Mapping[str, str], names: Iterable[str]
) -> dict[str, Provider]:
    """A provider for each named service; credentials are resolved before any call."""
    return {name: factory(name).open(loaded, environ) for name in sorted(set(names))}


def titles(names: Iterable[str]) -> str:
    """'SMTP2GO and Supabase': for progress lines."""
    found = [factory(n).title for n in SERVICES if n in set(names)]
    return " and ".join(found) if len(found) < 3 else ", ".join(found[:-1]) + " and " + found[-1]
