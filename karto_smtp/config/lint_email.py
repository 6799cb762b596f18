"""Lint rules for Auth email settings: templates, subjects, codes and links.

Problems inside a template are reported at `file:line:col` of the template file (or, for
a template written inline in karto.yaml, at its key there, with the line and column inside
the template). The table in docs/config.md says where each rule comes from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from karto_smtp.config.model import (
    OTP_EXPIRY_RANGE,
    OTP_LENGTH_RANGE,
    EmailSettings,
    EmailTemplate,
    effective_auth,
)
from karto_smtp.config.yaml_loader import NodePath, format_path

if TYPE_CHECKING:
    # The template checker is imported only when karto.yaml declares an email to check:
    # most files have none, and validate, plan and apply should not pay for it.
    from karto_smtp.config.auth_email import FieldUse
    from karto_smtp.config.findings import Severity
    from karto_smtp.config.gotemplate import TemplateSyntaxError
from karto_smtp.config.lint_context import LintContext

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1"})
HINT_BODY_PARSE = (
    "Supabase Auth cannot parse it and silently sends its default email instead "
    "(auth log: templatemailer_template_body_parse_error)"
)
HINT_SUBJECT_PARSE = (
    "Supabase Auth cannot parse it and silently sends its default subject and body instead "
    "(auth log: templatemailer_template_subject_parse_error)"
)
HINT_EXEC = "Supabase Auth parses it but fails to render it, and sends no email at all"
HINT_HTML = "html/template refuses to render it, so Supabase Auth sends no email at all"


@dataclass(frozen=True)
class _Entry:
    """One email written in karto.yaml: its key path, API name and settings."""

    path: NodePath
    kind: str
    notification: bool
    template: EmailTemplate


@dataclass(frozen=True)
class _Report:
    """What checking one template text found; positions are offsets in the text."""

    syntax: TemplateSyntaxError | None
    exec_problems: tuple[tuple[int, str], ...]
    html_problems: tuple[tuple[int, str], ...]
    uses: tuple[FieldUse, ...]


@lru_cache(maxsize=256)
def _check(text: str) -> _Report:
    from karto_smtp.config.auth_email import field_uses
    from karto_smtp.config.gotemplate import TemplateSyntaxError, execution_problems, parse
    from karto_smtp.config.html_context import html_problems

    try:
        parsed = parse(text)
    except TemplateSyntaxError as exc:
        return _Report(exc, (), (), ())
    return _Report(
        None,
        tuple((p.pos, p.message) for p in execution_problems(parsed)),
        tuple((p.pos, p.message) for p in html_problems(parsed)),
        tuple(field_uses(parsed)),
    )


def _entries(email: EmailSettings | None, base: NodePath) -> Iterator[_Entry]:
    if email is None:
        return
    for group, notification in (("templates", False), ("notifications", True)):
        templates = getattr(email, group)
        if templates is None:
            continue
        for kind in type(templates).model_fields:
            template = getattr(templates, kind)
            if template is not None:
                yield _Entry((*base, group, kind), kind, notification, template)


def _written_emails(ctx: LintContext) -> Iterator[tuple[NodePath, EmailSettings | None]]:
    """Each `auth.email` as written (defaults, then each project), with its path."""
    supabase = ctx.config.supabase
    if supabase is None:
        return
    if supabase.defaults is not None:
        yield ("supabase", "defaults", "auth", "email"), supabase.defaults.auth.email
    for index, project in enumerate(supabase.projects):
        yield ("supabase", "projects", index, "auth", "email"), project.auth.email


def _written_entries(ctx: LintContext) -> Iterator[_Entry]:
    for base, email in _written_emails(ctx):
        yield from _entries(email, base)


class _Place:
    """Turns an offset in a template into a finding location."""

    def __init__(self, ctx: LintContext, text: str, file: str | None, key: NodePath) -> None:
        self.ctx, self.text, self.file, self.key = ctx, text, file, key

    def report(
        self, severity: Severity, code: str, pos: int, message: str, hint: str, path: NodePath
    ) -> None:
        from karto_smtp.config.offsets import line_column

        line, column = line_column(self.text, pos)
        if self.file is not None:
            location = f"{self.file}:{line}:{column}"
        else:
            location = self.ctx.loaded.locate(self.key)
            message = f"line {line}, column {column} of {self.key[-1]}: {message}"
        self.ctx.add_at(severity, code, location, message, hint, format_path(path))


def _body(ctx: LintContext, entry: _Entry) -> tuple[str, _Place] | None:
    """The body's text and where it is written; None when it is not set or unreadable."""
    template = entry.template
    if template.content is not None:
        key = (*entry.path, "content")
        return template.content, _Place(ctx, template.content, None, key)
    if template.content_path is not None:
        file = ctx.loaded.templates.get(template.content_path)
        if file is None or file.text is None:
            return None
        return file.text, _Place(ctx, file.text, file.display, (*entry.path, "content_path"))
    return None


def rule_template_files(ctx: LintContext) -> None:
    """template-file."""
    for entry in _written_entries(ctx):
        content_path = entry.template.content_path
        if content_path is None:
            continue
        file = ctx.loaded.templates.get(content_path)
        if file is not None and file.problem is not None:
            ctx.error(
                "template-file",
                (*entry.path, "content_path"),
                f"template file {file.display} {file.problem}",
                "content_path is relative to the folder of karto.yaml; fix the path or the file",
            )


