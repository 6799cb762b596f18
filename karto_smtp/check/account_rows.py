"""The SMTP2GO account's rows: this month's usage against the plan, and the last 30 days'
bounce and spam rates against the thresholds receivers and relays act on.

Thresholds:
  usage    warn at 80, 90 and 95 %, SMTP2GO's own notification steps; fail at 100 %, where
           a free plan's mail is rejected, not queued (support.smtp2go.com, "Quota Usage
           Notifications").
  bounces  warn at 5 %, fail at 10 %: Amazon SES reviews an account at 5 % and may pause
           it at 10 % (docs.aws.amazon.com, SES "Reputation metrics messages"); SMTP2GO
           publishes no threshold of its own.
  spam     warn at 0.1 %, fail at 0.3 %: Gmail asks senders to stay below 0.1 % and never
           reach 0.3 % (support.google.com/mail/answer/81126).
A rate over fewer than MIN_EMAILS emails is shown, not judged: one bounce in three mails
says nothing about a sender.
"""

from __future__ import annotations

from typing import Any

from karto_smtp.check.report import Link, Row

SUBJECT = "SMTP2GO account"
USAGE_STEPS = (95, 90, 80)
BOUNCE_WARN, BOUNCE_FAIL = 5.0, 10.0
SPAM_WARN, SPAM_FAIL = 0.1, 0.3
MIN_EMAILS = 100


def skipped(why: str) -> list[Row]:
    return [Row.skipped(link, SUBJECT, f"skipped: {why}") for link in ("quota", "bounces", "spam")]


def _number(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _percent(data: dict[str, Any], name: str, part: int, whole: int) -> float:
    try:
        return float(data[name])
    except (KeyError, TypeError, ValueError):
        return 100 * part / whole if whole else 0.0


def quota_row(cycle: dict[str, Any] | None, error: str | None) -> Row:
    if cycle is None:
        return Row.skipped("quota", SUBJECT, f"skipped: SMTP2GO did not say: {error}")
    used, limit = _number(cycle, "cycle_used"), _number(cycle, "cycle_max")
    if limit <= 0:
        return Row.skipped("quota", SUBJECT, f"{used} emails this cycle; SMTP2GO shows no limit")
    share = 100 * used / limit
    period = f"{str(cycle.get('cycle_start', ''))[:10]} to {str(cycle.get('cycle_end', ''))[:10]}"
    detail = f"{used} of {limit} emails this cycle ({share:.0f}%, {period})"
    if share >= 100:
        return Row(
            "quota",
            SUBJECT,
            "fail",
            None,
            detail + ": the plan's quota is used up",
            "a free plan's mail is now rejected, not queued: upgrade the plan in SMTP2GO, or "
            "wait for the next cycle",
        )
    step = next((s for s in USAGE_STEPS if share >= s), None)
    if step is not None:
        return Row(
            "quota",
            SUBJECT,
            "warn",
            None,
            detail + f": past {step}%",
            "at 100% a free plan's mail is rejected, not queued: upgrade the plan in SMTP2GO, "
            "or lower rate_limit_email_sent in karto.yaml",
        )
    return Row("quota", SUBJECT, "pass", None, detail)


def _rate_row(
    link: Link,
    counts: str,
    emails: int,
    rate: float,
    warn_at: float,
    fail_at: float,
    source: str,
    fix: str,
) -> Row:
    detail = f"{counts} of {emails} emails in the last 30 days: {rate:.2f}%"
    if emails < MIN_EMAILS:
        return Row(
            link, SUBJECT, "pass", None, detail + f" (under {MIN_EMAILS} emails: not judged)"
        )
    if rate >= fail_at:
        detail += f", at or over {fail_at:g}% ({source})"
        return Row(link, SUBJECT, "fail", None, detail, fix)
    if rate >= warn_at:
        detail += f", at or over {warn_at:g}% ({source})"
        return Row(link, SUBJECT, "warn", None, detail, fix)
    return Row(link, SUBJECT, "pass", None, detail + f", under {warn_at:g}%")


def bounces_row(data: dict[str, Any] | None, error: str | None) -> Row:
    if data is None:
        return Row.skipped("bounces", SUBJECT, f"skipped: SMTP2GO did not say: {error}")
    emails = _number(data, "emails")
    hard, soft = _number(data, "hardbounces"), _number(data, "softbounces")
    rate = _percent(data, "bounce_percent", hard + soft, emails)
    return _rate_row(
        "bounces",
        f"{hard} hard and {soft} soft bounces",
        emails,
        rate,
        BOUNCE_WARN,
        BOUNCE_FAIL,
        "Amazon SES reviews a sender at 5% and may pause it at 10%",
        "find the bouncing addresses in SMTP2GO: Reports > Activity and stop mailing them "
        "(sign-up forms: check addresses before sending)",
    )


def spam_row(data: dict[str, Any] | None, error: str | None) -> Row:
    if data is None:
        return Row.skipped("spam", SUBJECT, f"skipped: SMTP2GO did not say: {error}")
    emails, spams = _number(data, "emails"), _number(data, "spams")
    rate = _percent(data, "spam_percent", spams, emails)
    return _rate_row(
        "spam",
        f"{spams} spam complaints",
        emails,
        rate,
        SPAM_WARN,
        SPAM_FAIL,
        "Gmail asks senders to stay under 0.1% and never reach 0.3%",
        "send only mail users asked for; see which mails were reported in SMTP2GO: Reports > "
        "Activity (event: spam)",
    )
