"""Lint rules: mistakes that a schema cannot see but that break mail delivery.

Each rule yields `LintFinding`s with a code, the `file:line:col` of the offending key and
a one-line fix. The table in docs/config.md explains why each rule exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from karto_smtp.config.api_url import api_url_problem
from karto_smtp.config.findings import LintFinding
from karto_smtp.config.lint_context import LintContext
from karto_smtp.config.lint_deliverability import DELIVERABILITY_RULES
from karto_smtp.config.lint_email import EMAIL_RULES
from karto_smtp.config.messages import suggestion
from karto_smtp.config.model import (
    MAX_FREQUENCY_RANGE,
    RATE_LIMIT_EMAIL_SENT_RANGE,
    SMTP2GO_API_URL_ENV,
    SMTP2GO_API_URLS,
    SMTP2GO_PORTS,
    SMTP2GO_RELAY_HOSTS,
    SUPABASE_API_URL_ENV,
    SUPABASE_DEFAULT_API_URL,
    env_variable_location,
    is_smtp2go_host,
)
from karto_smtp.config.yaml_loader import NodePath
from karto_smtp.secrets import SecretRef, SecretUnavailable

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig

# Looks like an email address (username-is-email); `init` refuses such a username too.
EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
HOURS_PER_MONTH = 24 * 30


def lint(loaded: LoadedConfig, *, require_secrets: bool = True) -> list[LintFinding]:
    """Run every rule; findings sorted by position, karto.yaml's before template files'.

    A setting shared through `supabase.defaults` is checked for every project but
    reported once, at the line where it is written. `require_secrets=False` (validate
    without credentials, e.g. a pre-commit hook) reports a secret whose value is not here
    (unset variable, absent file) as a note, not an error.
    """
    ctx = LintContext(loaded, require_secrets=require_secrets)
    for rule in RULES:
        rule(ctx)
    unique: dict[tuple[str, str, str, str], LintFinding] = {}
    for finding in ctx.findings:
        unique.setdefault(
            (finding.severity, finding.code, finding.location, finding.message), finding
        )

    def order(finding: LintFinding) -> tuple[bool, str, int, int, str]:
        file = finding.location.rsplit(":", 2)[0]
        return (file != loaded.display, file, *finding.sort_key)

    return sorted(unique.values(), key=order)


def _secret_refs(ctx: LintContext) -> Iterator[tuple[SecretRef, NodePath, str]]:
    """Every secret a plan or apply will read: (ref, path, fix for a missing value)."""
    config = ctx.config
    if config.smtp2go is not None:
        ref = config.smtp2go.api_key_ref()
        default = "" if config.smtp2go.api_key else " (the default when api_key is omitted)"
        yield ref, ("smtp2go", "api_key"), default
        for index, user in enumerate(config.smtp2go.smtp_users):
            if user.ensure == "present" and user.password and not user.password.is_generated:
                yield user.password, ("smtp2go", "smtp_users", index, "password"), ""
    if config.supabase is not None:
        ref = config.supabase.access_token_ref()
        default = (
            "" if config.supabase.access_token else " (the default when access_token is omitted)"
        )
        yield ref, ("supabase", "access_token"), default
        for path, _project, smtp, _ in ctx.projects():
            if smtp.enabled and smtp.password is not None:
                yield smtp.password, (*path, "password"), ""


def rule_secrets(ctx: LintContext) -> None:
    """secret-unavailable, secret-whitespace."""
    for ref, path, default_note in _secret_refs(ctx):
        try:
            value = ctx.loaded.resolve_secret(ref).reveal()
        except SecretUnavailable as exc:
            if ref.kind == "env":
                hint = f"export {ref.name}{default_note} before running karto-smtp"
            else:
                hint = "fix the path; file() paths are relative to the config file's folder"
            # A value that lives outside the repository is not a mistake in the file.
            elsewhere = ref.kind == "env" or not ref.file_path(ctx.loaded.base_dir).exists()
            if elsewhere and not ctx.require_secrets:
                ctx.add("note", "secret-unavailable", path, exc.reason, hint)
            else:
                ctx.error("secret-unavailable", path, exc.reason, hint)
            continue
        if value != value.strip():
            ctx.error(
                "secret-whitespace",
                path,
                f"the value of {ref.text} has leading or trailing whitespace",
                "remove it; SMTP2GO and Supabase compare secrets byte for byte",
            )


def rule_env_api_urls(ctx: LintContext) -> None:
    """env-api-url: SMTP2GO_API_URL / SUPABASE_API_URL checked like the file's api_url."""
    config = ctx.config
    checks: list[tuple[str, str, str]] = []
    if config.smtp2go is not None:
        default = SMTP2GO_API_URLS[config.smtp2go.region or "global"]
        checks.append((SMTP2GO_API_URL_ENV, default, "smtp2go.api_url"))
    if config.supabase is not None:
        checks.append((SUPABASE_API_URL_ENV, SUPABASE_DEFAULT_API_URL, "supabase.api_url"))
    for name, example, overridden in checks:
        value = ctx.loaded.environ.get(name)
        problem = api_url_problem(value, example) if value else None
        if problem is not None:
            ctx.findings.append(
                LintFinding(
                    "error",
                    "env-api-url",
                    env_variable_location(name),
                    problem,
                    f"fix or unset {name}, which overrides {overridden}",
                )
            )


