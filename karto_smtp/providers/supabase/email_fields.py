"""Auth email settings <-> Supabase Management API fields (`/v1/projects/{ref}/config/auth`).

Pure functions, no HTTP. `desired_email_fields` gives the exact request keys and values for
what karto.yaml declares (undeclared settings produce no key, so they stay untouched);
`normalise_live_email_fields` puts an API response (or a desired dict) in the form the two
are compared in. Field names and types: `UpdateAuthConfigBody` / `AuthConfigResponse` in
the Management API's OpenAPI spec.
"""

from __future__ import annotations

from typing import Any

from karto_smtp.config.model import AuthConfig, EmailTemplate
from karto_smtp.config.template_files import TemplateFiles

TEMPLATE_NAMES = (
    "confirmation",
    "invite",
    "magic_link",
    "recovery",
    "email_change",
    "reauthentication",
)
NOTIFICATION_NAMES = (
    "password_changed",
    "email_changed",
    "phone_changed",
    "identity_linked",
    "identity_unlinked",
    "mfa_factor_enrolled",
    "mfa_factor_unenrolled",
)


def subject_key(name: str, notification: bool = False) -> str:
    return f"mailer_subjects_{name}{'_notification' if notification else ''}"


def content_key(name: str, notification: bool = False) -> str:
    return f"mailer_templates_{name}{'_notification' if notification else ''}_content"


def enabled_key(name: str) -> str:
    return f"mailer_notifications_{name}_enabled"


# Every key this module reads or writes.
EMAIL_FIELD_KEYS: tuple[str, ...] = (
    *(subject_key(n) for n in TEMPLATE_NAMES),
    *(content_key(n) for n in TEMPLATE_NAMES),
    *(subject_key(n, True) for n in NOTIFICATION_NAMES),
    *(content_key(n, True) for n in NOTIFICATION_NAMES),
    *(enabled_key(n) for n in NOTIFICATION_NAMES),
    "mailer_otp_exp",
    "mailer_otp_length",
    "mailer_secure_email_change_enabled",
    "site_url",
    "uri_allow_list",
)
# The redirect allow list is one string in the API, its URLs joined by commas.
ALLOW_LIST_SEPARATOR = ","


def desired_email_fields(auth: AuthConfig, templates: TemplateFiles) -> dict[str, Any]:
    """The Management API fields for the email and link settings `auth` declares.

    `auth` is a project's merged settings (`karto_smtp.config.model.effective_auth`);
    `templates` is `LoadedConfig.templates`, which holds the text of every `content_path`
    (raises ConfigError, naming the file, for one that could not be read).
    """
    fields: dict[str, Any] = {}
    email = auth.email
    if email is not None:
        if email.templates is not None:
            for name in TEMPLATE_NAMES:
                template = getattr(email.templates, name)
                if template is not None:
                    _add_template(fields, name, False, template, templates)
        if email.notifications is not None:
            for name in NOTIFICATION_NAMES:
                notification = getattr(email.notifications, name)
                if notification is None:
                    continue
                _add_template(fields, name, True, notification, templates)
                if notification.enabled is not None:
                    fields[enabled_key(name)] = notification.enabled
        if email.otp is not None:
            if email.otp.expiry is not None:
                fields["mailer_otp_exp"] = email.otp.expiry
            if email.otp.length is not None:
                fields["mailer_otp_length"] = email.otp.length
        if email.secure_email_change is not None:
            fields["mailer_secure_email_change_enabled"] = email.secure_email_change
    links = auth.links
    if links is not None:
        if links.site_url is not None:
            fields["site_url"] = links.site_url
        if links.redirect_urls is not None:
            fields["uri_allow_list"] = ALLOW_LIST_SEPARATOR.join(links.redirect_urls)
    return fields


def _add_template(
    fields: dict[str, Any],
    name: str,
    notification: bool,
    template: EmailTemplate,
    templates: TemplateFiles,
) -> None:
    if template.subject is not None:
        fields[subject_key(name, notification)] = template.subject
    if template.content is not None:
        fields[content_key(name, notification)] = template.content
    elif template.content_path is not None:
        fields[content_key(name, notification)] = templates.text(template.content_path)


def normalise_live_email_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The email and link fields of an API response, in the form they are compared in.

    Applies equally to `desired_email_fields`' output. Keys absent from `raw` are left
    out; `uri_allow_list` becomes a list of URLs (empty for null or "").
    """
    compared = {key: raw[key] for key in EMAIL_FIELD_KEYS if key in raw}
    if "uri_allow_list" in compared:
        compared["uri_allow_list"] = _allow_list(compared["uri_allow_list"])
    return compared


def _allow_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(url).strip() for url in value if str(url).strip()]
    return [url.strip() for url in str(value).split(ALLOW_LIST_SEPARATOR) if url.strip()]
