"""karto.yaml -> `LoadedConfig`: parse, check the version, validate, lint.

Every problem is reported as `file:line:col: path: message`; nothing here touches the
network, and secrets are only read (never kept) when the lint rules check them.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from karto_smtp.config.findings import LintFinding
from karto_smtp.config.lint import lint
from karto_smtp.config.loaded import LoadedConfig
from karto_smtp.config.messages import describe, found, misspelled_required
from karto_smtp.config.model import FORMAT_VERSION, KartoConfig
from karto_smtp.config.offsets import line_column
from karto_smtp.config.template_files import read_template_files
from karto_smtp.config.yaml_loader import (
    NodePath,
    Position,
    YamlDocument,
    YamlError,
    format_path,
    parse_yaml,
)
from karto_smtp.errors import ConfigError
from karto_smtp.secrets import SecretRef
from karto_smtp.small_files import (
    MIB,
    FileTooLarge,
    NotRegularFile,
    format_size,
    read_small_file,
)

_log = logging.getLogger(__name__)

CONFIG_ENV = "KARTO_CONFIG"
DEFAULT_CONFIG = "karto.yaml"
# The example with every option is 4 KiB; a megabyte is a wrong path, not a config.
MAX_CONFIG_BYTES = 1 * MIB


class ConfigProblems(ConfigError):
    """Several problems; the text is the first one, `findings` holds them all."""

    def __init__(self, findings: list[LintFinding]) -> None:
        self.findings = findings
        text = findings[0].format(severity=False)
        if len(findings) > 1:
            text += f" (and {len(findings) - 1} more; run karto-smtp validate)"
        super().__init__(text)


def config_path(option: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """`-c` if given, else $KARTO_CONFIG, else ./karto.yaml."""
    env = os.environ if environ is None else environ
    if option:
        return Path(option)
    return Path(env.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(
    path: Path | str, environ: Mapping[str, str] | None = None, *, check: bool = True
) -> LoadedConfig:
    """Read, validate and (with `check`) lint a config file.

    Raises ConfigError (a ConfigProblems listing every problem) on any error. With
    `check=True` lint warnings are kept in `.warnings`; with `check=False` lint is not run.
    """
    path = Path(path)
    display = str(path)
    env: Mapping[str, str] = os.environ if environ is None else environ
    raw = _read(path, display)
    digest = hashlib.sha256(raw).hexdigest()
    _log.debug("read %s: %d bytes, sha256 %s", display, len(raw), digest[:16])
    try:
        # utf-8-sig: editors on Windows may save a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = line_column(raw, exc.start)
        message = "not UTF-8 text; save the file as UTF-8"
        _fail(display, Position(line, column), (), message, "yaml")

    try:
        document = parse_yaml(text, display)
    except YamlError as exc:
        raise ConfigProblems(
            [_problem(display, p.position, p.path, p.message, "yaml") for p in exc.problems]
        ) from None

    _check_version(document, display)
    try:
        config = KartoConfig.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigProblems(_schema_findings(exc, document, display)) from None

    templates = read_template_files(config, path.parent, Path(display).parent)
    loaded = LoadedConfig(
        config, path, display, templates.digest(digest), document, env, templates=templates
    )
    _attach_secret_refs(loaded)
    if check:
        loaded.findings = lint(loaded)
        if loaded.errors:
            raise ConfigProblems(loaded.errors)
    return loaded


def _read(path: Path, display: str) -> bytes:
    try:
        return read_small_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"{display}: no such file (pass -c PATH or set {CONFIG_ENV})") from None
    except NotRegularFile as exc:
        if exc.kind == "a directory":
            raise ConfigError(f"{display}: is a directory, not a config file") from None
        raise ConfigError(
            f"{display}: is {exc.kind}, not a config file; karto-smtp reads only regular "
            "files (save the text to a file and pass that)"
        ) from None
    except FileTooLarge:
        raise ConfigError(
            f"{display}: larger than {format_size(MAX_CONFIG_BYTES)}, far beyond any "
            "karto.yaml; is this the right file?"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read ({exc.strerror or exc})") from None


def _problem(
    display: str, position: Position, path: NodePath, message: str, code: str
) -> LintFinding:
    return LintFinding(
        severity="error",
        code=code,
        location=f"{display}:{position}",
        message=message,
        hint="",
        path=format_path(path),
    )


def _fail(display: str, position: Position, path: NodePath, message: str, code: str) -> NoReturn:
    raise ConfigProblems([_problem(display, position, path, message, code)])


def _check_version(document: YamlDocument, display: str) -> None:
    data = document.data
    top = document.position(())
    if data is None:
        _fail(
            display,
            top,
            (),
            f"the file is empty; start it with 'version: {FORMAT_VERSION}'",
            "version",
        )
    if not isinstance(data, dict):
        _fail(
            display,
            top,
            (),
            f"expected a mapping at the top level, got {found(data)}",
            "schema",
        )
    if "version" not in data:
        _fail(
            display,
            top,
            ("version",),
            f"required key is missing; add 'version: {FORMAT_VERSION}' at the top",
            "version",
        )
    version = data["version"]
    at = document.position(("version",))
    is_int = isinstance(version, int) and not isinstance(version, bool)
    if is_int and version > FORMAT_VERSION:
        # A newer format may mean something this tool cannot see; stop before reading more.
        _fail(
            display,
            at,
            ("version",),
            f"format version {version} is newer than this karto-smtp supports "
            f"({FORMAT_VERSION}); upgrade karto-smtp",
            "version",
        )
    if not is_int or version != FORMAT_VERSION:
        got = found(version, document.written(("version",)))
        hint = f"; write version: {FORMAT_VERSION}"
        _fail(display, at, ("version",), f"must be {FORMAT_VERSION}, got {got}{hint}", "version")


def _from_pydantic(error: Any, document: YamlDocument, display: str) -> LintFinding:
    loc: NodePath = tuple(error["loc"])
    message = describe(error, loc, document)
    return _problem(display, document.position(loc), loc, message, "schema")


def _schema_findings(
    exc: ValidationError, document: YamlDocument, display: str
) -> list[LintFinding]:
    errors = exc.errors()
    explained = misspelled_required(errors)
    findings = [
        _from_pydantic(error, document, display)
        for error in errors
        if not (error["type"] == "missing" and tuple(error["loc"]) in explained)
    ]
    return _missing_last(_unique_sorted(findings))


def _missing_last(findings: list[LintFinding]) -> list[LintFinding]:
    """Move each "required key is missing" after the other findings in its mapping.

    A missing key is located at its mapping's first line, but a "did you mean" on a later
    line of that mapping is usually the explanation, so it should be read first.
    """
    ordered = [f for f in findings if f.message != "required key is missing"]
    for missing in (f for f in findings if f.message == "required key is missing"):
        parent = missing.path.rpartition(".")[0]
        after = [
            index
            for index, other in enumerate(ordered)
            if other.sort_key <= missing.sort_key
            or (parent and other.path.startswith((parent + ".", parent + "[")))
        ]
        ordered.insert(max(after, default=-1) + 1, missing)
    return ordered


def _unique_sorted(findings: list[LintFinding]) -> list[LintFinding]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.location, finding.path, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return sorted(unique, key=_finding_order)


def _finding_order(finding: LintFinding) -> tuple[int, int, bool, str]:
    line, column, path = finding.sort_key
    return line, column, finding.message == "required key is missing", path


def _attach_secret_refs(loaded: LoadedConfig) -> None:
    """Give every SecretRef its `file:line:col`, dotted path and base folder."""

    def walk(value: Any, path: NodePath) -> None:
        if isinstance(value, SecretRef):
            value.attach(loaded.locate(path), format_path(path), loaded.base_dir)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), (*path, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index))

    walk(loaded.config, ())
    config = loaded.config
    if config.smtp2go is not None and config.smtp2go.api_key is None:
        where = ("smtp2go", "api_key")
        config.smtp2go.api_key_ref().attach(
            loaded.locate(where), format_path(where), loaded.base_dir
        )
    if config.supabase is not None and config.supabase.access_token is None:
        where = ("supabase", "access_token")
        config.supabase.access_token_ref().attach(
            loaded.locate(where), format_path(where), loaded.base_dir
        )
