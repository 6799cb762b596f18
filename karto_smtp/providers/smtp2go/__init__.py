"""SMTP2GO: SMTP users (which make the relay password), single senders, sender domains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from karto_smtp.providers.smtp2go.desired import desired as _desired

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.engine.provider import Desired, Provider


class _Factory:
    name = "smtp2go"
    title = "SMTP2GO"

    def desired(self, loaded: LoadedConfig, environ: Mapping[str, str]) -> Desired:
        return _desired(loaded, environ)

    def open(self, loaded: LoadedConfig, environ: Mapping[str, str]) -> Provider:
        from karto_smtp.providers.credentials import api_credential
        from karto_smtp.providers.limits import max_concurrency
        from karto_smtp.providers.smtp2go.client import Smtp2goClient
        from karto_smtp.providers.smtp2go.provider import Smtp2goProvider

        account = loaded.config.smtp2go
        assert account is not None
        key = api_credential(
            account.api_key,
            "SMTP2GO_API_KEY",
            "the SMTP2GO API key",
            "smtp2go.api_key",
            loaded,
            environ,
        )
        bound = max_concurrency(self.name, Smtp2goProvider.max_concurrency, environ)
        client = Smtp2goClient(
            account.resolved_api_url(environ),
            key.value.reveal(),
            max_concurrency=bound,
            credential=key.source,
        )
        return Smtp2goProvider(client)


factory = _Factory()
