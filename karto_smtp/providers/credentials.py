"""The credential a provider logs in with: from karto.yaml's reference, else a variable.

It carries where it came from, so that when a service refuses it the message names the
variable or karto.yaml setting to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from karto_smtp.errors import ConfigError
from karto_smtp.secrets import Secret

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.secrets import SecretRef


@dataclass(frozen=True)
class CredentialSource:
    """`variable` is the default (SMTP2GO_API_KEY); `ref` is what karto.yaml declares, if any."""

    setting: str
    variable: str
    ref: SecretRef | None = None

    @property
    def name(self) -> str:
        """'SMTP2GO_API_KEY', or 'smtp2go.api_key: env(MY_KEY)' when karto.yaml names one."""
        if self.ref is None:
            return self.variable
        return f"{self.setting}: {self.ref.text}"

    def put_it(self) -> str:
        """How to hand karto-smtp a new value: 'export it as SMTP2GO_API_KEY (...)'."""
        ref = self.ref
        if ref is None:
            return (
                f"export it as {self.variable} (or name another variable with "
                f"{self.setting}: env(NAME) in karto.yaml)"
            )
        if ref.kind == "env":
            return f"put it in the environment variable {ref.name}"
        return f"write it to {ref.file_path()}"


@dataclass(frozen=True)
class ApiCredential:
    value: Secret
    source: CredentialSource


def api_credential(
    ref: SecretRef | None,
    variable: str,
    what: str,
    setting: str,
    loaded: LoadedConfig,
    environ: Mapping[str, str],
) -> ApiCredential:
    source = CredentialSource(setting, variable, ref)
    if ref is not None:
        return ApiCredential(ref.resolve(environ, loaded.base_dir), source)
    value = environ.get(variable)
    if not value:
        raise ConfigError(
            f"{loaded.path}: {what} is not set: export {variable}, or set {setting}: env(NAME) "
            "in karto.yaml"
        )
    return ApiCredential(Secret(value), source)
