"""Errors a user can act on. Each carries one line of text; the CLI prints it and exits 1."""

from __future__ import annotations


class KartoError(Exception):
    """Base of every expected failure: printed as one line, never with a traceback."""

    exit_code = 1


class ConfigError(KartoError):
    """The configuration file is wrong; the message names file:line:column."""


class ApiError(KartoError):
    """A remote service refused or failed a call."""

    def __init__(
        self, service: str, operation: str, message: str, status: int | None = None
    ) -> None:
        self.service = service
        self.operation = operation
        self.api_message = message
        self.status = status
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{service}: {operation} failed ({where}): {message}")


class StalePlanError(KartoError):
    """A saved plan no longer matches the live state or the configuration."""
