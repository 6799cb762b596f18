"""How clients find the relay: the `KARTO_SMTP_RELAY` rules the sandbox exports.

The sandbox cannot listen on mail.smtp2go.com:587, so it tells clients where each relay
name really is. One rule covers every SMTP2GO relay name and port:

    KARTO_SMTP_RELAY=mail*.smtp2go.com=127.0.0.1:41001/41002

A rule is `PATTERN[:PORT]=HOST:PORT[/PORT]`, rules are separated by commas:
- PATTERN is a host name, `*` matching any run of characters (case-insensitive);
- with `:PORT` the rule is for that port only, and wins over rules without one;
- the first target port serves connections that start in plain text (STARTTLS), the
  second those that start with TLS (465, 8465, 443); one port serves both.

A blocked port is one more rule: `mail*.smtp2go.com:587=127.0.0.1:41003`. A client keeps
the configured host name for TLS (SNI, certificate check) and dials the target.

This module is the sandbox's own reader and writer of the format: the Auth mail path dials
through it. Clients (karto-smtp's `check`) carry their own reader of the same contract.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

RELAY_ENV = "KARTO_SMTP_RELAY"
CA_FILE_ENV = "KARTO_SMTP_CA_FILE"


@dataclass(frozen=True)
class RelayRule:
    pattern: str
    port: int | None
    host: str
    starttls_port: int
    tls_port: int

    def matches(self, host: str, port: int) -> bool:
        return (self.port is None or self.port == port) and fnmatch.fnmatchcase(
            host.lower(), self.pattern
        )

    def __str__(self) -> str:
        source = self.pattern if self.port is None else f"{self.pattern}:{self.port}"
        ports = (
            str(self.starttls_port)
            if self.starttls_port == self.tls_port
            else f"{self.starttls_port}/{self.tls_port}"
        )
        return f"{source}={self.host}:{ports}"


def _port(text: str, rule: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{RELAY_ENV}: {text!r} is not a port in {rule!r}")
    return int(text)


def parse_rule(text: str) -> RelayRule:
    source, sep, target = text.strip().partition("=")
    host, colon, ports = target.rpartition(":")
    if not sep or not colon or not source or not host:
        raise ValueError(f"{RELAY_ENV}: expected PATTERN[:PORT]=HOST:PORT[/PORT], got {text!r}")
    pattern, _, source_port = source.partition(":")
    starttls, _, tls = ports.partition("/")
    return RelayRule(
        pattern=pattern.lower(),
        port=_port(source_port, text) if source_port else None,
        host=host.strip("[]"),
        starttls_port=_port(starttls, text),
        tls_port=_port(tls or starttls, text),
    )


class RelayRoutes:
    """An ordered list of rules; `resolve` finds where a relay host and port really are."""

    def __init__(self, rules: list[RelayRule] | None = None) -> None:
        # Port-specific rules first: they win over a pattern for every port.
        self.rules = sorted(rules or [], key=lambda rule: rule.port is None)

    @classmethod
    def parse(cls, text: str) -> RelayRoutes:
        return cls([parse_rule(item) for item in text.split(",") if item.strip()])

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RelayRoutes:
        return cls.parse(environ.get(RELAY_ENV, ""))

    def resolve(self, host: str, port: int, implicit_tls: bool) -> tuple[str, int]:
        for rule in self.rules:
            if rule.matches(host, port):
                return rule.host, rule.tls_port if implicit_tls else rule.starttls_port
        return host, port

    def __str__(self) -> str:
        return ",".join(str(rule) for rule in self.rules)
