"""The fix text of every red row, in one place so wording stays consistent and testable."""

from __future__ import annotations

import re

ROTATE = "`karto-smtp apply --rotate-password {user}`"
APPLY = "`karto-smtp apply`"
SMTP_USERS_PAGE = "SMTP2GO: Sending > SMTP Users"
SENDERS_PAGE = "SMTP2GO: Sending > Verified Senders"
SMTP2GO_HOSTS = "mail.smtp2go.com, mail-us/-eu/-eu2/-au.smtp2go.com"

_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def looks_like_email(value: str) -> bool:
    return bool(_EMAIL_RE.fullmatch(value))


# -- reach -------------------------------------------------------------------------------
def port_blocked(port: int, working: list[int], setting: str) -> str:
    if not working:
        return (
            f"no SMTP2GO port answers from here (port {port} and every alternative): check the "
            "relay host name and this network's outbound firewall"
        )
    others = f" (also open: {', '.join(map(str, working[1:]))})" if len(working) > 1 else ""
    return (
        f"port {port} is blocked from here; {working[0]} works: set {setting}: {working[0]}{others}"
    )


def host_unreachable(host: str, port: int) -> str:
    return f"{host}:{port} does not answer from here: check host, port and the outbound firewall"


def host_unknown(host: str) -> str:
    return f"cannot resolve {host}: check the host name (SMTP2GO's relays: {SMTP2GO_HOSTS})"


# -- TLS ---------------------------------------------------------------------------------
def certificate_untrusted(host: str) -> str:
    return (
        f"the certificate does not verify for {host}: check the host name ({SMTP2GO_HOSTS}); "
        "behind a TLS-inspecting proxy, put its CA in KARTO_SMTP_CA_FILE"
    )


def no_starttls(port: int) -> str:
    return (
        f"port {port} offers no STARTTLS here (a middlebox may strip it): use 2525 or 587 "
        "(STARTTLS) or 465 (implicit TLS)"
    )


def tls_handshake(port: int, implicit: bool) -> str:
    expected = "implicit TLS (465, 8465, 443)" if implicit else "STARTTLS (587, 2525, 8025, 25, 80)"
    return f"port {port} is used with {expected}: check that host and port belong together"


def not_smtp(host: str, port: int) -> str:
    return f"{host}:{port} did not speak SMTP: check host and port"


# -- AUTH --------------------------------------------------------------------------------
def auth_failed(user: str, password_ref: str, whitespace: bool, declared_user: bool) -> str:
    if looks_like_email(user):
        return (
            f"the SMTP user '{user}' looks like an email address: SMTP2GO logs in with an SMTP "
            f"user's username ({SMTP_USERS_PAGE}), not your account email or a sender address; "
            "declare that username"
        )
    if whitespace:
        return (
            f"the password in {password_ref} starts or ends with whitespace (a paste accident?): "
            "remove it; SMTP2GO compares passwords byte for byte"
        )
    fix = (
        "535 means a wrong SMTP user or password. The usual causes: an email address used as "
        "the SMTP user instead of the SMTP2GO username, or whitespace pasted into / a truncated "
        f"copy of the password in {password_ref}."
    )
    if declared_user:
        fix += (
            f" If {password_ref} is right, {ROTATE.format(user=user)} sets it on SMTP2GO (and "
            f"Supabase) again; if it was changed in SMTP2GO on purpose, put the new one in "
            f"{password_ref} and run {APPLY}"
        )
    return fix


def user_blocked(user: str, declared_status: str | None) -> str:
    if declared_status == "blocked":
        return (
            f"karto.yaml declares status: blocked for {user}: set status: allowed and run {APPLY}"
        )
    if declared_status is not None:
        return (
            f"{user} was blocked outside karto.yaml, which says status: {declared_status}: "
            f"{APPLY} restores it"
        )
    return f"unblock {user} in {SMTP_USERS_PAGE}, or declare status: allowed for it and run {APPLY}"


def user_sandboxed(user: str) -> str:
    return (
        f"{user} has status: sandbox: SMTP2GO accepts its mail and never delivers it; "
        f"set status: allowed and run {APPLY}"
    )


def password_unresolved() -> str:
    return "make the password available to this run (the message names the variable or file)"


