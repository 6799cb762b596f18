"""`karto-smtp validate` and `karto-smtp schema`: offline, no network, no heavy imports."""

from __future__ import annotations

from pathlib import Path

import click

from karto_smtp.cli.collector import short_start
from karto_smtp.cli.options import format_option
from karto_smtp.config.findings import LintFinding
from karto_smtp.config.lint import lint
from karto_smtp.config.load import ConfigProblems, LoadedConfig, config_path, load_config
from karto_smtp.errors import ConfigError
from karto_smtp.wording import counted


def _summary(loaded: LoadedConfig) -> str:
    config = loaded.config
    parts = []
    if config.smtp2go is not None:
        account = config.smtp2go
        objects = (
            len(account.smtp_users) + len(account.senders.emails) + len(account.senders.domains)
        )
        parts.append(counted(objects, "SMTP2GO object"))
    if config.supabase is not None:
        parts.append(counted(len(config.supabase.projects), "Supabase project"))
    return ", ".join(parts) or "nothing managed"


@click.command()
@click.argument(
    "files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path), metavar="[FILE]..."
)
@click.option(
    "-c",
    "--config",
    "config_option",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: $KARTO_CONFIG, else ./karto.yaml).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--require-secrets",
    is_flag=True,
    help="An env()/file() secret that cannot be read here is an error, not a note.",
)
@format_option(help="json: one envelope on stdout with every finding.")
@short_start
def validate(
    files: tuple[Path, ...],
    config_option: Path | None,
    strict: bool,
    require_secrets: bool,
    fmt: str,
) -> None:
    """Check karto.yaml offline: schema and lint rules. Exit 1 on any error.

    No credentials are needed: a secret whose value is not here (an unset variable, an
    absent secret file) is a note. plan and apply still require it, as does
    --require-secrets. FILE... (as a pre-commit hook passes them) checks each file.
    """
    paths = list(files) if files else [config_path(config_option)]
    if fmt == "json":
        _validate_json(paths, strict, require_secrets)
        return
    failures = [
        failure
        for path in paths
        if (failure := _validate_one(path, strict, require_secrets)) is not None
    ]
    if len(paths) == 1 and failures:
        raise ConfigError(failures[0])
    if failures:
        for failure in failures:
            click.echo(failure, err=True)
        raise ConfigError(f"{len(failures)} of {len(paths)} files are invalid")


def _findings(
    path: Path, strict: bool, require_secrets: bool
) -> tuple[LoadedConfig | None, list[LintFinding]]:
    loaded: LoadedConfig | None = None
    try:
        loaded = load_config(path, check=False)
        findings: list[LintFinding] = lint(loaded, require_secrets=require_secrets)
    except ConfigProblems as exc:
        findings = exc.findings
    if strict:
        findings = [f.as_error() if f.severity == "warning" else f for f in findings]
    return loaded, findings


def _validate_json(paths: list[Path], strict: bool, require_secrets: bool) -> None:
    import sys

    from karto_smtp.views.envelope import dumps, envelope

    results = []
    for path in paths:
        try:
            loaded, findings = _findings(path, strict, require_secrets)
        except ConfigError as exc:  # the file cannot be read at all
            loaded, findings = None, []
            results.append({"path": str(path), "valid": False, "error": str(exc), "findings": []})
            continue
        results.append(
            {
                "path": str(path),
                "valid": loaded is not None and not any(f.severity == "error" for f in findings),
                "summary": _summary(loaded) if loaded is not None else None,
                "findings": [
                    {
                        "severity": f.severity,
                        "code": f.code,
                        "location": f.location,
                        "path": f.path,
                        "message": f.message,
                        "hint": f.hint,
                    }
                    for f in findings
                ],
            }
        )
    valid = all(r["valid"] for r in results)
    document = envelope(
        "validate", "valid" if valid else "invalid", {"validate": {"files": results}}
    )
    click.echo(dumps(document), nl=False)
    if not valid:
        sys.exit(1)


def _validate_one(path: Path, strict: bool, require_secrets: bool) -> str | None:
    """Print the findings and the verdict of one file; the failure message, or None."""
    loaded, findings = _findings(path, strict, require_secrets)
    for finding in findings:
        click.echo(finding.format(), err=True)
    counts = {
        severity: sum(1 for f in findings if f.severity == severity)
        for severity in ("error", "warning", "note")
    }
    if counts["error"] or loaded is None:
        text = counted(counts["error"], "error")
        if counts["warning"]:
            text += ", " + counted(counts["warning"], "warning")
        return f"{path}: invalid ({text})"
    tail = "".join(f"; {counted(counts[s], s)}" for s in ("warning", "note") if counts[s])
    click.echo(f"{path}: valid ({_summary(loaded)}{tail})")
    return None


@click.command()
@short_start
def schema() -> None:
    """Print the JSON Schema of karto.yaml (for editors: yaml-language-server $schema)."""
    from karto_smtp.config.schema import schema_text

    click.echo(schema_text(), nl=False)


__all__ = ["validate", "schema"]
