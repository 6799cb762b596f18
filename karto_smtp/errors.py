"""Errors a user can act on. Each carries one line of text; the CLI prints it and exits 1."""

from __future__ import annotations

from karto_smtp.redaction import redact


class KartoError(Exception):
    """Base of every expected failure: printed as one line, never with a traceback."""

    exit_code = 1


class ConfigError(KartoError):
    """The configuration file is wrong; the message names file:line:column."""


class ApiError(KartoError):
    """A remote service refused or failed a call.

    `message` is the service's own words (scrubbed of every secret: a service may echo a
    request); `fix`, when the client can tell, says what the user should do about it.
    """

    def __init__(
        self,
        service: str,
        operation: str,
        message: str,
        status: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.api_message = redact(message)
        self.status = status
        self.fix = fix
        where = f"HTTP {status}" if status is not None else "no response"
        text = f"{service}: {operation} failed ({where}): {self.api_message}"
        super().__init__(text + (f"; {fix}" if fix else ""))


class TimedOut(KartoError):
    """The run's --timeout passed; `doing` says what it was waiting for."""

    def __init__(self, seconds: float, doing: str) -> None:
        self.seconds = seconds
        self.doing = doing
        super().__init__(f"timed out after {seconds:g} s (--timeout) while {doing}")


class StalePlanError(KartoError):
    """A saved plan no longer matches the live state or the configuration."""
