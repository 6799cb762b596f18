"""A Supabase project's Auth SMTP settings in the form karto-smtp compares."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

from karto_smtp.redaction import add_derivation

PROVIDER = "supabase"
AUTH_SMTP = "auth_smtp"
# A project's Auth email templates, notifications, codes and links, on the same endpoint.
AUTH_EMAIL = "auth_email"
PASSWORD_FIELD = "smtp_pass"
# Sent together whenever one of them changes: the API treats them as one block.
SMTP_GROUP = (
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_admin_email",
    "smtp_sender_name",
)
RATE_LIMIT = "rate_limit_email_sent"
MANAGED = (*SMTP_GROUP, "smtp_max_frequency", RATE_LIMIT)
_DIGEST = re.compile(r"[0-9a-f]{64}")


def password_digest(ref: str, password: str) -> str:
    """How the Management API reports `smtp_pass`: HMAC-SHA256 keyed by the project ref."""
    return hmac.new(ref.encode(), password.encode(), hashlib.sha256).hexdigest()


def redact_digests(refs: Iterable[str]) -> None:
    """Scrub, wherever text is shown, the digest each of these projects shows of any secret."""
    keys = tuple(sorted(set(refs)))
    if keys:
        add_derivation(lambda value: [password_digest(ref, value) for ref in keys])


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def normalise_auth(raw: dict[str, Any]) -> dict[str, Any]:
    live = {name: raw.get(name) for name in MANAGED}
    if live["smtp_port"] is not None:
        live["smtp_port"] = str(live["smtp_port"])
    # Kept to tell whether a password is held; never compared, printed or saved.
    live[PASSWORD_FIELD] = raw.get(PASSWORD_FIELD)
    return live


def smtp_enabled(live: dict[str, Any] | None) -> bool:
    """Custom SMTP is on exactly when a host is set (the rule Supabase's own CLI follows)."""
    return bool(live and live.get("smtp_host"))
