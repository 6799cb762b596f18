"""The subject and body of an Auth email, as Supabase Auth's template mailer makes them.

From supabase/auth `internal/mailer/templatemailer` (`template.go`, `templatemailer.go`):
- the subject is the project's `mailer_subjects_<type>`, or Auth's built-in subject when
  that is empty; the body is `mailer_templates_<type>_content`, or the built-in body;
- both are parsed with Go's html/template. When the subject does not parse, Auth logs
  `templatemailer_template_subject_parse_error`; when the body does not,
  `templatemailer_template_body_parse_error`; either way it sends its built-in subject
  *and* body, and the request succeeds. (Auth caches templates: a server that parsed a
  good version earlier keeps sending that one. The sandbox has no cache, so it always
  falls back to the built-in one.)
- they are executed with the email's data; an error there sends nothing: Auth answers
  500 "Error sending ... email".

The built-in subjects and bodies are Auth's as of supabase/auth commit 305c1bf5 (May 2026,
"improve default auth email copy").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from karto_sandbox.gotemplate import (
    TemplateExecError,
    TemplateSyntaxError,
    UnsupportedTemplate,
    parse,
    render,
)

DEFAULT_SUBJECTS: dict[str, str] = {
    "invite": "You've been invited",
    "confirmation": "Confirm your email address",
    "recovery": "Reset your password",
    "magic_link": "Your sign-in link",
    "email_change": "Confirm your new email address",
    "reauthentication": "{{ .Token }} is your verification code",
}
DEFAULT_BODIES: dict[str, str] = {
    "invite": (
        "<h2>You've been invited</h2>\n\n"
        "<p>You've been invited to create an account. Follow the link below to accept.</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Accept invitation</a></p>'
    ),
    "confirmation": (
        "<h2>Confirm your email address</h2>\n\n"
        "<p>Follow the link below to confirm this email address and finish signing up.</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Confirm email address</a></p>\n'
    ),
    "recovery": (
        "<h2>Reset your password</h2>\n\n"
        "<p>We received a request to reset your password. Follow the link below to choose a "
        "new one.</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Reset password</a></p>\n'
        "<p>If you didn't request this, you can safely ignore this email.</p>"
    ),
    "magic_link": (
        "<h2>Your sign-in link</h2>\n\n"
        "<p>Follow the link below to sign in. This link expires shortly and can only be used "
        "once.</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Sign in</a></p>'
    ),
    "email_change": (
        "<h2>Confirm your new email address</h2>\n\n"
        "<p>Follow the link below to confirm {{ .NewEmail }} as your new email address.</p>\n"
        '<p><a href="{{ .ConfirmationURL }}">Confirm new email address</a></p>\n'
        "<p>If you didn't request this change, you can safely ignore this email.</p>"
    ),
    "reauthentication": (
        "<h2>Your verification code</h2>\n\n"
        "<p>Use the code below to verify your identity. It expires shortly.</p>\n"
        "<p>{{ .Token }}</p>"
    ),
}


class MailNotRendered(Exception):
    """Auth sends nothing: the template failed while running (or the sandbox cannot render
    it: the error then starts with "sandbox: ")."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class ComposedMail:
    subject: str
    body: str
    # Auth log entries for templates that did not parse.
    log: list[dict[str, Any]] = field(default_factory=list)


def link_data(
    *,
    site_url: str,
    confirmation_url: str,
    email: str,
    token: str,
    token_hash: str,
    metadata: dict[str, Any],
    redirect_to: str,
) -> dict[str, Any]:
    """The data of a confirmation, invite, magic-link or recovery email."""
    return {
        "SiteURL": site_url,
        "ConfirmationURL": confirmation_url,
        "Email": email,
        "Token": token,
        "TokenHash": token_hash,
        "Data": metadata,
        "RedirectTo": redirect_to,
    }


def _parse_error(mail_type: str, which: str, exc: TemplateSyntaxError) -> dict[str, Any]:
    error = f'templatemailer: template type "{mail_type}": {exc}'
    return {
        "level": "error",
        "component": "mailer",
        "event": f"templatemailer_template_{which}_parse_error",
        "mail_type": mail_type,
        "error": error,
        "msg": error,
    }


def compose(config: dict[str, Any], mail_type: str, data: dict[str, Any]) -> ComposedMail:
    """The mail Auth sends for `mail_type` with the project's `config`; MailNotRendered
    when it sends none."""
    subject_text = config.get(f"mailer_subjects_{mail_type}") or DEFAULT_SUBJECTS[mail_type]
    body_text = config.get(f"mailer_templates_{mail_type}_content") or DEFAULT_BODIES[mail_type]
    log: list[dict[str, Any]] = []
    try:
        try:
            subject_tree = parse(subject_text, "Subject")
        except TemplateSyntaxError as exc:
            log.append(_parse_error(mail_type, "subject", exc))
            raise
        try:
            body_tree = parse(body_text, mail_type)
        except TemplateSyntaxError as exc:
            log.append(_parse_error(mail_type, "body", exc))
            raise
    except TemplateSyntaxError:
        subject_tree = parse(DEFAULT_SUBJECTS[mail_type], "")
        body_tree = parse(DEFAULT_BODIES[mail_type], "")
    except UnsupportedTemplate as exc:
        raise MailNotRendered(f"sandbox: {exc}") from None
    try:
        subject = render(subject_tree, data)
        body = render(body_tree, data)
    except TemplateExecError as exc:
        raise MailNotRendered(str(exc)) from None
    except UnsupportedTemplate as exc:
        raise MailNotRendered(f"sandbox: {exc}") from None
    return ComposedMail(subject, body, log)
