"""SMTP2GO's objects in the form karto-smtp compares: kinds, field names, normalisation."""

from __future__ import annotations

import re
from typing import Any

from karto_smtp.engine.handoff import split_record

PROVIDER = "smtp2go"
SMTP_USER = "smtp_user"
SINGLE_SENDER = "single_sender"
SENDER_DOMAIN = "sender_domain"
PASSWORD_FIELD = "email_password"
# Where the live object keeps the hand-off record it carried in its description.
RECORD_KEY = "_record"

# Fields a user may manage, in the API's own names (`ip_pool` is `ippool` in responses).
USER_FIELDS = (
    "description",
    "status",
    "custom_ratelimit",
    "custom_ratelimit_value",
    "custom_ratelimit_period",
    "open_tracking_enabled",
    "click_tracking_enabled",
    "archive_enabled",
    "audit_email",
    "bounce_notifications",
    "feedback_enabled",
    "feedback_html",
    "feedback_text",
    "ip_pool",
)

_PERIOD_UNITS = {"hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
_PERIOD = re.compile(
    r"^\s*(?:(?P<n>\d{1,9})\s*(?P<unit>hour|day|week|month)s?,?)?\s*"
    r"(?:(?P<h>\d{1,3}):(?P<m>\d{2}):(?P<s>\d{2}))?\s*$",
    re.IGNORECASE,
)


def period_seconds(text: str | None) -> int | str | None:
    """A rate-limit period in seconds, so "1 hour" and "1:00:00" compare equal."""
    if text is None:
        return None
    match = _PERIOD.match(str(text))
    if not match or not any(match.groupdict().values()):
        return str(text)
    total = 0
    if match["n"]:
        total += int(match["n"]) * _PERIOD_UNITS[match["unit"].lower()]
    if match["h"]:
        total += int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
    return total


def normalise_user(raw: dict[str, Any]) -> dict[str, Any]:
    # email_password never enters karto-smtp's view of the world: it is write-only.
    user: dict[str, Any] = {name: raw.get(name) for name in USER_FIELDS if name != "ip_pool"}
    user["ip_pool"] = raw.get("ippool", raw.get("ip_pool"))
    user["custom_ratelimit_period"] = period_seconds(raw.get("custom_ratelimit_period"))
    if not user.get("custom_ratelimit"):
        user["custom_ratelimit_value"] = None
        user["custom_ratelimit_period"] = None
    description = raw.get("description")
    if description is None:
        description = raw.get("comments")
    text, record = split_record(description if isinstance(description, str) else None)
    user["description"] = text if description is not None else None
    user[RECORD_KEY] = record
    return user


def user_shown_whole(raw: dict[str, Any], names: set[str]) -> bool:
    """Whether a response carries every field in `names` (some write responses omit some)."""
    keys = set(raw) | ({"ip_pool"} if "ippool" in raw else set())
    return names <= keys


def domain_records(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The DNS records SMTP2GO wants published for a sender domain, with their status.

    Each: `name` (absolute, no trailing dot), `type`, `target` (what SMTP2GO expects),
    `verified` (SMTP2GO saw it), `found` (what SMTP2GO's last check found, or None) and
    `purpose` (DKIM, return path, tracking). A tracker counts only when it is enabled.
    """
    domain = entry.get("domain") or {}
    trackers = entry.get("trackers") or []
    full = domain.get("fulldomain")
    records = [
        {
            "name": f"{domain.get('dkim_selector')}._domainkey.{full}",
            "type": "CNAME",
            "target": domain.get("dkim_expected") or "dkim.smtp2go.net",
            "verified": bool(domain.get("dkim_verified")),
            "found": domain.get("dkim_value") or None,
            "purpose": "DKIM",
        },
        {
            "name": f"{domain.get('rpath_selector')}.{full}",
            "type": "CNAME",
            "target": domain.get("rpath_expected") or "return.smtp2go.net",
            "verified": bool(domain.get("rpath_verified")),
            "found": domain.get("rpath_value") or None,
            "purpose": "return path",
        },
    ]
    records += [
        {
            "name": t.get("fulldomain"),
            "type": "CNAME",
            "target": t.get("cname_expected") or "track.smtp2go.net",
            "verified": bool(t.get("cname_verified")),
            "found": t.get("cname_value") or None,
            "purpose": "tracking",
        }
        for t in trackers
        if t.get("enabled")
    ]
    return records


def normalise_domain(entry: dict[str, Any]) -> dict[str, Any]:
    records = domain_records(entry)
    return {"verified": all(r["verified"] for r in records), "records": records}


def normalise_sender(raw: dict[str, Any]) -> dict[str, Any]:
    return {"verified": bool(raw.get("verified"))}
