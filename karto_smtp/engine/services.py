"""Open one client per service from karto.yaml and the standard environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from karto_smtp.engine.resources import Desired
from karto_smtp.errors import ConfigError
from karto_smtp.providers.base import Provider


@dataclass
class Services:
    providers: dict[str, Provider] = field(default_factory=dict)

    async def aclose(self) -> None:
        for provider in self.providers.values():
            await provider.aclose()


def _credential(
    ref: Any, variable: str, what: str, setting: str, loaded: Any, environ: Mapping[str, str]
) -> str:
    if ref is not None:
        return ref.resolve(environ, loaded.path.parent).reveal()
    value = environ.get(variable)
    if not value:
        raise ConfigError(
            f"{loaded.path}: {what} is not set: export {variable}, or set {setting}: env(NAME) "
            "in karto.yaml"
        )
    return value


def open_services(loaded: Any, environ: Mapping[str, str], desired: list[Desired]) -> Services:
    """Clients for the services `desired` touches; credentials are checked before any call."""
    services = Services()
    needed = {d.provider for d in desired}
    config = loaded.config
    if "smtp2go" in needed:
        from karto_smtp.providers.smtp2go.client import Smtp2goClient
        from karto_smtp.providers.smtp2go.provider import Smtp2goProvider

        key = _credential(
            config.smtp2go.api_key,
            "SMTP2GO_API_KEY",
            "the SMTP2GO API key",
            "smtp2go.api_key",
            loaded,
            environ,
        )
        client = Smtp2goClient(config.smtp2go.resolved_api_url(environ), key)
        services.providers["smtp2go"] = Smtp2goProvider(client)
    if "supabase" in needed:
        from karto_smtp.providers.supabase.client import SupabaseClient
        from karto_smtp.providers.supabase.provider import SupabaseProvider

        token = _credential(
            config.supabase.access_token,
            "SUPABASE_ACCESS_TOKEN",
            "the Supabase access token",
            "supabase.access_token",
            loaded,
            environ,
        )
        client = SupabaseClient(config.supabase.resolved_api_url(environ), token)
        services.providers["supabase"] = SupabaseProvider(client)
    return services
