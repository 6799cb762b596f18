"""Where a resource lives: `provider.kind["key"]`, a value that is rendered, never parsed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Address:
    provider: str
    kind: str
    key: str

    def __str__(self) -> str:
        return f'{self.provider}.{self.kind}["{self.key}"]'

    def matches(self, selector: str) -> bool:
        """True when `selector` is this address, or a prefix of it as printed."""
        return str(self).startswith(selector)
