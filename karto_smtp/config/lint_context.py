"""What a lint rule works with: the loaded file, and a place to report findings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from karto_smtp.config.findings import LintFinding, Severity
from karto_smtp.config.model import (
    EffectiveSmtp,
    KartoConfig,
    ProjectConfig,
    SmtpSettings,
    auth_written_at,
    effective_auth,
    resolve_smtp,
)
from karto_smtp.config.yaml_loader import NodePath, format_path

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig


class LintContext:
    """What every rule reads (the loaded file) and where it reports (`findings`)."""

    def __init__(self, loaded: LoadedConfig, *, require_secrets: bool = True) -> None:
        self.loaded = loaded
        self.require_secrets = require_secrets
        self.config: KartoConfig = loaded.config
        self.findings: list[LintFinding] = []

    def add(self, severity: Severity, code: str, path: NodePath, message: str, hint: str) -> None:
        path = self.written_at(path)
        self.findings.append(
            LintFinding(severity, code, self.loaded.locate(path), message, hint, format_path(path))
        )

    def written_at(self, path: NodePath) -> NodePath:
        """A project's merged auth setting -> where it is written (project or defaults)."""
        if len(path) > 4 and path[:2] == ("supabase", "projects") and path[3] == "auth":
            index = path[2]
            assert isinstance(index, int)
            return auth_written_at(self.config, index, path[4:])
        return path

    def add_at(
        self, severity: Severity, code: str, location: str, message: str, hint: str, path: str
    ) -> None:
        """A finding located outside karto.yaml's keys (e.g. in a template file)."""
        self.findings.append(LintFinding(severity, code, location, message, hint, path))

    def error(self, code: str, path: NodePath, message: str, hint: str) -> None:
        self.add("error", code, path, message, hint)

    def warning(self, code: str, path: NodePath, message: str, hint: str) -> None:
        self.add("warning", code, path, message, hint)

    def check_range(
        self, path: NodePath, value: int | None, bounds: tuple[int, int], unit: str
    ) -> None:
        """out-of-range: a value the Supabase API refuses."""
        low, high = bounds
        if value is not None and not low <= value <= high:
            self.error(
                "out-of-range",
                path,
                f"{value} is outside the Supabase API's range {low}..{high}",
                f"use {low} to {high} ({unit})",
            )

    def projects(self) -> Iterator[tuple[NodePath, ProjectConfig, SmtpSettings, EffectiveSmtp]]:
        """Projects with managed SMTP settings (their own merged with the defaults): the
        settings' path, the project, the merged settings and their expanded form."""
        if self.config.supabase is None:
            return
        for index, project in enumerate(self.config.supabase.projects):
            smtp = effective_auth(self.config, project).smtp
            effective = resolve_smtp(project, self.config)
            if smtp is not None and effective is not None:
                yield ("supabase", "projects", index, "auth", "smtp"), project, smtp, effective
