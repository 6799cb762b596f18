"""karto.yaml -> `LoadedConfig`: parse, check the version, validate, lint.

Every problem is reported as `file:line:col: path: message`; nothing here touches the
network, and secrets are only read (never kept) when the lint rules check them.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from karto_smtp.config.lint import LintFinding, lint
from karto_smtp.config.model import FORMAT_VERSION, KartoConfig
from karto_smtp.config.yaml_loader import (
    NodePath,
    Position,
    YamlDocument,
    YamlError,
    format_path,
    parse_yaml,
)
from karto_smtp.errors import ConfigError
from karto_smtp.secrets import Secret, SecretRef

_log = logging.getLogger(__name__)

CONFIG_ENV = "KARTO_CONFIG"
DEFAULT_CONFIG = "karto.yaml"


class ConfigProblems(ConfigError):
    """Several problems; the text is the first one, `findings` holds them all."""

    def __init__(self, findings: list[LintFinding]) -> None:
        self.findings = findings
        text = findings[0].format(severity=False)
        if len(findings) > 1:
            text += f" (and {len(findings) - 1} more; run karto-smtp validate)"
        super().__init__(text)


@dataclass
class LoadedConfig:
    """A validated configuration and what is needed to point back into its file."""

    config: KartoConfig
    path: Path
    display: str
    digest: str
    document: YamlDocument = field(repr=False)
    # The environment holds secret values: never part of a repr or a log line.
    environ: Mapping[str, str] = field(repr=False)
    findings: list[LintFinding] = field(default_factory=list)

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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{display}: no such file (pass -c PATH or set {CONFIG_ENV})") from None
    except IsADirectoryError:
        raise ConfigError(f"{display}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read ({exc.strerror})") from None
    digest = hashlib.sha256(raw).hexdigest()
    _log.debug("read %s: %d bytes, sha256 %s", display, len(raw), digest[:16])
    try:
        # utf-8-sig: editors on Windows may save a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
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
        findings = [_from_pydantic(error, document, display) for error in exc.errors()]
        raise ConfigProblems(_unique_sorted(findings)) from None

    loaded = LoadedConfig(config, path, display, digest, document, env)
    _attach_secret_refs(loaded)
    if check:
        loaded.findings = lint(loaded)
        if loaded.errors:
            raise ConfigProblems(loaded.errors)
    return loaded


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
            f"expected a mapping at the top level, got {_type_name(data)}",
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
        _fail(display, at, ("version",), f"must be {FORMAT_VERSION}", "version")


def _from_pydantic(error: Any, document: YamlDocument, display: str) -> LintFinding:
    loc: NodePath = tuple(error["loc"])
    message = _describe(error, loc)
    return _problem(display, document.position(loc), loc, message, "schema")


def _describe(error: Any, loc: NodePath) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    got = _type_name(value)
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "string_type":
        return f"expected text, got {got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if kind == "literal_error":
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        return f"{shown} is not allowed; use {ctx.get('expected')}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "secret_literal" and loc[:2] == ("smtp2go", "smtp_users") and loc[-1] == "password":
        return str(error["msg"]) + ", or generate to let karto-smtp create it"
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def _unknown_key(loc: NodePath) -> str:
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model is not None else []
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}'; did you mean '{close[0]}'?"
    if allowed:
        return f"unknown key '{key}'; allowed keys: {', '.join(allowed)}"
    return f"unknown key '{key}'"


def _model_at(loc: NodePath) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` (follows fields and list items)."""
    current: Any = KartoConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            if not args:
                return None
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field_info = current.model_fields.get(part)
            if field_info is None:
                return None
            current = field_info.annotation
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the class or list type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _unique_sorted(findings: list[LintFinding]) -> list[LintFinding]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.location, finding.path, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return sorted(unique, key=lambda f: f.sort_key)


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