def rule_yaml11_booleans(ctx: LintContext) -> None:
    """yaml11-boolean (warning): yes/no/on/off where true/false is meant."""
    for path, written in ctx.loaded.document.yaml11_booleans():
        word = "true" if written.lower() in ("yes", "on") else "false"
        ctx.warning(
            "yaml11-boolean",
            path,
            f"{written} means {word} here (YAML 1.1), but YAML 1.2 tools read it as text",
            f"write {word}",
        )


def rule_username_is_email(ctx: LintContext) -> None:
    """username-is-email."""
    hint = (
        "use the SMTP username from SMTP2GO > Sending > SMTP Users, not an email; "
        'an email here is the usual cause of "535 Authentication failed"'
    )
    if ctx.config.smtp2go is not None:
        for index, user in enumerate(ctx.config.smtp2go.smtp_users):
            if user.ensure == "present" and EMAIL_LIKE.fullmatch(user.username):
                ctx.error(
                    "username-is-email",
                    ("smtp2go", "smtp_users", index, "username"),
                    f"'{user.username}' looks like an email address",
                    hint,
                )
    for path, _project, smtp, _ in ctx.projects():
        if (
            smtp.enabled
            and smtp.relay is None
            and smtp.user
            and is_smtp2go_host(smtp.host)
            and EMAIL_LIKE.fullmatch(smtp.user)
        ):
            ctx.error(
                "username-is-email",
                (*path, "user"),
                f"'{smtp.user}' looks like an email address",
                hint,
            )


def rule_smtp2go_relay(ctx: LintContext) -> None:
    """smtp2go-host, smtp2go-port."""
    hosts = ", ".join(sorted(SMTP2GO_RELAY_HOSTS))
    ports = "587, 2525, 8025, 25 or 80 (STARTTLS), 465, 8465 or 443 (TLS)"
    for path, _project, smtp, effective in ctx.projects():
        if not smtp.enabled or not effective.via_smtp2go:
            continue
        base = (*path, "relay") if smtp.relay is not None else path
        host = effective.host
        if host is not None and host.lower().rstrip(".") not in SMTP2GO_RELAY_HOSTS:
            ctx.error(
                "smtp2go-host",
                (*base, "host"),
                f"'{host}' is not an SMTP2GO relay host",
                f"use one of {hosts}",
            )
        if effective.port is not None and effective.port not in SMTP2GO_PORTS:
            ctx.error(
                "smtp2go-port",
                (*base, "port"),
                f"SMTP2GO does not serve port {effective.port}",
                f"use {ports}",
            )


