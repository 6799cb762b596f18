"""Live state -> a karto.yaml that declares it, so that the first plan changes nothing.

The rules (each one keeps plan's comparison equal to what is live):
- A field is declared only when the service holds a value for it; an empty or missing
  value stays undeclared, which means "not managed".
- A project's SMTP block becomes `relay:` when its host is an SMTP2GO relay host and its
  user is an SMTP user on the account; otherwise host/port/user stay explicit and the
  password is an `env()` reference.
- Passwords cannot be read back from either service, so the file says who owns them:
  `password: generate` (or the `env()` a user named) on every SMTP user a project relays
  through, with a comment on how the first apply takes the hand-off over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from karto_smtp.authoring.email_import import EMAIL_COMMENTS, SHARED_COMMENTS, import_email
from karto_smtp.authoring.live import LiveProject, Snapshot
from karto_smtp.authoring.yaml_text import Block, Flow, Items, Key
from karto_smtp.config.model import (
    SMTP2GO_PORTS,
    SMTP2GO_RELAY_BY_REGION,
    SMTP2GO_RELAY_HOSTS,
    RateLimit,
)
from karto_smtp.errors import ConfigError
from karto_smtp.secrets import ENV_NAME_RE
from karto_smtp.wording import counted

DEFAULT_RELAY_HOST = SMTP2GO_RELAY_BY_REGION["global"]

# karto.yaml name -> SMTP2GO `view` name, for settings copied as they are.
USER_SETTINGS = (
    ("status", "status"),
    ("open_tracking_enabled", "open_tracking_enabled"),
    ("click_tracking_enabled", "click_tracking_enabled"),
    ("archive_enabled", "archive_enabled"),
    ("audit_email", "audit_email"),
    ("bounce_notifications", "bounce_notifications"),
    ("feedback_enabled", "feedback_enabled"),
    ("feedback_html", "feedback_html"),
    ("feedback_text", "feedback_text"),
    ("ip_pool", "ippool"),
)
_UNITS = (("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600))


@dataclass
class Selection:
    """What the user asked to import."""

    everything: bool = False
    refs: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    # KEY (SMTP user, project ref or name; "" for "the only one") -> environment variable
    password_env: dict[str, str] = field(default_factory=dict)
    # Templates written inline (printing to stdout: no folder for template files).
    inline_templates: bool = False


@dataclass
class Imported:
    """The document, and what it declares (for the summary line and the hand-off hint)."""

    document: Block
    users: list[str] = field(default_factory=list)
    handed_off: list[str] = field(default_factory=list)
    senders: int = 0
    domains: int = 0
    projects: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Template files to write beside karto.yaml: path relative to it -> text.
    files: dict[str, str] = field(default_factory=dict)


def parse_password_env(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--password-env NAME` or `--password-env KEY=NAME`, checked before any call."""
    result: dict[str, str] = {}
    for value in values:
        key, sep, name = value.rpartition("=")
        if not ENV_NAME_RE.fullmatch(name):
            raise ConfigError(
                f"--password-env {value}: '{name}' is not an environment variable name "
                "(letters, digits and _, not starting with a digit)"
            )
        key = key if sep else ""
        if key in result:
            what = f"'{key}'" if key else "a bare NAME"
            raise ConfigError(f"--password-env names {what} twice")
        result[key] = name
    return result


def relays_through_smtp2go(project: LiveProject) -> bool:
    host = (project.auth or {}).get("smtp_host")
    return isinstance(host, str) and _relay_host(host)


def _relay_host(host: str) -> bool:
    return host.lower().rstrip(".") in SMTP2GO_RELAY_HOSTS


def _port(value: Any) -> int | None:
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def period_text(text: str) -> str:
    """The live rate-limit period in a form karto.yaml accepts, meaning the same seconds."""
    from karto_smtp.providers.smtp2go.fields import period_seconds

    try:
        return RateLimit(value=1, period=text.strip()).period
    except ValidationError:
        pass
    seconds = period_seconds(text)
    if not isinstance(seconds, int) or seconds <= 0:
        return text  # unknown syntax: validate says which line to fix
    for unit, size in _UNITS:
        if seconds % size == 0:
            count = seconds // size
            return counted(count, unit)
    hours, rest = divmod(seconds, 3600)
    days, hours = divmod(hours, 24)
    clock = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{counted(days, 'day')} {clock}" if days else clock


