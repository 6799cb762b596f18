"""Proof of delivery: what SMTP2GO's activity says became of the mail `check` sent.

The relay's 250 proves only that SMTP2GO took the message. After `--send-test-to` (the
email id from SMTP2GO's reply, when it names one) or `--via-supabase` (the newest mail to
that address from the project's SMTP user since the check began), `/activity/search` is
polled until the message has a final event or `--wait-delivery` runs out. One search per
round covers every message: SMTP2GO allows 60 a minute.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from karto_smtp.check.report import Row, Status

POLL_SECONDS = 2.0
_EMAIL_ID = re.compile(r"\bid=(\S+)")
FINAL = ("delivered", "hard-bounced", "rejected", "soft-bounced")


def email_id(reply: str) -> str | None:
    """SMTP2GO's email id in a 250 reply (`250 OK id=...`), or None."""
    found = _EMAIL_ID.search(reply)
    return found.group(1) if found else None


@dataclass
class Sent:
    """One message this check sent: how to find it in the activity."""

    what: str  # "the test message", "Supabase's mail"
    recipient: str
    since: dt.datetime
    email_id: str | None = None
    username: str | None = None


def _search_body(sent: Sent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "start_date": (sent.since - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "search_recipient": sent.recipient,
        "limit": 100,
    }
    if sent.email_id:
        body["search_email_id"] = sent.email_id
    elif sent.username:
        body["search_usernames"] = [sent.username]
    return body


def _events_of(sent: Sent, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of the one message `sent` stands for (the newest that matches)."""
    mine = [e for e in events if str(e.get("recipient", "")).lower() == sent.recipient.lower()]
    if sent.email_id:
        return [e for e in mine if e.get("email_id") == sent.email_id]
    since = sent.since.strftime("%Y-%m-%dT%H:%M:%SZ")
    mine = [e for e in mine if str(e.get("date", "")) >= since]
    if not mine:
        return []
    newest = max(mine, key=lambda e: str(e.get("date", "")))
    return [e for e in mine if e.get("email_id") == newest.get("email_id")]


def _final(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    for kind in FINAL:
        for event in events:
            if event.get("event") == kind:
                return event
    return None


def _said(event: dict[str, Any]) -> str:
    return str(event.get("smtp_response") or event.get("reason") or event.get("error") or "")


Search = Callable[[list[dict[str, Any]]], list[Any]]


def delivery_rows(
    sent: dict[str, list[Sent]], subjects: dict[str, str], search: Search, wait: float
) -> dict[str, Row]:
    """A delivery row per project ref that sent something; `search` runs the bodies."""
    pending = {ref: list(items) for ref, items in sent.items() if items}
    found: dict[tuple[str, int], list[dict[str, Any]]] = {}
    errors: dict[str, str] = {}
    deadline = time.monotonic() + wait
    while True:
        keys = [(ref, i) for ref, items in pending.items() for i in range(len(items))]
        keys = [k for k in keys if _final(found.get(k, [])) is None and k[0] not in errors]
        if not keys:
            break
        results = search([_search_body(pending[ref][i]) for ref, i in keys])
        for (ref, i), result in zip(keys, results, strict=True):
            if isinstance(result, BaseException):
                errors[ref] = str(result)
            else:
                found[(ref, i)] = _events_of(pending[ref][i], result)
        remaining = deadline - time.monotonic()
        unsettled = [k for k in keys if _final(found.get(k, [])) is None and k[0] not in errors]
        if not unsettled or remaining <= 0:
            break
        time.sleep(min(POLL_SECONDS, remaining))
    return {
        ref: _row(subjects[ref], items, found, ref, errors.get(ref), wait)
        for ref, items in pending.items()
    }


def _row(
    subject: str,
    items: list[Sent],
    found: dict[tuple[str, int], list[dict[str, Any]]],
    ref: str,
    error: str | None,
    wait: float,
) -> Row:
    if error is not None:
        return Row.skipped(
            "delivery", subject, f"skipped: SMTP2GO's activity was not readable: {error}"
        )
    parts: list[str] = []
    status: Status = "pass"
    fix: str | None = None
    for index, sent in enumerate(items):
        events = found.get((ref, index), [])
        final = _final(events)
        said = _said(final) if final else ""
        head = f"{sent.what} to {sent.recipient}"
        if final is None:
            where = "still queued at SMTP2GO" if events else "not in SMTP2GO's activity yet"
            parts.append(f"{head}: {where} after {wait:g}s")
            if status == "pass":
                status = "warn"
                fix = (
                    "SMTP2GO's activity can lag: run check again with a larger --wait-delivery, "
                    "or see SMTP2GO: Reports > Activity"
                )
            continue
        kind = final.get("event")
        if kind == "delivered":
            parts.append(f"{head}: delivered ({said})" if said else f"{head}: delivered")
        elif kind == "soft-bounced":
            parts.append(f"{head}: deferred, the receiving server answered {said}")
            if status == "pass":
                status = "warn"
                fix = (
                    "a temporary refusal: SMTP2GO tries again; run check again later, and see "
                    "SMTP2GO: Reports > Activity if it persists"
                )
        elif kind == "hard-bounced":
            parts.append(f"{head}: bounced, the receiving server answered {said}")
            status = "fail"
            fix = (
                "the receiving server refused the address: check it; SMTP2GO: Reports > "
                "Activity has the whole reply"
            )
        else:
            parts.append(f"{head}: rejected by SMTP2GO ({said})")
            status = "fail"
            fix = (
                "SMTP2GO did not send it: see its reason; a suppressed recipient is listed in "
                "SMTP2GO: Suppressions"
            )
    return Row("delivery", subject, status, None, "; ".join(parts), fix)