# -- sender ------------------------------------------------------------------------------
def sender_unverified(address: str, declared: bool) -> str:
    if declared:
        return (
            f"{address} is declared under smtp2go.senders but not verified yet: click the link "
            f"SMTP2GO emailed to it ({SENDERS_PAGE} resends it)"
        )
    return (
        f"verify {address} in SMTP2GO: Sending > Verified Senders, or declare it under "
        f"smtp2go.senders and apply"
    )


def domain_unverified(address: str, domain: str) -> str:
    return (
        f"{address} sends as sender domain {domain}, which SMTP2GO has not verified: publish "
        f"its DNS records (`karto-smtp dns` prints them), then {APPLY} asks SMTP2GO to check "
        "them"
    )


def smtp_refused(code: int) -> str:
    if 400 <= code < 500:
        return (
            "a temporary refusal: run check again; if it persists, see SMTP2GO: Reports > Activity"
        )
    return "the relay refused it for the reason in its reply; SMTP2GO: Reports > Activity has more"


def session_broken() -> str:
    return (
        "the relay dropped the session: run check again, with a larger --step-timeout if it "
        "timed out"
    )


# -- Supabase ----------------------------------------------------------------------------
def supabase_smtp_off() -> str:
    return f"{APPLY} turns custom SMTP on with karto.yaml's settings"


def supabase_differs() -> str:
    return f"{APPLY} sets karto.yaml's values (`karto-smtp plan` shows the change first)"


def supabase_password_masked() -> str:
    return (
        "this API version masks smtp_pass, so only --via-supabase can test the password "
        "Supabase holds"
    )


def supabase_stale_password() -> str:
    return f"{APPLY} sends the current password to Supabase"


def supabase_wrong_password(password_ref: str) -> str:
    return f"put the SMTP2GO user's current password in {password_ref}, then run {APPLY}"


def supabase_same_rejected_password(password_ref: str) -> str:
    return f"fix the password in {password_ref} (see the auth row), then run {APPLY}"


def supabase_no_access(status: int | None, ref: str) -> str:
    if status in (401, 403):
        return (
            f"the Supabase access token cannot read project {ref}: use a personal access token "
            "(sbp_...) of a member of its organization"
        )
    if status == 404:
        return f"no project {ref} for this token: check the ref in karto.yaml"
    return "check SUPABASE_API_URL and the network, then run check again"


def send_hook_on() -> str:
    return (
        "Auth > Hooks > Send Email is on, so Supabase does not use SMTP at all: turn the hook "
        "off if the relay should send"
    )


def anon_key_missing() -> str:
    return "set SUPABASE_ANON_KEY to the project's anon key, or SUPABASE_ACCESS_TOKEN to fetch it"


def project_url_wrong() -> str:
    return "check SUPABASE_PROJECT_URL (the project URL with {ref} for the project ref)"


def supabase_mail_failed(status: int) -> str:
    if status == 429:
        return (
            "Auth's rate limits stopped the mail (smtp_max_frequency per user, "
            "rate_limit_email_sent per hour): wait, or raise them in karto.yaml and apply"
        )
    if status == 401:
        return "the anon key was refused: check SUPABASE_ANON_KEY (or unset it to fetch the key)"
    if status == 400:
        return f"custom SMTP must be on for mail to arbitrary addresses: {APPLY}"
    if status >= 500:
        return (
            "Auth could not send through its SMTP settings (fix the red rows above), or the "
            "email's template failed to run (`karto-smtp validate` checks the ones karto.yaml "
            "declares); the exact error is in the dashboard under Logs > Auth"
        )
    return "see Auth's message; the dashboard's Logs > Auth has the details"


def template_falls_back() -> str:
    return (
        "fix the template: `karto-smtp validate` shows the line when karto.yaml declares it, "
        "`karto-smtp plan` whether Supabase holds another one; then `karto-smtp apply`"
    )


def handoff_out_of_sync() -> str:
    return (
        "run `karto-smtp plan`: it proposes one new password for SMTP2GO and every project "
        "that relays through the user; `karto-smtp apply` sets it"
    )


def handoff_take_over() -> str:
    return (
        "run `karto-smtp apply`: the first apply takes the setup over and sets one new password "
        "on both sides; `karto-smtp check --via-supabase` tests the current one meanwhile"
    )
