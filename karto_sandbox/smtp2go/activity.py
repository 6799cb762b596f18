"""What SMTP2GO reports about the mail its relay accepted: activity events and statistics.

Built from the sandbox relay's mailbox (the mail it really accepted), so `/activity/search`,
`/stats/email_cycle`, `/stats/email_bounces` and `/stats/email_spam` describe real sends.

What happens to a message after the relay took it is not something a local relay can
learn, so it is set per recipient (`set_fate`, admin route `/_sandbox/delivery`): by
default every message is delivered. Usage and reputation counts can be raised on top of
the real mail (`set_usage`, `/_sandbox/usage`), e.g. to put the account at 95 % of its plan.

Sandbox choices (no public source): the default `smtp_response` texts; the final event
carries the same date as `processed`; `bounce_percent` is (hard + soft bounces) / emails
and `spam_percent` spams / emails, both as text with two decimals; events come newest
first; a message from a sandboxed SMTP user is one `rejected` event.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from email.parser import Parser
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from karto_sandbox.relay.mailbox import DeliveredMessage, Mailbox

EVENT_TYPES = (
    "processed",
    "soft-bounced",
    "hard-bounced",
    "rejected",
    "spam",
    "delivered",
    "unsubscribed",
    "resubscribed",
    "opened",
    "clicked",
)
# What can happen to a message after the relay took it ("processed": still in the queue).
FATES = ("delivered", "soft-bounced", "hard-bounced", "rejected", "processed")
DEFAULT_RESPONSES = {
    "delivered": ("250 2.0.0 OK: message accepted for delivery", ""),
    "soft-bounced": ("451 4.2.0 Mailbox temporarily unavailable, try again later", ""),
    "hard-bounced": ("550 5.1.1 The email account that you tried to reach does not exist", ""),
    "rejected": ("", "the recipient is on the account's suppression list"),
    "processed": ("", ""),
}
SANDBOX_USER_REASON = "the SMTP user is in sandbox mode: its mail is never delivered"
FREE_PLAN_EMAILS = 1000
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
REPUTATION_DAYS = 30


class ActivityError(ValueError):
    """A request value the emulator refuses (rendered as a field validation error)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name


@dataclass(frozen=True)
class Fate:
    event: str
    smtp_response: str
    reason: str


@dataclass
class Usage:
    """Counts added to what the relay really accepted; `cycle_max` is the plan's allowance."""

    cycle_used: int = 0
    cycle_max: int = FREE_PLAN_EMAILS
    emails: int = 0
    hardbounces: int = 0
    softbounces: int = 0
    rejects: int = 0
    spams: int = 0


