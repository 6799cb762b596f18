"""Judging what Supabase holds: the "Supabase SMTP" and "Supabase mail" rows.

Supabase returns `smtp_pass` as HMAC-SHA256(key=ref, msg=password), so a password that
karto-smtp can read (env/file) is compared by digest. A generated one was never kept; the
hand-off record that karto-smtp writes on the SMTP2GO user with every password says which
digest each project should show, so it is compared through that record instead.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from karto_smtp.check import hints
from karto_smtp.check.report import Row

if TYPE_CHECKING:
    from karto_smtp.check.supabase_probe import AuthConfigRead, OtpResult
    from karto_smtp.check.targets import ProjectTarget
    from karto_smtp.secrets import Secret

# What AUTH proved about the declared password, for judging Supabase's copy of it.
AuthOutcome = Literal["accepted", "rejected", "untested"]
# What SMTP2GO's hand-off record says of the digest a project shows.
Handoff = Literal["matches", "differs", "no-record", "unknown"]


def handoff_state(description: object, ref: str, digest: object) -> Handoff:
    """Compare a project's digest with the hand-off record on its SMTP2GO user."""
    from karto_smtp.engine.address import Address
    from karto_smtp.engine.handoff import decode_record, entry_key, token
    from karto_smtp.providers.supabase.fields import AUTH_SMTP, PROVIDER, is_digest

    if not isinstance(description, str):
        return "unknown"
    record = decode_record(description)
    if record is None:
        return "no-record"
    if not is_digest(digest):
        return "unknown"
    expected = record.get(entry_key(Address(PROVIDER, AUTH_SMTP, ref)))
    return "matches" if expected == token(str(digest)) else "differs"


# Values the API has used for "a password is set but not shown".
_MASKED = "****"


def smtp_row(
    project: ProjectTarget,
    read: AuthConfigRead,
    password: Secret | None,
    password_error: str | None,
    auth: AuthOutcome,
    handoff: Handoff = "unknown",
) -> Row:
    from karto_smtp.providers.supabase.fields import password_digest

    def row(status: Literal["pass", "fail", "warn"], detail: str, fix: str | None = None) -> Row:
        return Row("supabase_smtp", project.label, status, read.ms, detail, fix)

    if read.config is None:
        return row(
            "fail",
            f"cannot read the Auth config of {project.ref}: {read.error}",
            read.fix or hints.supabase_no_access(read.status, project.ref),
        )
    live = read.config
    if not live.get("smtp_host"):
        return row(
            "fail",
            "custom SMTP is off: Auth sends with Supabase's built-in mailer (team addresses "
            "only, a few mails an hour)",
            hints.supabase_smtp_off(),
        )
    smtp = project.smtp
    wanted = {
        "smtp_host": smtp.host,
        "smtp_port": None if smtp.port is None else str(smtp.port),
        "smtp_user": smtp.user,
        "smtp_admin_email": smtp.admin_email,
        "smtp_sender_name": smtp.sender_name,
    }
    differs = []
    for name, want in wanted.items():
        have = None if live.get(name) is None else str(live.get(name))
        if want is not None and (have or "").lower() != want.lower():
            differs.append(f"{name} is {have!r}, karto.yaml says {want!r}")
    if differs:
        return row(
            "fail",
            "Supabase's SMTP settings differ: " + "; ".join(differs),
            hints.supabase_differs(),
        )
    if live.get("hook_send_email_enabled"):
        return row(
            "fail", "the Send Email hook is on: Auth does not use SMTP", hints.send_hook_on()
        )

    settings = f"custom SMTP on, {smtp.host}:{smtp.port} as {smtp.user}, from {smtp.admin_email}"
    digest = live.get("smtp_pass")
    if not digest:
        return row(
            "fail", f"{settings}, but no SMTP password is set", hints.supabase_stale_password()
        )
    if smtp.password is None or smtp.password.is_generated:
        user = smtp.relay_user or smtp.user
        if handoff == "matches":
            return row(
                "pass",
                f"{settings}; it holds the password karto-smtp handed over from SMTP2GO user "
                f"{user} (its digest matches the hand-off record)",
            )
        if handoff == "differs":
            return row(
                "fail",
                f"{settings}; it does not hold the current password of SMTP2GO user {user} "
                "(the hand-off record on SMTP2GO names another)",
                hints.handoff_out_of_sync(),
            )
        if handoff == "no-record":
            return row(
                "warn",
                f"{settings}; karto-smtp has not handed this password over (no hand-off record "
                f"on SMTP2GO user {user}), so it cannot be compared",
                hints.handoff_take_over(),
            )
        return row(
            "pass",
            f"{settings}; a generated password is set (not compared: SMTP2GO's hand-off record "
            "was not read; --via-supabase tests it)",
        )
    source = smtp.password.text
    if password is None:
        return row(
            "warn",
            f"{settings}; password not compared: {password_error}",
            hints.password_unresolved(),
        )
    if digest == _MASKED:
        return row(
            "warn",
            f"{settings}; Supabase masks the password, so it cannot be compared",
            hints.supabase_password_masked(),
        )

    expected = password_digest(project.ref, password.reveal())
    if hmac.compare_digest(expected, str(digest)):
        if auth == "rejected":
            return row(
                "fail",
                f"{settings}; Supabase holds the password of {source}, which SMTP2GO rejected "
                "(see auth): its mail fails too",
                hints.supabase_same_rejected_password(source),
            )
        return row("pass", f"{settings}; password matches {source} (HMAC digest)")
    if auth == "accepted":
        return row(
            "fail",
            f"Supabase holds a stale password: it differs from {source}, which SMTP2GO just "
            "accepted (changed in SMTP2GO, or in karto.yaml, since the last apply?)",
            hints.supabase_stale_password(),
        )
    if auth == "rejected":
        return row(
            "fail",
            f"Supabase holds a password other than {source}, and SMTP2GO rejected {source} "
            "(see auth): Supabase's may be the current one",
            hints.supabase_wrong_password(source),
        )
    return row(
        "fail", f"Supabase holds a password other than {source}", hints.supabase_stale_password()
    )


