"""What a provider is: it reads live state, normalises it, and applies one change.

Everything else (diffing, ordering, secrets, safety, rendering) is core code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import Any

from karto_smtp.engine.plan import Change, Request
from karto_smtp.engine.resources import Desired, SecretSource


class SecretState(StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    UNSET = "unset"  # the service holds no usable value
    UNKNOWABLE = "unknowable"  # the service cannot tell, or our value is not known yet


class Provider(ABC):
    name: str

    @abstractmethod
    async def read(self, desired: list[Desired]) -> dict[str, dict[str, Any] | None]:
        """Live state of every desired address, normalised; None where it does not exist."""

    @abstractmethod
    def secret_state(
        self, desired: Desired, field: str, source: SecretSource, live: dict[str, Any]
    ) -> SecretState:
        """Whether a live secret field already holds the desired value."""

    @abstractmethod
    def requests_for(
        self, change: Change, desired: Desired, live: dict[str, Any] | None
    ) -> list[Request]:
        """The calls that carry out `change`; secret values as `{"$secret": id}` placeholders."""

    @abstractmethod
    async def send(self, change: Change, request: Request, body: dict[str, Any]) -> Any:
        """Make one call of a change; `body` is `request.body` with secrets filled in."""

    def fingerprint_view(self, live: dict[str, Any]) -> dict[str, Any]:
        """The part of a live object whose change makes a saved plan stale."""
        return live

    async def aclose(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections."""
