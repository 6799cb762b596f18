"""A loaded karto.yaml: the validated model plus what points back into its file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from karto_smtp.config.template_files import TemplateFiles

if TYPE_CHECKING:
    from karto_smtp.config.findings import LintFinding
    from karto_smtp.config.model import KartoConfig
    from karto_smtp.config.yaml_loader import NodePath, Position, YamlDocument
    from karto_smtp.secrets import Secret, SecretRef


@dataclass
class LoadedConfig:
    """A validated configuration and what is needed to point back into its file."""

    config: KartoConfig
    path: Path
    display: str
    # sha256 of karto.yaml and of every template file it names (see TemplateFiles.digest).
    digest: str
    document: YamlDocument = field(repr=False)
    # The environment holds secret values: never part of a repr or a log line.
    environ: Mapping[str, str] = field(repr=False)
    findings: list[LintFinding] = field(default_factory=list)
    # Email template files named by content_path, read at load time.
    templates: TemplateFiles = field(default_factory=TemplateFiles, repr=False)

    @property
    def base_dir(self) -> Path:
        """Folder that file(PATH) secrets are relative to."""
        return self.path.parent

    @property
    def warnings(self) -> list[LintFinding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def errors(self) -> list[LintFinding]:
        return [f for f in self.findings if f.severity == "error"]

    def position(self, path: NodePath) -> Position:
        return self.document.position(path)

    def locate(self, path: NodePath) -> str:
        """`file:line:col` of `path`, or of its nearest ancestor written in the file."""
        return f"{self.display}:{self.document.position(path)}"

    def resolve_secret(self, ref: SecretRef) -> Secret:
        """Resolve with this load's environment and folder; ConfigError names the line."""
        return ref.resolve(self.environ, self.base_dir)
