"""Where an SMTP relay `host:port` really is, and which CA to trust when talking to it.

The sandbox cannot listen on mail.smtp2go.com:587, so it publishes a map in
`KARTO_SMTP_RELAY_MAP` (`mail.smtp2go.com:587=127.0.0.1:40001,...`) and its certificate in
`KARTO_SMTP_CA_FILE`. Code that dials a relay (`check`, the sandbox's Auth mail path) keeps
the configured host name for TLS verification and dials the mapped address instead.

Standard library only: the CLI's `check` command imports this module.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable, Iterator, Mapping

RELAY_MAP_ENV = "KARTO_SMTP_RELAY_MAP"
CA_FILE_ENV = "KARTO_SMTP_CA_FILE"

Endpoint = tuple[str, int]


def _parse_endpoint(text: str, whole: str) -> Endpoint:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{RELAY_MAP_ENV}: expected host:port, got {text.strip()!r} in {whole!r}")
    return host.strip("[]").lower(), int(port)


class RelayMap:
    """An immutable mapping of relay `(host, port)` to the address that really serves it."""

    def __init__(
        self, entries: Mapping[Endpoint, Endpoint] | Iterable[tuple[Endpoint, Endpoint]] = ()
    ) -> None:
        items = entries.items() if isinstance(entries, Mapping) else entries
        self._entries: dict[Endpoint, Endpoint] = {
            (host.lower(), int(port)): (to_host, int(to_port))
            for (host, port), (to_host, to_port) in items
        }

    @classmethod
    def parse(cls, text: str) -> RelayMap:
        """Parse `host:port=host:port,...`; blank text is an empty map."""
        entries: list[tuple[Endpoint, Endpoint]] = []
        for item in text.split(","):
            if not item.strip():
                continue
            source, sep, target = item.partition("=")
            if not sep:
                raise ValueError(
                    f"{RELAY_MAP_ENV}: expected host:port=host:port, got {item.strip()!r}"
                )
            entries.append((_parse_endpoint(source, text), _parse_endpoint(target, text)))
        return cls(entries)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RelayMap:
        environ = os.environ if environ is None else environ
        return cls.parse(environ.get(RELAY_MAP_ENV, ""))

    def resolve(self, host: str, port: int) -> Endpoint:
        """The address to dial for `host:port`; itself when unmapped."""
        return self._entries.get((host.lower(), int(port)), (host, int(port)))

    def is_mapped(self, host: str, port: int) -> bool:
        return (host.lower(), int(port)) in self._entries

    def to_env(self) -> str:
        return ",".join(f"{h}:{p}={th}:{tp}" for (h, p), (th, tp) in self._entries.items())

    def items(self) -> Iterator[tuple[Endpoint, Endpoint]]:
        return iter(self._entries.items())

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RelayMap) and other._entries == self._entries

    def __repr__(self) -> str:
        return f"RelayMap({self.to_env()!r})"


def ca_file_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The extra CA file named by `KARTO_SMTP_CA_FILE`, or None when unset or blank."""
    environ = os.environ if environ is None else environ
    value = environ.get(CA_FILE_ENV, "").strip()
    return value or None


def client_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying client context: the system store, plus `ca_file` when given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context
