"""Which mail Supabase Auth sends for `check --via-supabase`, read from the project's Auth
settings: its subject, and whether Auth can use the project's template at all.

Auth answers `/otp` with `{}`, so the subject that arrived is never in the answer. What the
settings say is the next best thing: a new address gets the sign-up confirmation, a
confirmed one the magic link (only the magic link with `mailer_autoconfirm` on), each with
`mailer_subjects_<type>` as its subject. A subject with `{{ }}` in it is a template, so its
final text is not known here. And when a subject or body does not parse, Auth sends its
built-in subject and body instead (supabase/auth `internal/mailer/templatemailer`), which is
worth a warning: the mail arrives, but not the one the project set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_KINDS = {"confirmation": "sign-up confirmation", "magic_link": "magic link"}


@dataclass(frozen=True)
class AuthMail:
    kind: str  # "confirmation" or "magic_link"
    subject: str | None  # the project's subject; None: Auth's built-in one
    broken: str | None  # why Auth cannot use the project's template, or None


def _parse_problem(text: str) -> str | None:
    from karto_smtp.config.gotemplate import TemplateSyntaxError, parse
    from karto_smtp.config.offsets import line_column

    try:
        parse(text)
    except TemplateSyntaxError as exc:
        line, column = line_column(text, exc.pos)
        return f"line {line}, column {column}: {exc.message}"
    return None


def _mail(config: Mapping[str, Any], kind: str) -> AuthMail:
    subject = config.get(f"mailer_subjects_{kind}")
    body = config.get(f"mailer_templates_{kind}_content")
    subject = subject if isinstance(subject, str) and subject else None
    broken = None
    if subject is not None and (problem := _parse_problem(subject)):
        broken = f"its subject does not parse ({problem})"
    elif isinstance(body, str) and body and (problem := _parse_problem(body)):
        broken = f"its body does not parse ({problem})"
    return AuthMail(kind, subject, broken)


def expected_mails(config: Mapping[str, Any]) -> list[AuthMail]:
    """The mails Auth may send to the address `check` gave, in the order described."""
    kinds = ["magic_link"] if config.get("mailer_autoconfirm") else list(_KINDS)
    return [_mail(config, kind) for kind in kinds]


def _subject_text(mail: AuthMail) -> str:
    if mail.broken is not None or mail.subject is None:
        return "Auth's built-in subject"
    if "{{" in mail.subject:
        return f"a subject made from the template {_quoted(mail.subject)}"
    return f"the subject {_quoted(mail.subject)}"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def describe(mails: list[AuthMail]) -> str:
    """How the Supabase mail row names the mail to look for."""
    if len(mails) == 1:
        return f"a {_KINDS[mails[0].kind]} with {_subject_text(mails[0])}"
    first, second = mails
    return (
        f"a {_KINDS[first.kind]} with {_subject_text(first)} if the address is new, else a "
        f"{_KINDS[second.kind]} with {_subject_text(second)}"
    )


def broken_templates(mails: list[AuthMail]) -> list[str]:
    """One sentence per template Auth cannot use."""
    return [
        f"Auth cannot use the {kind} template: {mail.broken}, so it sends its built-in "
        "subject and body instead"
        for mail in mails
        if mail.broken is not None
        for kind in [_KINDS[mail.kind]]
    ]