def _covered(address: str, emails: set[str], domains: set[str]) -> bool:
    address = address.lower()
    if address in emails:
        return True
    domain = address.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in domains)


def rule_sender_verified(ctx: LintContext) -> None:
    """sender-not-declared."""
    account = ctx.config.smtp2go
    if account is None:
        # Senders of an account this file does not manage cannot be checked offline.
        return
    emails = {s.address.lower() for s in account.senders.emails if s.ensure == "present"}
    domains = {d.domain.lower() for d in account.senders.domains if d.ensure == "present"}
    for path, _project, _smtp, effective in ctx.projects():
        if not effective.enabled or not effective.via_smtp2go or not effective.admin_email:
            continue
        if not _covered(effective.admin_email, emails, domains):
            domain = effective.admin_email.rpartition("@")[2]
            ctx.error(
                "sender-not-declared",
                (*path, "admin_email"),
                f"sender {effective.admin_email} is not a declared SMTP2GO sender; SMTP2GO "
                'refuses its mail with "550 From header sender domain not verified"',
                f"add it under smtp2go.senders.emails, or {domain} under smtp2go.senders.domains",
            )


def rule_quota(ctx: LintContext) -> None:
    """rate-limit-exceeds-quota (warning)."""
    account = ctx.config.smtp2go
    if account is None:
        return
    contributors = [
        (path, project, effective.rate_limit_email_sent)
        for path, project, _smtp, effective in ctx.projects()
        if effective.enabled and effective.via_smtp2go and effective.rate_limit_email_sent
    ]
    if not contributors:
        return
    hourly = sum(rate for _, _, rate in contributors)
    monthly = hourly * HOURS_PER_MONTH
    quota = account.plan.monthly_quota
    if monthly <= quota:
        return
    parts = ", ".join(f"{p.name}: {rate}/hour" for _, p, rate in contributors)
    most = max(contributors, key=lambda c: c[2])
    allowed = quota // HOURS_PER_MONTH
    if allowed >= 1:
        lower = f"lower rate_limit_email_sent to {allowed}/hour in total"
    else:
        lower = f"a quota under {HOURS_PER_MONTH} allows less than 1/hour"
    ctx.warning(
        "rate-limit-exceeds-quota",
        (*most[0], "rate_limit_email_sent"),
        f"Supabase may send up to {monthly} emails a month through SMTP2GO "
        f"({parts}; {hourly} * 24 * 30 = {monthly}), more than the "
        f"{account.plan.name} plan's {quota} a month",
        f"{lower}, or set smtp2go.plan to your plan and its monthly_quota",
    )


def rule_ranges(ctx: LintContext) -> None:
    """out-of-range."""
    checks = (
        ("max_frequency", MAX_FREQUENCY_RANGE, "seconds between emails to one user"),
        ("rate_limit_email_sent", RATE_LIMIT_EMAIL_SENT_RANGE, "emails per hour"),
    )
    for path, _project, smtp, _ in ctx.projects():
        for name, bounds, unit in checks:
            ctx.check_range((*path, name), getattr(smtp, name), bounds, unit)


def rule_duplicates(ctx: LintContext) -> None:
    """duplicate-username, duplicate-sender, duplicate-ref."""
    account = ctx.config.smtp2go
    if account is not None:
        _unique(
            ctx,
            "duplicate-username",
            "SMTP user",
            [
                (("smtp2go", "smtp_users", i, "username"), u.username)
                for i, u in enumerate(account.smtp_users)
            ],
        )
        _unique(
            ctx,
            "duplicate-sender",
            "sender",
            [
                (("smtp2go", "senders", "emails", i, "address"), s.address)
                for i, s in enumerate(account.senders.emails)
            ],
        )
        _unique(
            ctx,
            "duplicate-sender",
            "sender domain",
            [
                (("smtp2go", "senders", "domains", i, "domain"), d.domain)
                for i, d in enumerate(account.senders.domains)
            ],
        )
    if ctx.config.supabase is not None:
        _unique(
            ctx,
            "duplicate-ref",
            "project ref",
            [
                (("supabase", "projects", i, "ref"), p.ref)
                for i, p in enumerate(ctx.config.supabase.projects)
            ],
        )


