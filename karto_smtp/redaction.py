"""Every secret value this process holds, and one way to scrub them out of text.

A `Secret` registers its value when it is made; a provider registers how secrets are
derived into values a service shows (Supabase's HMAC digest of a password, per project).
Text that karto-smtp did not write itself (error bodies, reason phrases, SMTP replies)
goes through `redact()` before it is printed or logged, and so does every error line,
debug line and check row, so a service that echoes a request cannot leak a password.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

REDACTED = "(sensitive value)"

# Shorter values would match ordinary words; no service accepts a credential this short.
MIN_LENGTH = 6

Derivation = Callable[[str], Iterable[str]]

_lock = threading.Lock()
_values: set[str] = set()
_derivations: list[Derivation] = []
# Every spelling of every value, longest first; None: to be worked out again.
_targets: tuple[str, ...] | None = None


def register(value: str) -> None:
    """Scrub `value` (and the ways it is spelled in JSON and URLs) from now on."""
    global _targets
    if len(value) < MIN_LENGTH:
        return
    with _lock:
        if value not in _values:
            _values.add(value)
            _targets = None


def add_derivation(derive: Derivation) -> None:
    """Also scrub what `derive` makes of every registered value, past and future."""
    global _targets
    with _lock:
        _derivations.append(derive)
        _targets = None


def forget_all() -> None:
    """Start over (tests run many commands in one process)."""
    global _targets
    with _lock:
        _values.clear()
        _derivations.clear()
        _targets = None


def redact(text: str) -> str:
    """`text` with every registered value, and every derived one, replaced by REDACTED."""
    if not text:
        return text
    # Plain substring tests, not one regex of alternatives: with a digest per project there
    # are hundreds of targets, and compiling their alternation cost ~20 ms per run.
    for target in _current_targets():
        if target in text:
            text = text.replace(target, REDACTED)
    return text


def redact_url(url: object) -> str:
    """A URL fit to print: no user name, password, query or fragment (`https://host/path`)."""
    text = str(url)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return redact(text.split("?", 1)[0].split("#", 1)[0])
    if not parts.scheme or not host:
        return redact(text.split("?", 1)[0].split("#", 1)[0])
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


class RedactingFilter(logging.Filter):
    """For a log handler: the formatted message, and any traceback text, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _spellings(value: str) -> set[str]:
    """The value as it may appear in a body or a URL: plain, JSON-escaped, percent-encoded."""
    found = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    found |= {quote(value, safe=""), quote_plus(value, safe="")}
    return {s for s in found if len(s) >= MIN_LENGTH}


def _current_targets() -> tuple[str, ...]:
    global _targets
    with _lock:
        if _targets is not None:
            return _targets
        targets: set[str] = set()
        for value in _values:
            targets |= _spellings(value)
            for derive in _derivations:
                for derived in derive(value):
                    targets |= _spellings(derived)
        # Longest first: a value that contains another is replaced whole.
        _targets = tuple(sorted(targets, key=len, reverse=True))
        return _targets
