"""From karto.yaml's `smtp2go:` section to resources and the passwords SMTP users make.

Every secret is resolved here, before any network call, so a missing variable or an
unreadable file stops the run with nothing read and nothing changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from karto_smtp.engine.address import Address
from karto_smtp.engine.provider import Desired
from karto_smtp.engine.resource import Credential, CredentialName, Ensure, Resource
from karto_smtp.providers.smtp2go.fields import (
    PASSWORD_FIELD,
    PROVIDER,
    SENDER_DOMAIN,
    SINGLE_SENDER,
    SMTP_USER,
    USER_FIELDS,
    period_seconds,
)

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.config.model import SmtpUserConfig

# The SMTP user fields karto.yaml writes under the API's own names; the rate limit is the
# one that maps differently (karto.yaml's `rate_limit:` sets three of them).
_USER_FIELDS = tuple(name for name in USER_FIELDS if not name.startswith("custom_ratelimit"))


def desired(loaded: LoadedConfig, environ: Mapping[str, str]) -> Desired:
    account = loaded.config.smtp2go
    found = Desired([], [])
    if account is None:
        return found
    for i, sender in enumerate(account.senders.emails):
        key = sender.address.lower()
        found.resources.append(
            Resource(
                address=Address(PROVIDER, SINGLE_SENDER, key),
                label=f"sender {key}",
                location=loaded.locate(("smtp2go", "senders", "emails", i)),
                ensure=Ensure(sender.ensure),
            )
        )
    for i, domain in enumerate(account.senders.domains):
        key = domain.domain.lower()
        create_only = {
            name: value
            for name in ("tracking_subdomain", "returnpath_subdomain")
            if (value := getattr(domain, name, None)) is not None
        }
        found.resources.append(
            Resource(
                address=Address(PROVIDER, SENDER_DOMAIN, key),
                label=f"sender domain {key}",
                location=loaded.locate(("smtp2go", "senders", "domains", i)),
                ensure=Ensure(domain.ensure),
                create_only=create_only,
            )
        )
    senders = [r.address for r in found.resources if r.ensure is Ensure.PRESENT]
    for i, user in enumerate(account.smtp_users):
        resource = _user(user, loaded.locate(("smtp2go", "smtp_users", i)))
        # A user sends as the account's senders: they exist before it does.
        resource.depends_on = list(senders)
        if user.password is not None and resource.ensure is Ensure.PRESENT:
            credential = Credential(
                id=f"{resource.address}.password",
                label=f"the password of SMTP2GO user {user.username}",
                value=None
                if user.password.is_generated
                else user.password.resolve(environ, loaded.base_dir),
                noun="password",
                producer=resource.address,
                name=CredentialName(PROVIDER, user.username),
            )
            resource.secrets[PASSWORD_FIELD] = credential
            found.credentials.append(credential)
        found.resources.append(resource)
    return found


def _user(user: SmtpUserConfig, location: str) -> Resource:
    fields: dict[str, Any] = {}
    wire: dict[str, Any] = {}
    for name in _USER_FIELDS:
        value = getattr(user, name, None)
        if value is not None:
            fields[name] = value
    if user.rate_limit is not None:
        fields["custom_ratelimit"] = True
        fields["custom_ratelimit_value"] = user.rate_limit.value
        fields["custom_ratelimit_period"] = period_seconds(user.rate_limit.period)
        # Compared in seconds, sent as the file writes it.
        wire["custom_ratelimit_period"] = user.rate_limit.period
    return Resource(
        address=Address(PROVIDER, SMTP_USER, user.username),
        label=f"SMTP2GO user {user.username}",
        location=location,
        ensure=Ensure(user.ensure),
        fields=fields,
        extra={"wire": wire},
    )
