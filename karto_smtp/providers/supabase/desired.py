"""From each project's `auth.smtp` in karto.yaml to one resource per project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.provider import Desired
from karto_smtp.engine.resource import Credential, CredentialName, Resource
from karto_smtp.providers.supabase.fields import AUTH_EMAIL, AUTH_SMTP, PASSWORD_FIELD, PROVIDER

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig


def desired(loaded: LoadedConfig, environ: Mapping[str, str]) -> Desired:
    from karto_smtp.config.model import resolve_smtp

    config = loaded.config
    found = Desired([], [])
    if config.supabase is None:
        return found
    for i, project in enumerate(config.supabase.projects):
        effective = resolve_smtp(project, config)
        email = _email(loaded, i)
        if effective is None:
            if email is not None:
                found.resources.append(email)
            continue
        address = Address(PROVIDER, AUTH_SMTP, project.ref)
        resource = Resource(
            address=address,
            label=f"project {project.name}",
            location=loaded.locate(("supabase", "projects", i, "auth", "smtp")),
            extra={"aliases": (project.name,)},
        )
        found.resources.append(resource)
        if email is not None:
            # Templates apply only once custom SMTP is on: SMTP settings go first.
            email.depends_on.append(address)
            email.extra["smtp_on"] = effective.enabled
            found.resources.append(email)
        if not effective.enabled:
            resource.fields["smtp_host"] = None
            continue
        wanted: dict[str, Any] = {
            "smtp_host": effective.host,
            "smtp_port": None if effective.port is None else str(effective.port),
            "smtp_user": effective.user,
            "smtp_admin_email": effective.admin_email,
            "smtp_sender_name": effective.sender_name,
            "smtp_max_frequency": effective.max_frequency,
            "rate_limit_email_sent": effective.rate_limit_email_sent,
        }
        resource.fields = {k: v for k, v in wanted.items() if v is not None}
        if effective.relay_user is not None:
            # The relay's password is the SMTP2GO user's: received, never copied by hand.
            resource.secrets[PASSWORD_FIELD] = CredentialName("smtp2go", effective.relay_user)
        elif effective.password is not None:
            credential = Credential(
                id=f"{address}.password",
                label=f"the SMTP password of project {project.name}",
                noun="password",
                value=effective.password.resolve(environ, loaded.base_dir),
            )
            resource.secrets[PASSWORD_FIELD] = credential
            found.credentials.append(credential)
    return found


def _email(loaded: LoadedConfig, index: int) -> Resource | None:
    """The project's email and link settings, when karto.yaml declares any."""
    from karto_smtp.config.model import effective_auth
    from karto_smtp.providers.supabase.email_fields import (
        EMAIL_FIELD_KEYS,
        desired_email_fields,
        normalise_live_email_fields,
    )

    assert loaded.config.supabase is not None
    project = loaded.config.supabase.projects[index]
    wire = desired_email_fields(effective_auth(loaded.config, project), loaded.templates)
    if not wire:
        return None
    return Resource(
        address=Address(PROVIDER, AUTH_EMAIL, project.ref),
        label=f"project {project.name} (Auth email)",
        location=loaded.locate(("supabase", "projects", index, "auth")),
        fields=normalise_live_email_fields(wire),
        text_fields=frozenset(k for k in EMAIL_FIELD_KEYS if k.endswith("_content")),
        extra={"aliases": (project.name,), "wire": wire},
    )
