"""`karto-smtp import`: write a karto.yaml that declares what SMTP2GO and Supabase hold now,
with the Auth email templates as files beside it.

Only reads, never writes, to either service. The file is validated before it is written;
a setup that breaks a lint rule is still written (it is what is live), the findings are
printed with their lines, and the exit code is 1 so a script notices.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from typing import TYPE_CHECKING, Any

import click

from karto_smtp.cli.options import format_option
from karto_smtp.errors import ConfigError, KartoError
from karto_smtp.wording import counted

if TYPE_CHECKING:
    from karto_smtp.authoring.importer import Imported


@click.command("import")
@click.option(
    "--project",
    "refs",
    multiple=True,
    metavar="REF",
    help="Import this Supabase project (and the SMTP2GO user it relays through). Repeatable.",
)
@click.option(
    "--smtp-user",
    "usernames",
    multiple=True,
    metavar="NAME",
    help="Import this SMTP2GO SMTP user. Repeatable.",
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every SMTP user, sender and active project the credentials can see.",
)
@click.option(
    "-o",
    "--output",
    default="karto.yaml",
    show_default=True,
    metavar="FILE",
    help="Where to write; - prints to stdout.",
)
@click.option("--force", is_flag=True, help="Replace FILE and template files that exist.")
@click.option(
    "--password-env",
    "password_env",
    multiple=True,
    metavar="[KEY=]NAME",
    help="Write env(NAME) instead of 'generate' for a password; KEY is an SMTP user, or a "
    "project's ref or name. A bare NAME when only one password needs naming. Repeatable.",
)
@format_option(help="json: what was written, as the JSON envelope on stdout (needs -o FILE).")
def import_(
    refs: tuple[str, ...],
    usernames: tuple[str, ...],
    everything: bool,
    output: str,
    force: bool,
    password_env: tuple[str, ...],
    fmt: str,
) -> None:
    """Write a karto.yaml that declares what the live services hold now.

    Reads SMTP2GO (SMTP users, single senders, sender domains) and Supabase (each
    project's Auth SMTP settings, email rate limit, email subjects and templates,
    notifications, codes and links) and writes them as karto.yaml, each template to a
    file under templates/ beside it, so that the first `karto-smtp plan` changes nothing.
    Passwords cannot be read back: the file says `password: generate` (or env(NAME) with
    --password-env), and explains how the first apply takes the password over.

    Needs SUPABASE_ACCESS_TOKEN for projects and SMTP2GO_API_KEY (view endpoints only)
    for SMTP2GO.
    """
    from karto_smtp.authoring import importer, live
    from karto_smtp.authoring import output as out
    from karto_smtp.authoring.yaml_text import render

    if not (everything or refs or usernames):
        raise KartoError("say what to import: --all, or --project REF and/or --smtp-user NAME")
    if fmt == "json" and output == out.STDOUT:
        raise KartoError("--format json prints the report on stdout: write the file with -o FILE")
    selection = importer.Selection(
        everything=everything,
        refs=list(dict.fromkeys(refs)),
        usernames=list(dict.fromkeys(usernames)),
        password_env=importer.parse_password_env(password_env),
        inline_templates=output == "-",
    )
    _check_refs(selection.refs)
    out.refuse_overwrite(output, force)
    click.echo("Reading SMTP2GO and Supabase (read-only)...", err=True)
    snapshot, skipped = asyncio.run(
        live.read_snapshot(
            os.environ,
            everything=everything,
            refs=selection.refs,
            want_smtp2go=everything or bool(usernames),
            relays_smtp2go=importer.relays_through_smtp2go,
        )
    )
    imported = importer.build_document(snapshot, selection)
    text = render(imported.document, importer.HEADER)
    if output != out.STDOUT:
        out.refuse_overwrite_files(imported.files, output, force)
    checked = out.check_text(text, output, imported.files)
    if output == out.STDOUT:
        click.echo(text, nl=False)
    else:
        # The templates first: a karto.yaml on disk names only files that exist.
        out.write_files(imported.files, output)
        out.write_text(text, output, force)
    for project in skipped:
        click.echo(
            f"Skipped project {project.get('name')} ({project.get('ref')}): "
            f"status {project.get('status')}; import it with --project when it is active.",
            err=True,
        )
    for note in imported.notes:
        click.echo(note, err=True)
    for finding in checked.findings:
        if finding.severity != "note":
            click.echo(finding.format(), err=True)
    where = "stdout" if output == out.STDOUT else output
    click.echo(f"Wrote {where}: {_summary(imported)}.", err=True)
    if fmt == "json":
        _report_json(output, imported, checked.findings, [str(p.get("ref")) for p in skipped])
        if checked.errors:
            sys.exit(1)  # the report above already says why; no second document
    if checked.errors:
        raise ConfigError(
            f"the live setup breaks {counted(len(checked.errors), 'rule')} that karto-smtp "
            f"enforces (above); fix {where} before `karto-smtp plan`"
        )
    click.echo(
        "Next: `karto-smtp plan` changes no setting; it shows the password take-over.", err=True
    )
    for username in imported.handed_off:
        click.echo(
            f"The first `karto-smtp apply` sets one new password for {username} on both sides, "
            "once (see the comment in the file).",
            err=True,
        )


def _check_refs(refs: list[str]) -> None:
    """A malformed ref is a typo: say so before any call."""
    for ref in refs:
        if not re.fullmatch(r"[a-z]{20}", ref):
            raise KartoError(
                f"--project {ref}: not a project ref (exactly 20 lowercase letters, from "
                "supabase.com/dashboard/project/<ref>)"
            )


def _summary(imported: Imported) -> str:
    parts = []
    if imported.users:
        parts.append(counted(len(imported.users), "SMTP user"))
    if imported.senders:
        parts.append(counted(imported.senders, "sender"))
    if imported.domains:
        parts.append(counted(imported.domains, "sender domain"))
    parts.append(counted(len(imported.projects), "Supabase project"))
    if imported.files:
        parts.append(counted(len(imported.files), "template file"))
    return ", ".join(parts)


def _report_json(output: str, imported: Imported, findings: list[Any], skipped: list[str]) -> None:
    from karto_smtp.views.envelope import dumps, envelope

    errors = [f for f in findings if f.severity == "error"]
    payload = {
        "import": {
            "output": output,
            "summary": _summary(imported),
            "password_take_over": list(imported.handed_off),
            "skipped_projects": skipped,
            "findings": [
                {
                    "severity": f.severity,
                    "code": f.code,
                    "location": f.location,
                    "message": f.message,
                }
                for f in findings
            ],
        }
    }
    status = "invalid" if errors else "written"
    click.echo(dumps(envelope("import", status, payload)), nl=False)


__all__ = ["import_"]
