"""Check a generated karto.yaml with the same loader and lint rules as `validate`, then write it.

The text is validated in a scratch folder under the destination's name, so every finding
points at a line of the file the user will open. A file is never overwritten without
`force`, and `-` means stdout.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from karto_smtp.config.findings import LintFinding
from karto_smtp.config.lint import lint
from karto_smtp.config.load import ConfigProblems, load_config
from karto_smtp.errors import KartoError

STDOUT = "-"


class WouldOverwrite(KartoError):
    """The destination exists and the user did not say --force."""


@dataclass
class Checked:
    """Findings in the generated text (locations name `destination`)."""

    findings: list[LintFinding] = field(default_factory=list)

    @property
    def errors(self) -> list[LintFinding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[LintFinding]:
        return [f for f in self.findings if f.severity == "warning"]


def refuse_overwrite(destination: str, force: bool) -> None:
    """Checked before any network call, so a refusal costs nothing."""
    if destination != STDOUT and not force and Path(destination).exists():
        raise WouldOverwrite(
            f"{destination} already exists; pass --force to replace it, or -o another file "
            "(-o - prints it)"
        )


def check_text(text: str, destination: str, files: Mapping[str, str] | None = None) -> Checked:
    """Schema and lint findings for `text`, as if it were saved at `destination` with
    `files` (template files: path relative to it -> text) beside it.

    Secrets are not required (like `validate`): an env() the user has not exported yet is
    a note, not an error.
    """
    name = "karto.yaml" if destination == STDOUT else Path(destination).name
    shown = "<stdout>" if destination == STDOUT else destination
    folder_shown = "" if destination == STDOUT else str(Path(destination).parent)
    with tempfile.TemporaryDirectory(prefix="karto-smtp-") as folder:
        scratch = Path(folder) / name
        scratch.write_text(text, encoding="utf-8")
        for relative, content in (files or {}).items():
            _write_bytes(Path(folder) / relative, content)
        try:
            loaded = load_config(scratch, check=False)
            findings = lint(loaded, require_secrets=False)
        except ConfigProblems as exc:
            findings = exc.findings
    return Checked(
        [
            LintFinding(
                f.severity,
                f.code,
                _shown_location(f.location, scratch, shown, folder_shown),
                f.message,
                f.hint,
                f.path,
            )
            for f in findings
        ]
    )


def _shown_location(location: str, scratch: Path, shown: str, folder_shown: str) -> str:
    """A finding's place in the scratch folder, named as the user will find it."""
    if location.startswith(f"{scratch}:"):
        return shown + location[len(str(scratch)) :]
    scratch_folder = f"{scratch.parent}{os.sep}"
    if location.startswith(scratch_folder):
        relative = location[len(scratch_folder) :]
        return str(Path(folder_shown) / relative) if folder_shown not in ("", ".") else relative
    return location


def _write_bytes(path: Path, text: str) -> None:
    """A template file exactly as Supabase holds it: UTF-8, line endings untouched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def template_paths(files: Mapping[str, str], destination: str) -> list[Path]:
    """Where the template files go: beside `destination`."""
    base = Path(destination).parent
    return [base / relative for relative in files]


def refuse_overwrite_files(files: Mapping[str, str], destination: str, force: bool) -> None:
    """Before anything is written: no template file replaced without `force`."""
    if force:
        return
    existing = [str(path) for path in template_paths(files, destination) if path.exists()]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise WouldOverwrite(
            f"{existing[0]}{more} already exists; pass --force to replace the template files, "
            "or -o a file in another folder"
        )


def write_files(files: Mapping[str, str], destination: str) -> None:
    """Write the template files beside `destination` (refuse_overwrite_files came first)."""
    for path, text in zip(template_paths(files, destination), files.values(), strict=True):
        _write_bytes(path, text)


def write_text(text: str, destination: str, force: bool) -> None:
    """Write `text` to a file (not `-`: the command prints that); without `force`, never
    over an existing file, even one made meanwhile."""
    if destination == STDOUT:
        raise ValueError("stdout is the command's to write")
    path = Path(destination)
    if not force:
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            refuse_overwrite(destination, force=False)
        return
    # Replace in one step, so a failure never leaves half a file behind.
    fd, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(scratch, mode)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
