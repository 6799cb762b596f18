"""What SMTP2GO and Supabase hold now, read with the same clients plan uses.

Only reads: SMTP2GO's three `view` endpoints and Supabase's project list and Auth config.
Passwords are never part of a snapshot: SMTP2GO's `email_password` and Supabase's
`smtp_pass` digest are dropped as they arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from karto_smtp.config.model import (
    SMTP2GO_API_KEY_ENV,
    SMTP2GO_API_URL_ENV,
    SMTP2GO_API_URLS,
    SUPABASE_ACCESS_TOKEN_ENV,
    SUPABASE_API_URL_ENV,
    SUPABASE_DEFAULT_API_URL,
    env_api_url,
)
from karto_smtp.errors import ConfigError
from karto_smtp.providers.supabase.email_fields import EMAIL_FIELD_KEYS

if TYPE_CHECKING:
    from karto_smtp.providers.smtp2go.client import Smtp2goClient
    from karto_smtp.providers.supabase.client import SupabaseClient

# The Auth config keys import declares (SMTP, then the email and link settings); everything
# else in the 230-key config is left alone.
SMTP_KEYS = (
    "smtp_host",
    "smtp_port",
    "smtp_user",
    "smtp_admin_email",
    "smtp_sender_name",
    "smtp_max_frequency",
    "rate_limit_email_sent",
)
AUTH_KEYS = SMTP_KEYS + EMAIL_FIELD_KEYS
_SECRET_USER_KEYS = ("email_password",)


@dataclass(frozen=True)
class LiveProject:
    ref: str
    name: str
    status: str | None
    auth: dict[str, Any] | None  # None: not read (a paused project under --all)


@dataclass
class Snapshot:
    """The live objects import may declare."""

    smtp2go_read: bool = False
    users: list[dict[str, Any]] = field(default_factory=list)
    senders: list[dict[str, Any]] = field(default_factory=list)
    domains: list[dict[str, Any]] = field(default_factory=list)
    projects: list[LiveProject] = field(default_factory=list)


def _credential(environ: Mapping[str, str], name: str, what: str, where: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigError(f"{what} is not set: export {name} ({where})")
    return value


def supabase_client(environ: Mapping[str, str]) -> SupabaseClient:
    from karto_smtp.providers.supabase.client import SupabaseClient

    token = _credential(
        environ,
        SUPABASE_ACCESS_TOKEN_ENV,
        "the Supabase access token",
        "Supabase dashboard > Account > Access Tokens",
    )
    url = (
        env_api_url(environ, SUPABASE_API_URL_ENV, SUPABASE_DEFAULT_API_URL)
        or SUPABASE_DEFAULT_API_URL
    )
    return SupabaseClient(url.rstrip("/"), token)


def smtp2go_client(environ: Mapping[str, str]) -> Smtp2goClient:
    from karto_smtp.providers.smtp2go.client import Smtp2goClient

    key = _credential(
        environ,
        SMTP2GO_API_KEY_ENV,
        "the SMTP2GO API key",
        "SMTP2GO app > Sending > API Keys; import needs only the view endpoints",
    )
    default = SMTP2GO_API_URLS["global"]
    url = env_api_url(environ, SMTP2GO_API_URL_ENV, default) or default
    return Smtp2goClient(url.rstrip("/"), key)


async def read_smtp2go(client: Smtp2goClient, snapshot: Snapshot) -> None:
    users, senders, domains = await asyncio.gather(
        client.view_smtp_users(), client.view_single_senders(), client.view_domains()
    )
    snapshot.smtp2go_read = True
    snapshot.users = [
        {k: v for k, v in user.items() if k not in _SECRET_USER_KEYS} for user in users
    ]
    snapshot.senders = senders
    snapshot.domains = domains


async def list_projects(client: SupabaseClient) -> list[dict[str, Any]]:
    projects = await client.call("GET", "v1/projects", "list projects", idempotent=True)
    return [p for p in projects or [] if isinstance(p, dict)]


async def read_project(client: SupabaseClient, ref: str, name: str | None) -> LiveProject:
    status = None
    if name is None:
        project = await client.call(
            "GET", f"v1/projects/{ref}", f"read project {ref}", idempotent=True
        )
        name = str(project.get("name") or ref)
        status = project.get("status")
    raw = await client.get_auth_config(ref)
    auth = {key: raw.get(key) for key in AUTH_KEYS}
    return LiveProject(ref=ref, name=name or ref, status=status, auth=auth)


def is_active(project: Mapping[str, Any]) -> bool:
    # A paused or restoring project has no Auth config to read.
    status = str(project.get("status") or "ACTIVE_HEALTHY")
    return status.startswith("ACTIVE")


async def read_snapshot(
    environ: Mapping[str, str],
    *,
    everything: bool,
    refs: list[str],
    want_smtp2go: bool,
    relays_smtp2go: Callable[[LiveProject], bool],
) -> tuple[Snapshot, list[dict[str, Any]]]:
    """Read the projects (every active one with `everything`, else `refs`), then SMTP2GO
    when `want_smtp2go` or when `relays_smtp2go(project)` says a project relays through it.

    Returns the snapshot and the projects skipped because they are not active.
    Credentials are checked before the first call of each service.
    """
    snapshot = Snapshot()
    skipped: list[dict[str, Any]] = []
    smtp2go = smtp2go_client(environ) if want_smtp2go else None
    supabase = supabase_client(environ) if everything or refs else None
    try:
        if supabase is not None:
            wanted: list[tuple[str, str | None]] = []
            if everything:
                listed = await list_projects(supabase)
                skipped = [p for p in listed if not is_active(p)]
                wanted = [
                    (str(p.get("ref") or p.get("id")), str(p.get("name") or "") or None)
                    for p in listed
                    if is_active(p)
                ]
            known = {ref for ref, _ in wanted}
            wanted += [(ref, None) for ref in refs if ref not in known]
            snapshot.projects = list(
                await asyncio.gather(*(read_project(supabase, r, n) for r, n in wanted))
            )
        if smtp2go is None and any(relays_smtp2go(p) for p in snapshot.projects):
            smtp2go = smtp2go_client(environ)
        if smtp2go is not None:
            await read_smtp2go(smtp2go, snapshot)
    finally:
        for client in (smtp2go, supabase):
            if client is not None:
                await client.aclose()
    return snapshot, skipped