def _unique(ctx: LintContext, code: str, what: str, items: list[tuple[NodePath, str]]) -> None:
    first: dict[str, NodePath] = {}
    for path, value in items:
        key = value.lower()
        if key in first:
            ctx.error(
                code,
                path,
                f"duplicate {what} '{value}' (first at {ctx.loaded.locate(first[key])})",
                "declare each once; merge the two entries",
            )
        else:
            first[key] = path


def rule_relay(ctx: LintContext) -> None:
    """relay-conflict, relay-unknown-user, relay-user-absent, relay-no-password, smtp-incomplete."""
    for path, _project, smtp, _ in ctx.projects():
        if smtp.relay is not None:
            explicit = [
                k for k in ("host", "port", "user", "password") if getattr(smtp, k) is not None
            ]
            if explicit:
                ctx.error(
                    "relay-conflict",
                    (*path, explicit[0]),
                    f"relay cannot be combined with {', '.join(explicit)}",
                    f"remove {', '.join(explicit)} (the relay's SMTP2GO user supplies them), "
                    "or remove relay",
                )
            if smtp.enabled:
                _check_relay_user(ctx, (*path, "relay", "smtp2go_user"), smtp.relay.smtp2go_user)
        elif smtp.enabled:
            missing = [k for k in ("host", "port", "user", "password") if getattr(smtp, k) is None]
            if missing:
                ctx.error(
                    "smtp-incomplete",
                    path,
                    "enabled SMTP needs host, port, user and password; "
                    f"missing: {', '.join(missing)}",
                    "add them, or write relay: {smtp2go_user: NAME} to use a declared SMTP2GO user",
                )
        if smtp.enabled and smtp.admin_email is None:
            ctx.error(
                "smtp-incomplete",
                path,
                "enabled SMTP needs admin_email (the From address)",
                "add admin_email: a verified sender address",
            )


def _check_relay_user(ctx: LintContext, path: NodePath, username: str) -> None:
    account = ctx.config.smtp2go
    users = account.smtp_users if account is not None else []
    user = account.user(username) if account is not None else None
    if user is None:
        names = [u.username for u in users]
        close = suggestion(username, names)
        if close:
            hint = f"did you mean '{close}'?"
        elif names:
            hint = f"declare it under smtp2go.smtp_users (declared: {', '.join(names)})"
        else:
            hint = "declare it under smtp2go.smtp_users"
        ctx.error("relay-unknown-user", path, f"SMTP2GO user '{username}' is not declared", hint)
    elif user.ensure == "absent":
        ctx.error(
            "relay-user-absent",
            path,
            f"SMTP2GO user '{username}' is declared with ensure: absent",
            "relay through a present user, or keep this one (ensure: present)",
        )
    elif user.password is None:
        index = users.index(user)
        ctx.error(
            "relay-no-password",
            path,
            f"SMTP2GO user '{username}' has no password, and Supabase needs it",
            f"add password: generate (or env(NAME)) to smtp2go.smtp_users[{index}]",
        )


RULES = (
    rule_env_api_urls,
    rule_yaml11_booleans,
    rule_secrets,
    rule_username_is_email,
    rule_smtp2go_relay,
    rule_sender_verified,
    rule_quota,
    rule_ranges,
    rule_duplicates,
    rule_relay,
    *DELIVERABILITY_RULES,
    *EMAIL_RULES,
)
