"""How Supabase Auth's mailer logs in to an SMTP relay, so `check` proves what Supabase will do.

Supabase Auth (GoTrue) sends with gomail (gopkg.in/gomail.v2, `Dialer.Dial`), which prefers
CRAM-MD5, then LOGIN when PLAIN is not offered, else PLAIN.
"""

from __future__ import annotations

import smtplib


def supabase_auth_mechanism(offered: list[str]) -> str:
    """The AUTH mechanism Supabase's mailer picks among those the server offers."""
    if "CRAM-MD5" in offered:
        return "CRAM-MD5"
    if "LOGIN" in offered and "PLAIN" not in offered:
        return "LOGIN"
    return "PLAIN"


def authenticate(
    client: smtplib.SMTP, mechanism: str, user: str, password: str
) -> tuple[int, bytes]:
    """One AUTH with `mechanism`; the password is dropped from the client afterwards."""
    handlers = {
        "CRAM-MD5": client.auth_cram_md5,
        "LOGIN": client.auth_login,
        "PLAIN": client.auth_plain,
    }
    client.user, client.password = user, password
    try:
        return client.auth(mechanism, handlers[mechanism])  # type: ignore[arg-type]
    finally:
        client.password = ""