def rule_template_bodies(ctx: LintContext) -> None:
    """template-syntax, template-exec, template-html, template-variable, template-no-action,
    template-empty."""
    for entry in _written_entries(ctx):
        body = _body(ctx, entry)
        if body is None:
            continue
        text, place = body
        path = (*entry.path, "content" if entry.template.content is not None else "content_path")
        if not text.strip():
            what = "empty" if text == "" else "blank (only whitespace)"
            place.report(
                "warning",
                "template-empty",
                0,
                f"the {entry.kind.replace('_', ' ')} body is {what}",
                "write the email, or remove content to leave the body unmanaged",
                path,
            )
            if text == "":
                continue
        _report(ctx, place, path, entry, _check(text), HINT_BODY_PARSE, body=True)


def rule_subjects(ctx: LintContext) -> None:
    """subject-empty, and the template rules applied to subjects."""
    for entry in _written_entries(ctx):
        subject = entry.template.subject
        if subject is None:
            continue
        path = (*entry.path, "subject")
        if not subject.strip():
            reason = (
                "an empty subject makes Supabase Auth send its default subject"
                if subject == ""
                else "the subject is blank"
            )
            ctx.warning(
                "subject-empty", path, reason, "write a subject, or remove the key to leave it"
            )
            continue
        place = _Place(ctx, subject, None, path)
        _report(ctx, place, path, entry, _check(subject), HINT_SUBJECT_PARSE, body=False)


def _report(
    ctx: LintContext,
    place: _Place,
    path: NodePath,
    entry: _Entry,
    report: _Report,
    parse_hint: str,
    *,
    body: bool,
) -> None:
    if report.syntax is not None:
        place.report(
            "error", "template-syntax", report.syntax.pos, report.syntax.message, parse_hint, path
        )
        return
    for pos, message in report.exec_problems:
        place.report("error", "template-exec", pos, message, HINT_EXEC, path)
    for pos, message in report.html_problems:
        place.report("error", "template-html", pos, message, HINT_HTML, path)
    from karto_smtp.config.auth_email import lacks_action, unknown_fields

    uses = list(report.uses)
    for problem in unknown_fields(uses, entry.kind, entry.notification):
        place.report(
            "error",
            "template-variable",
            problem.pos,
            problem.message,
            "names are case-sensitive; docs/config.md lists each email's variables",
            path,
        )
    reason = lacks_action(uses, entry.kind, entry.notification) if body else None
    if reason is not None:
        place.report(
            "error",
            "template-no-action",
            0,
            f"{reason}, so the reader has no link or code to act on",
            "add a link with {{ .ConfirmationURL }} or a code with {{ .Token }}",
            path,
        )


def rule_site_url(ctx: LintContext) -> None:
    """site-url-undeclared, site-url-localhost (warnings)."""
    supabase = ctx.config.supabase
    if supabase is None:
        return
    for index, project in enumerate(supabase.projects):
        auth = effective_auth(ctx.config, project)
        site_url = auth.links.site_url if auth.links is not None else None
        local = site_url is not None and _is_local(site_url)
        if site_url is not None and not local:
            continue
        for entry in _entries(auth.email, ("supabase", "projects", index, "auth", "email")):
            resolved = _effective_body(ctx, entry)
            if resolved is None:
                continue
            text, place = resolved
            report = _check(text)
            first = next((u for u in report.uses if u.name == "SiteURL"), None)
            if report.syntax is not None or first is None:
                continue
            if local:
                code, why = "site-url-localhost", f"links.site_url is {site_url}"
                hint = "set links.site_url to the app's public URL for this project"
            else:
                code = "site-url-undeclared"
                why = "links.site_url is not declared (Supabase's default is http://localhost:3000)"
                hint = "declare auth.links.site_url for the project or under supabase.defaults"
            place.report(
                "warning",
                code,
                first.pos,
                f"{project.name}: the {entry.kind.replace('_', ' ')} email builds a link from "
                f".SiteURL, but {why}",
                hint,
                ctx.written_at(place.key),
            )


def _effective_body(ctx: LintContext, entry: _Entry) -> tuple[str, _Place] | None:
    """The merged entry's body, located where its text is written."""
    resolved = _body(ctx, entry)
    if resolved is None:
        return None
    text, place = resolved
    if place.file is None:
        place = _Place(ctx, text, None, ctx.written_at(place.key))
    return text, place


def _is_local(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and host.lower() in _LOCAL_HOSTS


def rule_email_ranges(ctx: LintContext) -> None:
    """out-of-range for emailed codes."""
    checks = (
        ("expiry", OTP_EXPIRY_RANGE, "seconds"),
        ("length", OTP_LENGTH_RANGE, "digits"),
    )
    for base, email in _written_emails(ctx):
        if email is None or email.otp is None:
            continue
        for name, bounds, unit in checks:
            ctx.check_range((*base, "otp", name), getattr(email.otp, name), bounds, unit)


EMAIL_RULES = (
    rule_template_files,
    rule_template_bodies,
    rule_subjects,
    rule_site_url,
    rule_email_ranges,
)
