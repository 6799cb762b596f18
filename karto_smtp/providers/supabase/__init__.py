"""Supabase: each project's Auth SMTP settings (which receive the relay password)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from karto_smtp.providers.supabase.desired import desired as _desired

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.engine.provider import Desired, Provider


class _Factory:
    name = "supabase"
    title = "Supabase"

    def desired(self, loaded: LoadedConfig, environ: Mapping[str, str]) -> Desired:
        return _desired(loaded, environ)

    def open(self, loaded: LoadedConfig, environ: Mapping[str, str]) -> Provider:
        from karto_smtp.providers.credentials import api_credential
        from karto_smtp.providers.limits import max_concurrency
        from karto_smtp.providers.supabase.client import SupabaseClient
        from karto_smtp.providers.supabase.fields import redact_digests
        from karto_smtp.providers.supabase.provider import SupabaseProvider

        config = loaded.config.supabase
        assert config is not None
        redact_digests(project.ref for project in config.projects)
        token = api_credential(
            config.access_token,
            "SUPABASE_ACCESS_TOKEN",
            "the Supabase access token",
            "supabase.access_token",
            loaded,
            environ,
        )
        bound = max_concurrency(self.name, SupabaseProvider.max_concurrency, environ)
        client = SupabaseClient(
            config.resolved_api_url(environ),
            token.value.reveal(),
            max_concurrency=bound,
            credential=token.source,
        )
        return SupabaseProvider(client)


factory = _Factory()
