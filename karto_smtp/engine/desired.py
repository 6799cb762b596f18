"""From karto.yaml to desired resources, in each service's own field names.

Every secret is resolved here, before any network call, so a missing variable or an
unreadable file stops the run with nothing read and nothing changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from karto_smtp.engine.resources import Desired, Ensure, SecretSource, address, password_secret_id
from karto_smtp.providers.smtp2go.provider import (
    SENDER_DOMAIN,
    SINGLE_SENDER,
    SMTP_USER,
    period_seconds,
)
from karto_smtp.providers.supabase.provider import AUTH_SMTP

if TYPE_CHECKING:
    from karto_smtp.config.load import LoadedConfig
    from karto_smtp.config.model import SmtpUserConfig

# karto.yaml name -> API name, for the SMTP user fields that map one to one.
_USER_FIELD_NAMES = {
    "description": "description",
    "status": "status",
    "open_tracking_enabled": "open_tracking_enabled",
    "click_tracking_enabled": "click_tracking_enabled",
    "archive_enabled": "archive_enabled",
    "audit_email": "audit_email",
    "bounce_notifications": "bounce_notifications",
    "feedback_enabled": "feedback_enabled",
    "feedback_html": "feedback_html",
    "feedback_text": "feedback_text",
    "ip_pool": "ip_pool",
}


def build_desired(loaded: LoadedConfig, environ: Mapping[str, str]) -> list[Desired]:
    config = loaded.config
    base_dir = loaded.path.parent
    desired: list[Desired] = []
    user_passwords: dict[str, SecretSource] = {}

    if config.smtp2go is not None:
        account = config.smtp2go
        for i, sender in enumerate(account.senders.emails):
            key = sender.address.lower()
            desired.append(
                Desired(
                    address=address("smtp2go", SINGLE_SENDER, key),
                    provider="smtp2go",
                    kind=SINGLE_SENDER,
                    key=key,
                    ensure=Ensure(sender.ensure),
                    location=loaded.locate(("smtp2go", "senders", "emails", i)),
                )
            )
        for i, domain in enumerate(account.senders.domains):
            key = domain.domain.lower()
            create_fields = {
                name: value
                for name in ("tracking_subdomain", "returnpath_subdomain")
                if (value := getattr(domain, name, None)) is not None
            }
            desired.append(
                Desired(
                    address=address("smtp2go", SENDER_DOMAIN, key),
                    provider="smtp2go",
                    kind=SENDER_DOMAIN,
                    key=key,
                    ensure=Ensure(domain.ensure),
                    create_fields=create_fields,
                    location=loaded.locate(("smtp2go", "senders", "domains", i)),
                )
            )
        for i, user in enumerate(account.smtp_users):
            location = loaded.locate(("smtp2go", "smtp_users", i))
            item = _smtp_user(user, location)
            if user.password is not None and item.ensure is Ensure.PRESENT:
                source = SecretSource(
                    id=password_secret_id(user.username),
                    label=f"password of SMTP2GO user {user.username}",
                    secret=None
                    if user.password.is_generated
                    else user.password.resolve(environ, base_dir),
                    generated_by=item.address if user.password.is_generated else None,
                )
                item.secret_fields["email_password"] = source
                user_passwords[user.username] = source
            desired.append(item)

    if config.supabase is not None:
        from karto_smtp.config.model import resolve_smtp

        for i, project in enumerate(config.supabase.projects):
            smtp_settings = project.auth.smtp if project.auth is not None else None
            if smtp_settings is None:
                continue
            location = loaded.locate(("supabase", "projects", i, "auth", "smtp"))
            item = Desired(
                address=address("supabase", AUTH_SMTP, project.ref),
                provider="supabase",
                kind=AUTH_SMTP,
                key=project.ref,
                location=location,
            )
            if not smtp_settings.enabled:
                item.fields["smtp_host"] = None
                desired.append(item)
                continue
            effective = resolve_smtp(project, config)
            wanted: dict[str, Any] = {
                "smtp_host": effective.host,
                "smtp_port": None if effective.port is None else str(effective.port),
                "smtp_user": effective.user,
                "smtp_admin_email": effective.admin_email,
                "smtp_sender_name": effective.sender_name,
                "smtp_max_frequency": effective.max_frequency,
                "rate_limit_email_sent": effective.rate_limit_email_sent,
            }
            item.fields = {k: v for k, v in wanted.items() if v is not None}
            item.relay_user = effective.relay_user
            if effective.relay_user is not None and effective.relay_user in user_passwords:
                item.secret_fields["smtp_pass"] = user_passwords[effective.relay_user]
            elif effective.password is not None:
                item.secret_fields["smtp_pass"] = SecretSource(
                    id=f"supabase.auth_smtp[{project.ref}].password",
                    label=f"SMTP password of project {project.ref}",
                    secret=effective.password.resolve(environ, base_dir),
                )
            desired.append(item)
    return desired


def _smtp_user(user: SmtpUserConfig, location: str) -> Desired:
    fields: dict[str, Any] = {}
    wire: dict[str, Any] = {}
    for yaml_name, api_name in _USER_FIELD_NAMES.items():
        value = getattr(user, yaml_name, None)
        if value is not None:
            fields[api_name] = value
    if user.rate_limit is not None:
        fields["custom_ratelimit"] = True
        fields["custom_ratelimit_value"] = user.rate_limit.value
        fields["custom_ratelimit_period"] = period_seconds(user.rate_limit.period)
        wire["custom_ratelimit_period"] = user.rate_limit.period
    return Desired(
        address=address("smtp2go", SMTP_USER, user.username),
        provider="smtp2go",
        kind=SMTP_USER,
        key=user.username,
        ensure=Ensure(user.ensure),
        fields=fields,
        wire_values=wire,
        location=location,
    )
