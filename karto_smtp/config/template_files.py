"""Email template files named by `content_path`, read once when karto.yaml is loaded.

Paths are relative to the folder of karto.yaml, wherever the key is written (a project or
`supabase.defaults`). Each file is read whole; a problem (missing, unreadable, too big,
not UTF-8) is kept and reported by the `template-file` lint rule, naming the path looked
for. Every file's bytes feed the config digest, so editing a template makes a saved plan
stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from karto_smtp.config.model import EmailTemplate, KartoConfig
from karto_smtp.config.offsets import line_column
from karto_smtp.errors import ConfigError

# Auth reads at most this many bytes of a template (GOTRUE_MAILER_TEMPLATE_MAX_SIZE,
# default 1000000 in supabase/auth internal/conf/configuration.go) and cuts the rest.
MAX_TEMPLATE_BYTES = 1_000_000


@dataclass(frozen=True)
class TemplateFile:
    """One `content_path`: where it points and what was read (or why nothing was)."""

    content_path: str
    path: Path
    display: str
    data: bytes | None
    text: str | None
    problem: str | None

    @property
    def sha256(self) -> str | None:
        return None if self.data is None else hashlib.sha256(self.data).hexdigest()


class TemplateFiles(Mapping[str, TemplateFile]):
    """Template files by `content_path` as written in karto.yaml."""

    def __init__(self, files: dict[str, TemplateFile] | None = None) -> None:
        self._files = dict(files or {})

    def __getitem__(self, content_path: str) -> TemplateFile:
        return self._files[content_path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def text(self, content_path: str) -> str:
        """The file's text; ConfigError (naming the path) when it could not be read."""
        file = self._files.get(content_path)
        if file is None:
            raise ConfigError(f"template file {content_path} was not loaded with karto.yaml")
        if file.text is None:
            raise ConfigError(f"template file {file.display} {file.problem}")
        return file.text

    def digest(self, config_digest: str) -> str:
        """The config digest extended with every template file's content.

        Unchanged (the karto.yaml digest) when no template file is named, so plans saved
        before templates existed stay valid.
        """
        if not self._files:
            return config_digest
        combined = hashlib.sha256(config_digest.encode())
        for content_path in sorted(self._files):
            file = self._files[content_path]
            combined.update(f"\n{content_path}\0{file.sha256 or file.problem}".encode())
        return combined.hexdigest()


def content_paths(config: KartoConfig) -> list[str]:
    """Every `content_path` written in the file, in order of first appearance."""
    found: dict[str, None] = {}

    def walk(value: object) -> None:
        if isinstance(value, EmailTemplate):
            if value.content_path is not None:
                found.setdefault(value.content_path)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(config.supabase)
    return list(found)


def read_template_files(config: KartoConfig, base_dir: Path, display_dir: Path) -> TemplateFiles:
    """Read every template file the config names, relative to `base_dir` (the folder of
    karto.yaml); `display_dir` is that folder as the user named it, for messages."""
    files = {}
    for content_path in content_paths(config):
        path = base_dir / content_path
        display = str(display_dir / content_path)
        files[content_path] = _read(content_path, path, display)
    return TemplateFiles(files)


def _read(content_path: str, path: Path, display: str) -> TemplateFile:
    def failed(problem: str, data: bytes | None = None) -> TemplateFile:
        return TemplateFile(content_path, path, display, data, None, problem)

    try:
        size = path.stat().st_size
        if path.is_dir():
            return failed("is a directory")
        if size > MAX_TEMPLATE_BYTES:
            return failed(
                f"is {size} bytes; Supabase Auth reads at most {MAX_TEMPLATE_BYTES} bytes "
                "of a template and cuts the rest"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        return failed("does not exist")
    except PermissionError:
        return failed("is not readable (permission denied)")
    except OSError as exc:
        return failed(f"is not readable ({exc.strerror})")
    try:
        # utf-8-sig: a byte-order mark from an editor is not part of the template.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = line_column(data, exc.start)
        return failed(f"is not UTF-8 text (line {line}, column {column})", data)
    return TemplateFile(content_path, path, display, data, text, None)
