"""The credential a provider logs in with: from karto.yaml's reference, else a variable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from karto_smtp.errors import ConfigError

if TYPE_CHECKING:
    from karto_smtp.config.load import LoadedConfig
    from karto_smtp.secrets import SecretRef


def api_credential(
    ref: SecretRef | None,
    variable: str,
    what: str,
    setting: str,
    loaded: LoadedConfig,
    environ: Mapping[str, str],
) -> str:
    if ref is not None:
        return ref.resolve(environ, loaded.base_dir).reveal()
    value = environ.get(variable)
    if not value:
        raise ConfigError(
            f"{loaded.path}: {what} is not set: export {variable}, or set {setting}: env(NAME) "
            "in karto.yaml"
        )
    return value
