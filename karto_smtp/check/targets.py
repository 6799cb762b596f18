"""What `check` checks: each SMTP relay login and each project that sends through one.

A relay is one (host, port, username, password) combination: two projects relaying through
the same SMTP2GO user on the same port share one SMTP session. A declared SMTP user that no
project uses is still checked (reach, TLS, AUTH) on its account's relay at port 587.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from karto_smtp.errors import KartoError

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.config.model import EffectiveSmtp, SmtpUserConfig
    from karto_smtp.secrets import SecretRef

DEFAULT_RELAY_PORT = 587


@dataclass
class ProjectTarget:
    ref: str
    name: str
    smtp: EffectiveSmtp

    @property
    def label(self) -> str:
        return self.name


@dataclass
class RelayTarget:
    host: str
    port: int
    username: str | None
    password: SecretRef | None
    declared_user: SmtpUserConfig | None
    # The karto.yaml key that sets this relay's port, for hints ("set relay port: 2525").
    port_setting: str
    projects: list[ProjectTarget] = field(default_factory=list)

    @property
    def label(self) -> str:
        who = f"{self.username} @ " if self.username else ""
        return f"{who}{self.host}:{self.port}"

    @property
    def via_smtp2go(self) -> bool:
        from karto_smtp.config.model import is_smtp2go_host

        return self.declared_user is not None or is_smtp2go_host(self.host)


@dataclass
class CheckTargets:
    relays: list[RelayTarget]
    declared_senders: frozenset[str]
    declared_domains: frozenset[str]

    def sender_declared(self, address: str) -> bool:
        address = address.lower()
        domain = address.rpartition("@")[2]
        return address in self.declared_senders or any(
            domain == d or domain.endswith("." + d) for d in self.declared_domains
        )

    @property
    def projects(self) -> list[ProjectTarget]:
        return [p for relay in self.relays for p in relay.projects]


def select(loaded: LoadedConfig, wanted: list[str]) -> CheckTargets:
    """The relays and projects of karto.yaml, narrowed to `wanted` (usernames, refs, names)."""
    from karto_smtp.config.model import resolve_smtp

    config = loaded.config
    account = config.smtp2go
    users = [u for u in account.smtp_users if u.ensure == "present"] if account else []
    relays: dict[tuple[str, int, str | None, str | None], RelayTarget] = {}

    def relay_for(
        host: str,
        port: int,
        username: str | None,
        password: SecretRef | None,
        declared: SmtpUserConfig | None,
        setting: str,
    ) -> RelayTarget:
        key = (host.lower(), port, username, None if password is None else password.text)
        if key not in relays:
            relays[key] = RelayTarget(host, port, username, password, declared, setting)
        return relays[key]

    projects = config.supabase.projects if config.supabase is not None else []
    selected_any = not wanted
    known: list[str] = [u.username for u in users]
    for project in projects:
        known += [project.ref, project.name]
        smtp = resolve_smtp(project, config)
        if smtp is None or not smtp.enabled or not smtp.host:
            continue
        if wanted and not {project.ref, project.name, smtp.relay_user} & set(wanted):
            continue
        selected_any = True
        declared = account.user(smtp.relay_user) if account and smtp.relay_user else None
        relay = relay_for(
            smtp.host,
            smtp.port or DEFAULT_RELAY_PORT,
            smtp.user,
            smtp.password,
            declared,
            "relay port" if smtp.relay_user else "port",
        )
        relay.projects.append(ProjectTarget(project.ref, project.name, smtp))

    used = {r.declared_user.username for r in relays.values() if r.declared_user is not None}
    for user in users:
        if user.username in used or (wanted and user.username not in wanted):
            continue
        selected_any = True
        assert account is not None
        relay_for(
            account.relay_host(),
            DEFAULT_RELAY_PORT,
            user.username,
            user.password,
            user,
            "relay port",
        )

    unknown = [w for w in wanted if w not in known]
    if unknown or not selected_any:
        names = ", ".join(dict.fromkeys(known)) or "none declared"
        what = ", ".join(unknown or wanted)
        raise KartoError(
            f"--target {what}: not an SMTP user or a project (ref or name) in karto.yaml "
            f"that sends mail; choose from: {names}"
        )
    senders = frozenset(
        s.address.lower()
        for s in (account.senders.emails if account else [])
        if s.ensure == "present"
    )
    domains = frozenset(
        d.domain.lower()
        for d in (account.senders.domains if account else [])
        if d.ensure == "present"
    )
    return CheckTargets(list(relays.values()), senders, domains)
