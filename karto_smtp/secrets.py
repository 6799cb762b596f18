"""Secrets: `SecretRef` (where a secret comes from) and `Secret` (a value that never prints).

A configuration file holds only references: `env(NAME)`, `file(PATH)` or, for an SMTP
user's password, `generate`. References are resolved late, when a value is really needed,
into a `Secret` whose text form is always `(sensitive value)`; `.reveal()` is the only way
to the value.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets as _stdlib_secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from karto_smtp.errors import ConfigError
from karto_smtp.redaction import REDACTED, register
from karto_smtp.small_files import (
    KIB,
    FileTooLarge,
    NotRegularFile,
    format_size,
    read_small_file,
)

# Keys, tokens and passwords are under 1 KiB; a larger file is a wrong path.
MAX_SECRET_BYTES = 64 * KIB

SecretKind = Literal["env", "file", "generate"]

ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REF_RE = re.compile(r"(?P<kind>env|file)\((?P<arg>.*)\)", re.DOTALL)
_SHELL_VAR_RE = re.compile(
    r"\$\{?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}?"
    r"|%(?P<cmd>[A-Za-z_][A-Za-z0-9_]*)%"
    r"|\$env:(?P<powershell>[A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE,
)
# env(X written another way: ENV(X), Env(X), env[X], env{X}, env:X, env(X, env (X).
_MISTYPED_RE = re.compile(
    r"(?P<kind>env|file) *(?P<open>[(\[{<:]) *(?P<arg>.*?) *(?P<close>[)\]}>]?)",
    re.IGNORECASE | re.DOTALL,
)

SECRET_REF_PATTERN = r"^(env\([A-Za-z_][A-Za-z0-9_]*\)|file\(.+\))$"
PASSWORD_REF_PATTERN = r"^(env\([A-Za-z_][A-Za-z0-9_]*\)|file\(.+\)|generate)$"


class Secret:
    """A secret value. It prints, logs, formats and serialises as `(sensitive value)`.

    Making one registers its value for redaction (`karto_smtp.redaction`).
    """

    __slots__ = ("__value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self.__value = value
        # Whatever a service echoes back is scrubbed of it before it is shown.
        register(value)

    def reveal(self) -> str:
        """The value itself: call this only where it leaves for its destination."""
        return self.__value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, format_spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.__value.encode(), other.__value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self.__value))

    def __reduce__(self) -> Any:
        # Pickling would write the value to disk or a queue; make that an explicit choice.
        raise TypeError("a Secret cannot be pickled; pass .reveal() explicitly if you must")

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __copy__(self) -> Secret:
        return self

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_secret,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda _value: REDACTED, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "writeOnly": True, "format": "password"}


def _validate_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        if value == REDACTED:
            # A dump of a redacted model must never come back as a real password.
            raise PydanticCustomError("secret_redacted", "a redacted secret cannot be restored")
        return Secret(value)
    raise PydanticCustomError("secret_type", "expected a secret string")


def generate_password() -> Secret:
    """A strong SMTP password: 32 URL-safe characters, 192 bits (SMTP2GO wants >= 64)."""
    return Secret(_stdlib_secrets.token_urlsafe(24))


class SecretSyntaxError(ValueError):
    """env(...) or file(...) written wrongly (as opposed to a literal secret)."""


class SecretRef:
    """Where a secret comes from: `env(NAME)`, `file(PATH)` or `generate`.

    The loader attaches `location` (`file:line:col`), `path` (`smtp2go.api_key`) and
    `base_dir` (the config file's folder) so resolution errors name the line.
    """

    __slots__ = ("kind", "name", "location", "path", "base_dir")

    def __init__(
        self,
        kind: SecretKind,
        name: str | None = None,
        *,
        location: str | None = None,
        path: str | None = None,
        base_dir: Path | None = None,
    ) -> None:
        if kind == "generate":
            if name is not None:
                raise ValueError("generate takes no name")
        elif not name:
            raise ValueError(f"{kind}() needs a name")
        self.kind: SecretKind = kind
        self.name: str | None = name
        self.location = location
        self.path = path
        self.base_dir = base_dir

    @classmethod
    def env(cls, name: str) -> SecretRef:
        return cls("env", name)

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """Parse the file syntax; raise ValueError (message safe to print) otherwise."""
        if text == "generate":
            return cls("generate")
        match = _REF_RE.fullmatch(text)
        if match is None:
            mistyped = _mistyped_message(text)
            if mistyped is not None:
                raise SecretSyntaxError(mistyped)
            raise ValueError(_literal_message(text))
        kind, arg = match["kind"], match["arg"]
        if kind == "env":
            if not ENV_NAME_RE.fullmatch(arg):
                # The text inside env() is not echoed either: it might be a pasted secret.
                raise SecretSyntaxError(
                    "env() needs an environment variable name: letters, digits and _, "
                    "not starting with a digit"
                )
            return cls("env", arg)
        if not arg.strip():
            raise SecretSyntaxError("file() needs a path, e.g. file(secrets/smtp_password)")
        return cls("file", arg)

    @property
    def is_generated(self) -> bool:
        return self.kind == "generate"

    @property
    def text(self) -> str:
        """The reference as written in the file (never a value)."""
        return "generate" if self.kind == "generate" else f"{self.kind}({self.name})"

    @property
    def where(self) -> str:
        parts = [p for p in (self.location, self.path) if p]
        return ": ".join(parts) if parts else self.text

    def attach(self, location: str, path: str, base_dir: Path) -> None:
        self.location = location
        self.path = path
        self.base_dir = base_dir

    def file_path(self, base_dir: Path | None = None) -> Path:
        if self.kind != "file" or self.name is None:
            raise ValueError(f"{self.text} is not a file reference")
        target = Path(os.path.expanduser(self.name))
        if target.is_absolute():
            return target
        return (base_dir or self.base_dir or Path.cwd()) / target

    def resolve(
        self, environ: Mapping[str, str] | None = None, base_dir: Path | None = None
    ) -> Secret:
        """Read the value now. Raises SecretUnavailable (a ConfigError) naming the line."""
        if self.kind == "env":
            env = os.environ if environ is None else environ
            assert self.name is not None
            value = env.get(self.name)
            if value is None:
                raise SecretUnavailable(self, f"environment variable {self.name} is not set")
            if value == "":
                raise SecretUnavailable(self, f"environment variable {self.name} is empty")
            return Secret(value)
        if self.kind == "file":
            return Secret(self._read_file(base_dir))
        raise SecretUnavailable(
            self, "'generate' has no value until karto-smtp creates the SMTP user"
        )

    def _read_file(self, base_dir: Path | None) -> str:
        target = self.file_path(base_dir)
        try:
            data = read_small_file(target, MAX_SECRET_BYTES)
        except FileNotFoundError:
            raise SecretUnavailable(self, f"secret file {target} does not exist") from None
        except NotRegularFile as exc:
            if exc.kind == "a directory":
                raise SecretUnavailable(self, f"secret file {target} is a directory") from None
            raise SecretUnavailable(
                self, f"secret file {target} is {exc.kind}; file() reads only regular files"
            ) from None
        except FileTooLarge:
            raise SecretUnavailable(
                self,
                f"secret file {target} is larger than {format_size(MAX_SECRET_BYTES)}, "
                "too large for a password, key or token",
            ) from None
        except PermissionError:
            raise SecretUnavailable(
                self, f"secret file {target} is not readable (permission denied)"
            ) from None
        except OSError as exc:
            raise SecretUnavailable(
                self, f"secret file {target} is not readable ({exc.strerror})"
            ) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretUnavailable(self, f"secret file {target} is not UTF-8 text") from None
        # `echo value > file` and most secret mounts end with one newline that is not
        # part of the secret; anything beyond that is reported by the whitespace lint.
        if text.endswith("\r\n"):
            text = text[:-2]
        elif text.endswith("\n"):
            text = text[:-1]
        if text == "":
            raise SecretUnavailable(self, f"secret file {target} is empty")
        return text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretRef):
            return NotImplemented
        return (self.kind, self.name) == (other.kind, other.name)

    def __hash__(self) -> int:
        return hash((SecretRef, self.kind, self.name))

    def __repr__(self) -> str:
        return f"SecretRef({self.text!r})"

    def __str__(self) -> str:
        return self.text

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_ref,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda ref: ref.text, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": PASSWORD_REF_PATTERN,
            "examples": ["env(NAME)", "file(secrets/name)", "generate"],
        }


class SecretUnavailable(ConfigError):
    """A reference that cannot be read now: `reason` says why, the text says where."""

    def __init__(self, ref: SecretRef, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"{ref.where}: {reason}")


def _validate_ref(value: Any) -> SecretRef:
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "secret_ref_type",
            "expected a secret reference: env(NAME) or file(PATH), not a {type}",
            {"type": _yaml_type_name(value)},
        )
    try:
        return SecretRef.parse(value)
    except SecretSyntaxError as exc:
        raise PydanticCustomError("secret_syntax", str(exc)) from None
    except ValueError as exc:
        raise PydanticCustomError("secret_literal", str(exc)) from None


def reject_generate(ref: SecretRef | None) -> SecretRef | None:
    """Field validator body for secrets that karto-smtp cannot invent (keys, tokens)."""
    if ref is not None and ref.is_generated:
        raise PydanticCustomError(
            "secret_generate",
            "'generate' is only for an SMTP user's password; write env(NAME) or file(PATH)",
        )
    return ref


def _mistyped_message(text: str) -> str | None:
    """For a reference written slightly wrong: how to write it. Echoes only a variable name."""
    stripped = text.strip()
    if stripped.lower() in ("generate", "generated") and stripped != "generate":
        return "looks like a mistyped reference; write generate"
    match = _MISTYPED_RE.fullmatch(stripped)
    if match is None:
        return None
    kind = match["kind"].lower()
    if kind == "env" and ENV_NAME_RE.fullmatch(match["arg"]):
        return f"looks like a mistyped reference; write env({match['arg']})"
    if kind == "env":
        return (
            "looks like a mistyped reference; write env(NAME): lowercase env, round brackets, "
            "and a variable name of letters, digits and _"
        )
    return "looks like a mistyped reference; write file(PATH): lowercase file, round brackets"


def _literal_message(text: str) -> str:
    # Never echo the text: it is probably the secret itself.
    shell = _SHELL_VAR_RE.fullmatch(text.strip())
    if shell:
        name = shell["name"] or shell["cmd"] or shell["powershell"]
        return (
            f"secrets are references, not literals; write env({name}) instead of a shell variable"
        )
    return (
        "a literal secret is not allowed; write env(NAME) to read an environment variable "
        "or file(PATH) to read a mounted secret file (relative to this file's folder)"
    )


def _yaml_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__
