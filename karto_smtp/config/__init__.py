"""The karto.yaml file format: loading, the data model, lint rules and the JSON Schema."""

from karto_smtp.config.findings import LintFinding
from karto_smtp.config.lint import lint
from karto_smtp.config.load import ConfigProblems, LoadedConfig, config_path, load_config
from karto_smtp.config.model import (
    AuthConfig,
    EffectiveSmtp,
    KartoConfig,
    PlanConfig,
    ProjectConfig,
    RateLimit,
    RelayRef,
    SenderDomain,
    Senders,
    SingleSender,
    Smtp2goAccountConfig,
    SmtpSettings,
    SmtpUserConfig,
    SupabaseConfig,
    SupabaseDefaults,
    auth_written_at,
    effective_auth,
    resolve_smtp,
)

__all__ = [
    "AuthConfig",
    "ConfigProblems",
    "EffectiveSmtp",
    "KartoConfig",
    "LintFinding",
    "LoadedConfig",
    "PlanConfig",
    "ProjectConfig",
    "RateLimit",
    "RelayRef",
    "SenderDomain",
    "Senders",
    "SingleSender",
    "Smtp2goAccountConfig",
    "SmtpSettings",
    "SmtpUserConfig",
    "SupabaseConfig",
    "SupabaseDefaults",
    "auth_written_at",
    "config_path",
    "effective_auth",
    "lint",
    "load_config",
    "resolve_smtp",
]
