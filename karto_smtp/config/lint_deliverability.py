"""Lint rules for mail that should land in the inbox: the From domain and what the relay
does to auth mail. Warnings (errors with `validate --strict`); the table in docs/config.md
says where each comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from karto_smtp.config.free_mail import free_mail_domain

if TYPE_CHECKING:
    from karto_smtp.config.lint_context import LintContext


def rule_from_free_mailbox(ctx: LintContext) -> None:
    """from-free-mailbox (warning)."""
    for path, _project, _smtp, effective in ctx.projects():
        sender = effective.admin_email
        if not effective.enabled or not effective.via_smtp2go or not sender:
            continue
        domain = free_mail_domain(sender)
        if domain is None:
            continue
        ctx.warning(
            "from-free-mailbox",
            (*path, "admin_email"),
            f"{sender} is a free mailbox at {domain}: SMTP2GO cannot sign mail as {domain}, so "
            f"it cannot pass DMARC alignment (RFC 7489 section 3.1) and receivers that enforce "
            f"{domain}'s policy put it in spam or refuse it",
            "send from a domain you own: declare it under smtp2go.senders.domains, publish "
            "its records (`karto-smtp dns`) and set admin_email to an address there",
        )


def _auth_relays(ctx: LintContext) -> dict[str, list[str]]:
    """SMTP2GO username -> names of the projects whose Auth mail it relays."""
    found: dict[str, list[str]] = {}
    for _path, project, _smtp, effective in ctx.projects():
        if not effective.enabled or not effective.via_smtp2go:
            continue
        username = effective.relay_user or effective.user
        if username:
            found.setdefault(username, []).append(project.name)
    return found


def rule_auth_mail_hygiene(ctx: LintContext) -> None:
    """tracking-rewrites-auth-links, feedback-footer-on-auth-mail (warnings)."""
    account = ctx.config.smtp2go
    if account is None:
        return
    relays = _auth_relays(ctx)
    for index, user in enumerate(account.smtp_users):
        projects = relays.get(user.username)
        if user.ensure != "present" or not projects:
            continue
        who = f"SMTP user {user.username} relays Supabase Auth mail ({', '.join(projects)})"
        base = ("smtp2go", "smtp_users", index)
        if user.click_tracking_enabled:
            ctx.warning(
                "tracking-rewrites-auth-links",
                (*base, "click_tracking_enabled"),
                f"{who}, and click tracking rewrites every link in it: the confirmation and "
                "magic links then go through SMTP2GO's tracking domain instead of reaching "
                "the user intact",
                "set click_tracking_enabled: false (Supabase's docs ask to turn email "
                "tracking off for auth mail)",
            )
        if user.open_tracking_enabled:
            ctx.warning(
                "tracking-rewrites-auth-links",
                (*base, "open_tracking_enabled"),
                f"{who}, and open tracking rewrites its HTML to add a tracking image",
                "set open_tracking_enabled: false (Supabase's docs ask to turn email tracking "
                "off for auth mail)",
            )
        if user.feedback_enabled:
            ctx.warning(
                "feedback-footer-on-auth-mail",
                (*base, "feedback_enabled"),
                f"{who}, and feedback_enabled adds an unsubscribe footer to it: sign-up and "
                "password mail then looks like bulk mail and scores higher as spam",
                "set feedback_enabled: false for the SMTP user that relays auth mail",
            )


DELIVERABILITY_RULES = (rule_from_free_mailbox, rule_auth_mail_hygiene)
