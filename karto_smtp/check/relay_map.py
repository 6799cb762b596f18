"""Where an SMTP relay `host:port` really is, and which CA to trust when talking to it.

A stand-in relay (the sandbox) cannot listen on mail.smtp2go.com:587, so it publishes rules
in `KARTO_SMTP_RELAY` and its certificate in `KARTO_SMTP_CA_FILE`:

    KARTO_SMTP_RELAY=mail*.smtp2go.com=127.0.0.1:41001/41002,mail*.smtp2go.com:587=127.0.0.1:41003

A rule is `PATTERN[:PORT]=HOST:PORT[/PORT]`: PATTERN a host name where `*` matches any run
of characters; with `:PORT` the rule is for that port only and wins over rules without one;
the first target port serves connections that begin in plain text (STARTTLS), the second
those that begin with TLS (implicit TLS), and a single port serves both. `check` keeps the
configured host name for TLS verification and dials the target instead.

Standard library only: the CLI's `check` command imports this module.
"""

from __future__ import annotations

import fnmatch
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

RELAY_ENV = "KARTO_SMTP_RELAY"
CA_FILE_ENV = "KARTO_SMTP_CA_FILE"

Endpoint = tuple[str, int]


@dataclass(frozen=True)
class _Rule:
    pattern: str
    port: int | None
    host: str
    plain_port: int
    tls_port: int

    def matches(self, host: str, port: int) -> bool:
        return (self.port is None or self.port == port) and fnmatch.fnmatchcase(
            host.lower(), self.pattern
        )


def _port(text: str, rule: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{RELAY_ENV}: {text!r} is not a port, in {rule!r}")
    return int(text)


def _rule(text: str) -> _Rule:
    source, sep, target = text.strip().partition("=")
    host, colon, ports = target.rpartition(":")
    if not sep or not colon or not source or not host:
        raise ValueError(f"{RELAY_ENV}: expected PATTERN[:PORT]=HOST:PORT[/PORT], got {text!r}")
    pattern, _, source_port = source.partition(":")
    plain, _, tls = ports.partition("/")
    return _Rule(
        pattern=pattern.lower(),
        port=_port(source_port, text) if source_port else None,
        host=host.strip("[]"),
        plain_port=_port(plain, text),
        tls_port=_port(tls or plain, text),
    )


class RelayMap:
    """The parsed `KARTO_SMTP_RELAY` rules; empty means every relay is where it says."""

    def __init__(self, rules: list[_Rule] | None = None) -> None:
        # A rule for one port wins over a rule for every port.
        self._rules = sorted(rules or [], key=lambda rule: rule.port is None)

    @classmethod
    def parse(cls, text: str) -> RelayMap:
        """Parse comma-separated rules; blank text is an empty map."""
        return cls([_rule(item) for item in text.split(",") if item.strip()])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RelayMap:
        environ = os.environ if environ is None else environ
        return cls.parse(environ.get(RELAY_ENV, ""))

    def resolve(self, host: str, port: int, implicit_tls: bool) -> Endpoint:
        """The address to dial for `host:port`; itself when no rule matches."""
        for rule in self._rules:
            if rule.matches(host, port):
                return rule.host, rule.tls_port if implicit_tls else rule.plain_port
        return host, int(port)

    def is_mapped(self, host: str, port: int) -> bool:
        return any(rule.matches(host, port) for rule in self._rules)

    def __bool__(self) -> bool:
        return bool(self._rules)


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