def parse_date(value: str, field_name: str) -> dt.datetime:
    """The spec's accepted date formats (ISO 8601 variants, RFC 822 / 1123); UTC if no zone."""
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ActivityError(
                field_name, f"The field '{field_name}' is not a date SMTP2GO understands"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _received(message: DeliveredMessage) -> dt.datetime:
    return dt.datetime.fromisoformat(message.received_at).astimezone(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Activity:
    """Events and statistics of one account, over the relay's mailbox."""

    def __init__(self, mailbox: Mailbox | None = None) -> None:
        self.mailbox = mailbox if mailbox is not None else Mailbox()
        self._lock = threading.Lock()
        self._fates: dict[str, Fate] = {}
        self._usage = Usage()

    # -- knobs ------------------------------------------------------------------------
    def set_fate(
        self,
        recipient: str,
        event: str,
        smtp_response: str | None = None,
        reason: str | None = None,
    ) -> Fate:
        if event not in FATES:
            raise ValueError(f"event must be one of {', '.join(FATES)}")
        if "@" not in recipient:
            raise ValueError("recipient must be an email address")
        default_response, default_reason = DEFAULT_RESPONSES[event]
        fate = Fate(
            event,
            default_response if smtp_response is None else smtp_response,
            default_reason if reason is None else reason,
        )
        with self._lock:
            self._fates[recipient.strip().lower()] = fate
        return fate

    def set_usage(self, **counts: Any) -> Usage:
        names = {f.name for f in fields(Usage)}
        unknown = set(counts) - names
        if unknown:
            raise ValueError(f"unknown usage fields {sorted(unknown)}; use {', '.join(names)}")
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0")
        with self._lock:
            for name, value in counts.items():
                setattr(self._usage, name, value)
            return Usage(**asdict(self._usage))

    def usage(self) -> Usage:
        with self._lock:
            return Usage(**asdict(self._usage))

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fates": {k: asdict(v) for k, v in self._fates.items()},
                "usage": asdict(self._usage),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        fates = {str(k): Fate(**v) for k, v in state.get("fates", {}).items()}
        usage = Usage(**state.get("usage", {}))
        with self._lock:
            self._fates = fates
            self._usage = usage

    # -- what happened to each message ------------------------------------------------
    def _fate(self, message: DeliveredMessage, recipient: str) -> Fate:
        if message.status == "rejected":
            return Fate("rejected", "", SANDBOX_USER_REASON)
        with self._lock:
            found = self._fates.get(recipient.lower())
        if found is not None:
            return found
        response, reason = DEFAULT_RESPONSES["delivered"]
        return Fate("delivered", response, reason)

    def _events_of(
        self, message: DeliveredMessage, include_headers: bool, wanted_headers: list[str]
    ) -> list[dict[str, Any]]:
        headers = Parser(policy=default_policy).parsestr(message.raw, headersonly=True)
        from_header = message.from_header or ""
        addresses = [a for _n, a in getaddresses([from_header]) if a]
        sender = addresses[0] if addresses else message.mail_from
        custom = {
            name: str(headers[name]) for name in wanted_headers if headers.get(name) is not None
        }
        head, _, _body = message.raw.replace("\r\n", "\n").partition("\n\n")
        date = _stamp(_received(message))
        found = []
        for recipient in message.rcpt_tos:
            fate = self._fate(message, recipient)
            steps = ["processed"] if fate.event not in ("processed", "rejected") else []
            steps.append(fate.event)
            for event in steps:
                final = event == fate.event
                found.append(
                    {
                        "from": sender,
                        "recipient": recipient,
                        "subaccount_name": "Master account",
                        "email_id": message.id,
                        "date": date,
                        "event": event,
                        "recipients": list(message.rcpt_tos),
                        "subject": message.subject or "",
                        "username": message.smtp_user,
                        "reply_to": str(headers.get("Reply-To") or ""),
                        "sender": sender,
                        "sender_full": from_header,
                        "to": message.to_header or "",
                        "cc": str(headers.get("Cc") or ""),
                        "bcc": "",
                        "smtp_response": fate.smtp_response if final else "",
                        "reason": fate.reason if final else "",
                        "host": "127.0.0.1",
                        "error": "",
                        "email_client": {},
                        "metadata": {},
                        "outbound_ip": "127.0.0.1",
                        "byte_size": len(message.raw.encode()),
                        "headers": head if include_headers else "",
                        "custom_headers": custom,
                    }
                )
        return found

    def search(self, payload: Mapping[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
        """`/activity/search`'s `data` for a type-checked request payload."""
        now = now or dt.datetime.now(dt.UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        start = (
            parse_date(payload["start_date"], "start_date") if "start_date" in payload else midnight
        )
        end = parse_date(payload["end_date"], "end_date") if "end_date" in payload else None
        limit = payload.get("limit", DEFAULT_LIMIT)
        if not 1 <= limit <= MAX_LIMIT:
            raise ActivityError("limit", f"The field 'limit' must be 1 to {MAX_LIMIT}")
        event_types = payload.get("event_types") or []
        unknown = [e for e in event_types if e not in EVENT_TYPES]
        if unknown:
            raise ActivityError("event_types", f"Unknown event types: {', '.join(unknown)}")
        usernames = set(payload.get("search_usernames") or [])
        texts = {
            name: str(payload[name]).lower()
            for name in ("search_email_id", "search_subject", "search_sender", "search_recipient")
            if payload.get(name)
        }
        words = [w.strip().lower() for w in str(payload.get("search") or "").split("|")]
        words = [w for w in words if w]
        events = []
        for message in self.mailbox.messages(include_rejected=True):
            received = _received(message)
            if received < start or (end is not None and received >= end):
                continue
            if usernames and message.smtp_user not in usernames:
                continue
            events += self._events_of(
                message, bool(payload.get("include_headers")), payload.get("custom_headers") or []
            )

        def wanted(event: dict[str, Any]) -> bool:
            fields_by_name = {
                "search_email_id": event["email_id"],
                "search_subject": event["subject"],
                "search_sender": event["sender"],
                "search_recipient": event["recipient"],
            }
            if any(text not in fields_by_name[name].lower() for name, text in texts.items()):
                return False
            if words:
                haystack = " ".join(fields_by_name.values()).lower()
                if not any(w in haystack for w in words):
                    return False
            return not event_types or event["event"] in event_types

        events = [e for e in events if wanted(e)]
        if payload.get("only_latest") or payload.get("only_latest_by_sent"):
            latest: dict[str, dict[str, Any]] = {}
            for event in events:
                latest[event["email_id"] + event["recipient"]] = event
            events = list(latest.values())
        events.reverse()
        return {"events": events[:limit], "total_events": len(events), "continue_token": None}

    # -- statistics -------------------------------------------------------------------
    def _recent(self, username: str | None, now: dt.datetime) -> list[DeliveredMessage]:
        since = now - dt.timedelta(days=REPUTATION_DAYS)
        return [
            m
            for m in self.mailbox.messages(include_rejected=True)
            if _received(m) >= since and (username is None or m.smtp_user == username)
        ]

    def _counts(self, username: str | None, now: dt.datetime) -> dict[str, int]:
        counts = {"emails": 0, "hardbounces": 0, "softbounces": 0, "rejects": 0, "spams": 0}
        names = {
            "hard-bounced": "hardbounces",
            "soft-bounced": "softbounces",
            "rejected": "rejects",
        }
        for message in self._recent(username, now):
            for recipient in message.rcpt_tos:
                counts["emails"] += 1
                event = self._fate(message, recipient).event
                if event in names:
                    counts[names[event]] += 1
        if username is None:
            usage = self.usage()
            for name in counts:
                counts[name] += getattr(usage, name)
        return counts

    def cycle(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or dt.datetime.now(dt.UTC)
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        usage = self.usage()
        sent = sum(
            len(m.rcpt_tos)
            for m in self.mailbox.messages(include_rejected=True)
            if _received(m) >= start
        )
        used = usage.cycle_used + sent
        return {
            "cycle_start": start.isoformat(sep=" "),
            "cycle_end": end.isoformat(sep=" "),
            "cycle_used": used,
            "cycle_remaining": max(usage.cycle_max - used, 0),
            "cycle_max": usage.cycle_max,
        }

    def bounces(
        self, username: str | None = None, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        counts = self._counts(username, now or dt.datetime.now(dt.UTC))
        emails = counts["emails"]
        bounced = counts["hardbounces"] + counts["softbounces"]
        return {
            "emails": emails,
            "rejects": counts["rejects"],
            "softbounces": counts["softbounces"],
            "hardbounces": counts["hardbounces"],
            "bounce_percent": f"{(100 * bounced / emails) if emails else 0:.2f}",
        }

    def spam(self, username: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
        counts = self._counts(username, now or dt.datetime.now(dt.UTC))
        emails = counts["emails"]
        return {
            "emails": emails,
            "rejects": counts["rejects"],
            "spams": counts["spams"],
            "spam_percent": f"{(100 * counts['spams'] / emails) if emails else 0:.2f}",
        }
