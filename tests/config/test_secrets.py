"""Secret never prints its value; SecretRef parses the file syntax and resolves late."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from karto_smtp.errors import ConfigError
from karto_smtp.secrets import (
    REDACTED,
    Secret,
    SecretRef,
    SecretUnavailable,
    generate_password,
)

VALUE = "correct-horse-battery-staple"


class Holder(BaseModel):
    password: Secret
    note: str = "x"


def test_secret_text_forms_are_redacted() -> None:
    secret = Secret(VALUE)
    assert repr(secret) == "Secret('(sensitive value)')"
    assert str(secret) == REDACTED == "(sensitive value)"
    assert f"{secret}" == REDACTED
    assert f"{secret!r}" == "Secret('(sensitive value)')"
    assert f"{secret:>40}" == REDACTED
    assert "%s" % secret == REDACTED  # noqa: UP031
    assert "{}".format(secret) == REDACTED  # noqa: UP032
    assert VALUE not in repr([secret, {"k": secret}])
    assert secret.reveal() == VALUE


def test_secret_equality_by_value() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret("other")
    assert Secret(VALUE) != VALUE
    assert len({Secret(VALUE), Secret(VALUE)}) == 1


def test_secret_in_exceptions_and_logging(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(VALUE)
    error = ValueError(secret)
    assert VALUE not in str(error) and VALUE not in repr(error)
    error = ConfigError(f"login failed with {secret}")
    assert str(error) == "login failed with (sensitive value)"
    log = logging.getLogger("karto.test")
    with caplog.at_level(logging.DEBUG, logger="karto.test"):
        log.info("password %s", secret)
        log.info("password %r", secret)
        log.info(secret)
        log.info("dict %s", {"password": secret})
    assert VALUE not in caplog.text
    assert caplog.text.count(REDACTED) == 4


def test_secret_in_pydantic_dumps() -> None:
    holder = Holder(password=Secret(VALUE))
    assert holder.model_dump() == {"password": REDACTED, "note": "x"}
    assert json.loads(holder.model_dump_json()) == {"password": REDACTED, "note": "x"}
    assert VALUE not in json.dumps(holder.model_dump(mode="json"))
    assert VALUE not in repr(holder) and VALUE not in str(holder)
    assert Holder(password=VALUE).password.reveal() == VALUE  # type: ignore[arg-type]
    schema = Holder.model_json_schema()["properties"]["password"]
    assert schema["writeOnly"] is True


def test_redacted_dump_cannot_come_back_as_a_password() -> None:
    dumped = Holder(password=Secret(VALUE)).model_dump_json()
    with pytest.raises(ValidationError) as info:
        Holder.model_validate_json(dumped)
    assert "a redacted secret cannot be restored" in str(info.value)


def test_secret_cannot_be_pickled_but_copies() -> None:
    secret = Secret(VALUE)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert copy.deepcopy(secret) == secret
    assert copy.copy(secret) is secret
    with pytest.raises(TypeError):
        vars(secret)


def test_generate_password() -> None:
    first, second = generate_password(), generate_password()
    assert first != second
    assert len(first.reveal()) == 32
    assert str(first) == REDACTED


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("env(SMTP2GO_API_KEY)", "env", "SMTP2GO_API_KEY"),
        ("file(a/b c.txt)", "file", "a/b c.txt"),
        ("generate", "generate", None),
    ],
)
def test_parse(text: str, kind: str, name: str | None) -> None:
    ref = SecretRef.parse(text)
    assert (ref.kind, ref.name, ref.text, ref.is_generated) == (
        kind,
        name,
        text,
        kind == "generate",
    )
    assert repr(ref) == f"SecretRef({text!r})"


@pytest.mark.parametrize("text", ["hunter2", "$X", "envy", "env secret", "%X%"])
def test_parse_refuses_literals(text: str) -> None:
    with pytest.raises(ValueError) as info:
        SecretRef.parse(text)
    assert text not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("env(A", "looks like a mistyped reference; write env(A)"),
        ("ENV(A)", "looks like a mistyped reference; write env(A)"),
        ("Env(A)", "looks like a mistyped reference; write env(A)"),
        ("env[A]", "looks like a mistyped reference; write env(A)"),
        ("env{A}", "looks like a mistyped reference; write env(A)"),
        ("env:A", "looks like a mistyped reference; write env(A)"),
        ("env (A)", "looks like a mistyped reference; write env(A)"),
        (
            "ENV(not a name)",
            "looks like a mistyped reference; write env(NAME): lowercase env, round brackets, "
            "and a variable name of letters, digits and _",
        ),
        (
            "FILE(secrets/key)",
            "looks like a mistyped reference; write file(PATH): lowercase file, round brackets",
        ),
        (
            "file:secrets/key",
            "looks like a mistyped reference; write file(PATH): lowercase file, round brackets",
        ),
        ("Generate", "looks like a mistyped reference; write generate"),
        ("generated", "looks like a mistyped reference; write generate"),
        ("${A}", "secrets are references, not literals; write env(A) instead of a shell variable"),
        (
            "$env:A",
            "secrets are references, not literals; write env(A) instead of a shell variable",
        ),
        ("%A%", "secrets are references, not literals; write env(A) instead of a shell variable"),
    ],
)
def test_mistyped_references_say_how_to_write_them(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        SecretRef.parse(text)
    assert str(info.value) == message
    # A path inside a mistyped file() is not echoed: it could be a pasted secret.
    assert "secrets/key" not in str(info.value)


def test_resolve_env_and_errors() -> None:
    ref = SecretRef.env("KEY")
    assert ref.resolve({"KEY": VALUE}) == Secret(VALUE)
    ref.attach("karto.yaml:3:3", "smtp2go.api_key", Path("."))
    with pytest.raises(SecretUnavailable) as info:
        ref.resolve({})
    assert str(info.value) == "karto.yaml:3:3: smtp2go.api_key: environment variable KEY is not set"
    assert isinstance(info.value, ConfigError)


def test_resolve_file_relative_to_base_dir_strips_one_newline(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(VALUE + "\n\n")
    ref = SecretRef.parse("file(pw)")
    ref.attach("k.yaml:1:1", "x", tmp_path)
    # Only the final newline is dropped; the rest is left for the whitespace lint to report.
    assert ref.resolve({}).reveal() == VALUE + "\n"
    (tmp_path / "pw").write_bytes(VALUE.encode() + b"\r\n")
    assert ref.resolve({}).reveal() == VALUE
    (tmp_path / "pw").write_text("\n")
    with pytest.raises(SecretUnavailable, match="is empty"):
        ref.resolve({})
    (tmp_path / "pw").write_bytes(b"\xff\xfe")
    with pytest.raises(SecretUnavailable, match="is not UTF-8 text"):
        ref.resolve({})


def test_generate_does_not_resolve() -> None:
    with pytest.raises(SecretUnavailable, match="'generate' has no value until karto-smtp"):
        SecretRef.parse("generate").resolve({})
