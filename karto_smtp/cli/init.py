"""`karto-smtp init`: a starter karto.yaml, from questions or from flags.

Every answer is checked as it is given; the file is validated with validate's rules
before it is written, and an existing file is never replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from karto_smtp.errors import ConfigError, KartoError

T = TypeVar("T")


def _checked(check: Callable[[str], T]) -> Callable[[str], T]:
    """A click value_proc: a bad answer is shown and asked again."""
    from karto_smtp.authoring.starter import BadAnswer

    def proc(value: str) -> T:
        try:
            return check(value)
        except BadAnswer as exc:
            raise click.UsageError(str(exc)) from None

    return proc


def _from_flag(option: str, value: str, check: Callable[[str], T]) -> T:
    from karto_smtp.authoring.starter import BadAnswer

    try:
        return check(value)
    except BadAnswer as exc:
        raise KartoError(f"{option} {value}: {exc}") from None


@click.command()
@click.option("--smtp-user", metavar="NAME", help="The SMTP2GO SMTP username to create.")
@click.option("--sender", metavar="ADDRESS", help="The From address of auth mail.")
@click.option("--sender-name", metavar="TEXT", help="The From display name.")
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="REF[:NAME]",
    help="A Supabase project that sends through the user. Repeatable.",
)
@click.option(
    "--non-interactive", is_flag=True, help="Ask nothing; take every answer from the flags."
)
@click.option(
    "-o", "--output", default="karto.yaml", show_default=True, metavar="FILE", help="- prints it."
)
def init(
    smtp_user: str | None,
    sender: str | None,
    sender_name: str | None,
    projects: tuple[str, ...],
    non_interactive: bool,
    output: str,
) -> None:
    """Write a starter karto.yaml: one SMTP2GO user, its sender, and your projects.

    Asks for what the flags do not give, unless --non-interactive. Nothing is read from
    or sent to SMTP2GO or Supabase; run `karto-smtp plan` next.
    """
    from karto_smtp.authoring import output as out
    from karto_smtp.authoring.starter import (
        DEFAULT_USER,
        HEADER,
        Answers,
        check_project,
        check_sender,
        check_username,
        starter_document,
    )
    from karto_smtp.authoring.yaml_text import render

    out.refuse_overwrite(output, force=False)
    answers = Answers()
    if non_interactive:
        if not sender:
            raise KartoError("--non-interactive needs --sender ADDRESS (the From address)")
        answers.username = _from_flag("--smtp-user", smtp_user or DEFAULT_USER, check_username)
        answers.sender = _from_flag("--sender", sender, check_sender)
        answers.projects = [_from_flag("--project", p, check_project) for p in projects]
    else:
        answers.username = (
            _from_flag("--smtp-user", smtp_user, check_username)
            if smtp_user
            else click.prompt(
                "SMTP2GO SMTP username to create",
                default=DEFAULT_USER,
                value_proc=_checked(check_username),
                err=True,
            )
        )
        answers.sender = (
            _from_flag("--sender", sender, check_sender)
            if sender
            else click.prompt(
                "From address of auth mail (a verified SMTP2GO sender)",
                value_proc=_checked(check_sender),
                err=True,
            )
        )
        if sender_name is None:
            sender_name = click.prompt(
                "From name (empty: none)", default="", show_default=False, err=True
            )
        answers.projects = [_from_flag("--project", p, check_project) for p in projects]
        if not projects:
            answers.projects = _ask_projects(check_project)
    answers.sender_name = sender_name or None
    text = render(starter_document(answers), HEADER)
    checked = out.check_text(text, output)
    if checked.errors:
        for finding in checked.errors:
            click.echo(finding.format(), err=True)
        raise ConfigError("the answers make an invalid karto.yaml; nothing was written")
    if output == out.STDOUT:
        click.echo(text, nl=False)
    else:
        out.write_text(text, output, force=False)
    for finding in checked.warnings:
        click.echo(finding.format(), err=True)
    if output != out.STDOUT:
        click.echo(f"Wrote {output}. Next: karto-smtp validate, then karto-smtp plan.", err=True)


def _ask_projects(check: Callable[[str], tuple[str, str]]) -> list[tuple[str, str]]:
    def project_or_done(value: str) -> tuple[str, str] | None:
        return check(value) if value.strip() else None

    found: list[tuple[str, str]] = []
    while True:
        answer = click.prompt(
            "Supabase project as REF:NAME (empty when done)",
            default="",
            show_default=False,
            value_proc=_checked(project_or_done),
            err=True,
        )
        if answer is None:
            return found
        found.append(answer)


__all__ = ["init"]