def _env_name(label: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_").upper()
    if not name or name[0].isdigit():
        name = f"PROJECT_{name}"
    return f"{name}_SMTP_PASSWORD"


class _Importer:
    def __init__(self, snapshot: Snapshot, selection: Selection) -> None:
        self.snapshot = snapshot
        self.selection = selection
        self.users = {str(u.get("username")): u for u in snapshot.users}
        # --all declares the projects that send through custom SMTP; declaring "SMTP off"
        # for every other project of the organisation would make karto-smtp guard them too.
        self.projects = [
            p
            for p in snapshot.projects
            if p.ref in selection.refs or (p.auth or {}).get("smtp_host")
        ]
        self.result = Imported(document=Block())
        self.used_keys: set[str] = set()
        # SMTP users that an imported project relays through.
        self.relayed = {u for p in self.projects if (u := self.relay_user(p))}
        own = [p for p in self.projects if self.needs_own_password(p)]
        # A bare --password-env NAME is only unambiguous when one password needs a name.
        self.one_password = len(self.relayed) + len(own) == 1
        self.email = import_email(self.projects, selection.inline_templates)
        self.result.files = self.email.files

    # -- selection -----------------------------------------------------------------
    def relay_user(self, project: LiveProject) -> str | None:
        auth = project.auth or {}
        user, port = auth.get("smtp_user"), _port(auth.get("smtp_port"))
        if relays_through_smtp2go(project) and user in self.users and port in SMTP2GO_PORTS:
            return str(user)
        return None

    def chosen_users(self) -> list[str]:
        missing = [u for u in self.selection.usernames if u not in self.users]
        if missing and self.snapshot.smtp2go_read:
            found = ", ".join(sorted(self.users)) or "none"
            raise ConfigError(
                f"--smtp-user {missing[0]}: no such SMTP user on this SMTP2GO account "
                f"(found: {found})"
            )
        if self.selection.everything:
            return list(self.users)
        wanted = set(self.selection.usernames) | self.relayed
        return [u for u in self.users if u in wanted]

    def password_env_for(self, *keys: str) -> str | None:
        table = self.selection.password_env
        for key in keys:
            if key in table:
                self.used_keys.add(key)
                return table[key]
        if self.one_password and "" in table:
            self.used_keys.add("")
            return table[""]
        return None

    # -- the document ----------------------------------------------------------------
    def build(self) -> Imported:
        self.result.notes = [
            f"Skipped project {p.name} ({p.ref}): custom SMTP is off; "
            f"import it with --project {p.ref} to manage it"
            for p in self.snapshot.projects
            if p not in self.projects
        ]
        document = self.result.document
        document.add("version", 1)
        if self.snapshot.smtp2go_read:
            document.add(
                "smtp2go",
                self.smtp2go_block(),
                comments=[
                    "API key: env(SMTP2GO_API_KEY) unless api_key says otherwise. plan needs",
                    "only the view endpoints; apply also needs add/edit (docs/credentials.md).",
                ],
            )
        if self.projects:
            document.add(
                "supabase",
                self.supabase_block(),
                comments=["Access token: env(SUPABASE_ACCESS_TOKEN) unless access_token says so."],
            )
        unused = set(self.selection.password_env) - self.used_keys
        if unused:
            key = sorted(unused)[0]
            shown = f"{key}=" if key else ""
            raise ConfigError(
                f"--password-env {shown}{self.selection.password_env[key]}: "
                + (
                    f"'{key}' is neither an imported SMTP user relayed to nor a project with "
                    "its own SMTP password"
                    if key
                    else "a bare NAME needs exactly one password to name; write KEY=NAME "
                    "(an SMTP user, or a project's ref or name)"
                )
            )
        return self.result

    def smtp2go_block(self) -> Block:
        account = Block()
        account.add(
            "plan",
            Flow({"name": "free", "monthly_quota": 1000}),
            comments=[
                "import cannot read your SMTP2GO plan: set its name and monthly quota",
                "(SMTP2GO app > Account > Billing); lint warns when Supabase may send more.",
            ],
        )
        senders = Block()
        emails = Items()
        for sender in self.snapshot.senders:
            address = str(sender.get("email_address", ""))
            item = Block()
            item.add(
                "address",
                address,
                note=None if sender.get("verified") else "not verified yet: plan says so",
            )
            emails.items.append(item)
        domains = Items()
        for entry in self.snapshot.domains:
            domains.items.append(self.domain_item(entry))
        self.result.senders = len(emails.items)
        self.result.domains = len(domains.items)
        senders.add("emails", emails)
        senders.add("domains", domains)
        account.add("senders", senders)
        chosen = self.chosen_users()
        users = Items([self.user_item(self.users[name], name in self.relayed) for name in chosen])
        self.result.users = chosen
        account.add("smtp_users", users)
        return account

    def domain_item(self, entry: Mapping[str, Any]) -> Block:
        domain = entry.get("domain") or {}
        item = Block()
        item.add("domain", str(domain.get("fulldomain", "")))
        trackers = [t for t in entry.get("trackers") or [] if isinstance(t, dict)]
        tracking = next((t.get("subdomain") for t in trackers if t.get("subdomain")), None)
        returnpath = domain.get("rpath_selector")
        comments = ["used only if SMTP2GO has to create the domain again"]
        for name, value in (("tracking_subdomain", tracking), ("returnpath_subdomain", returnpath)):
            if value:
                item.add(name, str(value), comments=comments)
                comments = []
        return item

    def user_item(self, user: Mapping[str, Any], relayed: bool) -> Block:
        name = str(user.get("username"))
        item = Block()
        item.add("username", name)
        description = user.get("description")
        if isinstance(description, str) and description:
            item.add("description", description)
        for yaml_name, api_name in USER_SETTINGS:
            value = user.get(api_name)
            if value is None or value == "":
                continue
            item.add(yaml_name, value)
        if user.get("custom_ratelimit") and user.get("custom_ratelimit_value"):
            item.add(
                "rate_limit",
                Flow(
                    {
                        "value": int(user["custom_ratelimit_value"]),
                        "period": period_text(str(user.get("custom_ratelimit_period") or "")),
                    }
                ),
            )
        if relayed:
            env = self.password_env_for(name)
            value = f"env({env})" if env else "generate"
            if env is None:
                self.result.handed_off.append(name)
            item.add("password", value, comments=self.password_comment(name, env))
        else:
            item.keys[0].note = "no imported project relays through it: password not managed"
        return item

    @staticmethod
    def password_comment(username: str, env: str | None) -> list[str]:
        if env:
            return [
                "Neither service gives a password back. With the current password in",
                f"{env}, the first apply sets it once more on SMTP2GO (its take-over) and",
                "leaves the projects that already hold it; with a new one, apply sets it on",
                "SMTP2GO and on every project that relays through this user, in one go.",
            ]
        return [
            "Neither service gives a password back, so karto-smtp takes it over: the first",
            "`karto-smtp apply` sets one new password on SMTP2GO and on every project that",
            f"relays through {username}, once. Nobody sees it; mail keeps flowing with the",
            "old one until then.",
        ]

    def supabase_block(self) -> Block:
        block = Block()
        if self.email.shared is not None:
            defaults = Block()
            defaults.add("auth", Block([Key("email", self.email.shared, EMAIL_COMMENTS)]))
            block.add("defaults", defaults, comments=SHARED_COMMENTS)
        projects = Items()
        for project in self.projects:
            projects.items.append(self.project_item(project))
            self.result.projects.append(project.name)
        block.add("projects", projects)
        return block

    def needs_own_password(self, project: LiveProject) -> bool:
        auth = project.auth or {}
        return bool(auth.get("smtp_host")) and self.relay_user(project) is None

    def project_item(self, project: LiveProject) -> Block:
        item = Block()
        item.add("ref", project.ref)
        item.add("name", project.name)
        auth = project.auth or {}
        smtp = Block()
        host = auth.get("smtp_host")
        if not host:
            smtp.add(
                "enabled",
                False,
                note="custom SMTP is off: Supabase's own mailer sends (a few mails an hour)",
            )
        else:
            relay = self.relay_user(project)
            port = _port(auth.get("smtp_port"))
            if relay is not None:
                values: dict[str, Any] = {"smtp2go_user": relay, "port": port}
                if host != DEFAULT_RELAY_HOST:
                    values["host"] = host
                smtp.add("relay", Flow(values), note=f"host, user and password from {relay}")
            else:
                self.explicit_smtp(smtp, project, host, port)
            for yaml_name, api_name in (
                ("admin_email", "smtp_admin_email"),
                ("sender_name", "smtp_sender_name"),
                ("max_frequency", "smtp_max_frequency"),
                ("rate_limit_email_sent", "rate_limit_email_sent"),
            ):
                value = auth.get(api_name)
                if value is not None and value != "":
                    smtp.add(yaml_name, value)
        auth_block = Block([Key("smtp", smtp)])
        email = self.email.email.get(project.ref)
        if email is not None:
            auth_block.add("email", email, comments=EMAIL_COMMENTS)
        links = self.email.links.get(project.ref)
        if links is not None:
            auth_block.add("links", links)
        item.add("auth", auth_block)
        return item

    def explicit_smtp(self, smtp: Block, project: LiveProject, host: str, port: int | None) -> None:
        auth = project.auth or {}
        reason = (
            f"user {auth.get('smtp_user')!s} is not an SMTP user on this SMTP2GO account"
            if _relay_host(host)
            else "not an SMTP2GO relay"
        )
        smtp.add("host", host, comments=[f"{reason}: host, port, user and password stay explicit"])
        if port is not None:
            smtp.add("port", port)
        user = auth.get("smtp_user")
        if user:
            smtp.add("user", str(user))
        env = self.password_env_for(project.ref, project.name) or _env_name(project.name)
        smtp.add(
            "password",
            f"env({env})",
            comments=[
                "Supabase keeps only a digest of the password: export the current one as",
                f"{env} and plan compares it; a new one is set by apply.",
            ],
        )


def build_document(snapshot: Snapshot, selection: Selection) -> Imported:
    """The karto.yaml document for `snapshot`; raises ConfigError for a selection that
    names nothing live (an unknown --smtp-user, an unused --password-env)."""
    return _Importer(snapshot, selection).build()


HEADER = [
    "yaml-language-server: $schema=karto.schema.json",
    "(editor completion: karto-smtp schema > karto.schema.json)",
    "",
    "Written by `karto-smtp import` from what SMTP2GO and Supabase held. The first",
    "`karto-smtp plan` against this file changes no setting. What import cannot know:",
    "- passwords: neither service returns them; each one below says who owns it now;",
    "- your SMTP2GO plan and quota: smtp2go.plan is the free plan until you change it;",
    "- empty settings (no sender name, no description): left out, so not managed;",
    "- other Supabase Auth settings and SMTP users not listed: never touched.",
    "See docs/adopting.md.",
]