def skipped_smtp_row(project: ProjectTarget, why: str) -> Row:
    return Row.skipped("supabase_smtp", project.label, f"not checked: {why}")


def mail_row(
    project: ProjectTarget,
    address: str | None,
    result: OtpResult | str | None,
    auth_config: Mapping[str, Any] | None = None,
) -> Row:
    """`result`: Auth's answer, why no request was made (str), or None (custom SMTP off).
    `auth_config`: the project's Auth settings, when read, for the subject to look for."""
    subject = project.label
    if address is None:
        return Row.skipped(
            "supabase_mail",
            subject,
            "not asked: --via-supabase ADDRESS has Supabase Auth send a real mail",
        )
    if result is None:
        return Row.skipped(
            "supabase_mail", subject, "skipped: custom SMTP is off, so Auth would not use the relay"
        )
    if isinstance(result, str):
        return Row("supabase_mail", subject, "fail", None, result, hints.anon_key_missing())
    if result.status is None:
        return Row(
            "supabase_mail", subject, "fail", result.ms, result.message, hints.project_url_wrong()
        )
    said = f"Auth answered {result.status}: {result.message}"
    if 200 <= result.status < 300:
        smtp = project.smtp
        sent = f"{said}; it sent a mail to {address} through {smtp.host}:{smtp.port}"
        if auth_config is None:
            return Row(
                "supabase_mail",
                subject,
                "pass",
                result.ms,
                f"{sent}: look for a sign-up or magic-link mail from {smtp.admin_email}",
            )
        from karto_smtp.check.mail_subject import broken_templates, describe, expected_mails

        mails = expected_mails(auth_config)
        detail = f"{sent}: look for {describe(mails)}, from {smtp.admin_email}"
        broken = broken_templates(mails)
        if broken:
            return Row(
                "supabase_mail",
                subject,
                "warn",
                result.ms,
                f"{detail}; " + "; ".join(broken),
                hints.template_falls_back(),
            )
        return Row("supabase_mail", subject, "pass", result.ms, detail)
    return Row(
        "supabase_mail", subject, "fail", result.ms, said, hints.supabase_mail_failed(result.status)
    )
