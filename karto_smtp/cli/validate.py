"""`karto-smtp validate` and `karto-smtp schema`: offline, no network, no heavy imports."""

from __future__ import annotations

from pathlib import Path

import click

from karto_smtp.config.lint import LintFinding, lint
from karto_smtp.config.load import ConfigProblems, LoadedConfig, config_path, load_config
from karto_smtp.errors import ConfigError


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(loaded: LoadedConfig) -> str:
    config = loaded.config
    parts = []
    if config.smtp2go is not None:
        account = config.smtp2go
        objects = (
            len(account.smtp_users) + len(account.senders.emails) + len(account.senders.domains)
        )
        parts.append(_plural(objects, "SMTP2GO object"))
    if config.supabase is not None:
        parts.append(_plural(len(config.supabase.projects), "Supabase project"))
    return ", ".join(parts) or "nothing managed"


@click.command()
@click.option(
    "-c",
    "--config",
    "config_option",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $KARTO_CONFIG, else ./karto.yaml).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(config_option: Path | None, strict: bool) -> None:
    """Check karto.yaml offline: schema and lint rules. Exit 1 on any error."""
    path = config_path(config_option)
    loaded: LoadedConfig | None = None
    try:
        loaded = load_config(path, check=False)
        findings: list[LintFinding] = lint(loaded)
    except ConfigProblems as exc:
        findings = exc.findings
    if strict:
        findings = [f.as_error() for f in findings]
    for finding in findings:
        click.echo(finding.format(), err=True)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    if errors or loaded is None:
        counts = _plural(errors, "error")
        if warnings:
            counts += ", " + _plural(warnings, "warning")
        raise ConfigError(f"{path}: invalid ({counts})")
    tail = f"; {_plural(warnings, 'warning')}" if warnings else ""
    click.echo(f"{path}: valid ({_summary(loaded)}{tail})")


@click.command()
def schema() -> None:
    """Print the JSON Schema of karto.yaml (for editors: yaml-language-server $schema)."""
    from karto_smtp.config.schema import schema_text

    click.echo(schema_text(), nl=False)


__all__ = ["validate", "schema"]
