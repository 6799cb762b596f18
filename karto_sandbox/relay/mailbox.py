"""Messages the relay accepted, kept in memory for `GET /_sandbox/mail` and `sandbox mail`."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, Literal

# "rejected": accepted on the wire from an SMTP user in sandbox status and then not
# delivered, which is what SMTP2GO reports for such mail.
MessageStatus = Literal["delivered", "rejected"]


@dataclass(frozen=True)
class DeliveredMessage:
    id: str
    received_at: str  # ISO 8601, UTC
    mail_from: str
    rcpt_tos: list[str]
    smtp_user: str
    subject: str | None
    from_header: str | None
    to_header: str | None
    message_id: str | None
    raw: str
    status: MessageStatus = "delivered"
    auth_mechanism: str | None = None  # how the sender logged in (CRAM-MD5, PLAIN, LOGIN)
    body: str | None = None  # the HTML (else plain) text part, decoded

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    return None if value is None else str(value)


def _body(message: EmailMessage) -> str | None:
    """The message's HTML (else plain text) part, decoded; None when it has none."""
    try:
        part = message.get_body(preferencelist=("html", "plain"))
        content = None if part is None else part.get_content()
    except (LookupError, ValueError, AttributeError, TypeError):
        return None
    # Lines travel as CRLF; the text is shown with the newlines it was written with.
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


class Mailbox:
    """Thread-safe list of messages; `wait_for` lets a test block until one arrives."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._messages: list[DeliveredMessage] = []

    def deliver(
        self,
        mail_from: str,
        rcpt_tos: list[str],
        smtp_user: str,
        raw: bytes | str,
        status: MessageStatus = "delivered",
        auth_mechanism: str | None = None,
    ) -> DeliveredMessage:
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
        parsed = BytesParser(policy=default_policy).parsebytes(data)
        assert isinstance(parsed, EmailMessage)
        message = DeliveredMessage(
            id=uuid.uuid4().hex,
            received_at=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            mail_from=mail_from,
            rcpt_tos=list(rcpt_tos),
            smtp_user=smtp_user,
            subject=_header(parsed, "Subject"),
            from_header=_header(parsed, "From"),
            to_header=_header(parsed, "To"),
            message_id=_header(parsed, "Message-ID"),
            raw=data.decode("utf-8", "replace"),
            status=status,
            auth_mechanism=auth_mechanism,
            body=_body(parsed),
        )
        with self._condition:
            self._messages.append(message)
            self._condition.notify_all()
        return message

    def messages(self, include_rejected: bool = False) -> list[DeliveredMessage]:
        with self._condition:
            return [m for m in self._messages if include_rejected or m.status == "delivered"]

    def clear(self) -> None:
        with self._condition:
            self._messages.clear()

    def wait_for(
        self,
        predicate: Callable[[DeliveredMessage], bool] = lambda _m: True,
        timeout: float = 5.0,
        include_rejected: bool = False,
    ) -> DeliveredMessage | None:
        """The first message matching `predicate`, waiting up to `timeout` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for message in self._messages:
                    if (include_rejected or message.status == "delivered") and predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)

    def as_dict(self, include_rejected: bool = True) -> dict[str, Any]:
        return {"messages": [m.as_dict() for m in self.messages(include_rejected)]}
