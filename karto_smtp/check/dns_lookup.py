"""Live DNS questions for `check`: CNAME and TXT, asked all at once, every failure an answer.

The resolver is this machine's (/etc/resolv.conf), or KARTO_DNS_RESOLVER=HOST[:PORT] (the
sandbox exports it). Imported only by `check`: this module pulls in dnspython.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.resolver

from karto_smtp.errors import KartoError

RESOLVER_ENV = "KARTO_DNS_RESOLVER"
# Seconds one question may take at most, whatever --timeout says: DNS answers fast or not.
MAX_LIFETIME = 5.0

Outcome = Literal["found", "none", "nxdomain", "error"]


@dataclass(frozen=True)
class Answer:
    """`found` with values; `none` (the name exists, not this type); `nxdomain`; `error`."""

    outcome: Outcome
    values: tuple[str, ...] = ()
    error: str = ""


def resolver_from_env(environ: Mapping[str, str], timeout: float) -> dns.asyncresolver.Resolver:
    value = environ.get(RESOLVER_ENV, "").strip()
    lifetime = min(timeout, MAX_LIFETIME)
    if not value:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.asyncresolver.Resolver(configure=False)
    else:
        host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "53")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise KartoError(f"{RESOLVER_ENV}: '{value}' is not HOST[:PORT] (e.g. 127.0.0.1:5353)")
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = int(port)
    resolver.lifetime = lifetime
    resolver.timeout = lifetime
    return resolver


def where(environ: Mapping[str, str]) -> str:
    """The resolver, as rows name it."""
    value = environ.get(RESOLVER_ENV, "").strip()
    return f"the resolver at {value} ({RESOLVER_ENV})" if value else "this machine's resolver"


async def _ask(resolver: dns.asyncresolver.Resolver, name: str, kind: str) -> Answer:
    try:
        answer = await resolver.resolve(name, kind, search=False)
    except dns.resolver.NXDOMAIN:
        return Answer("nxdomain")
    except dns.resolver.NoAnswer:
        return Answer("none")
    except dns.resolver.NoNameservers:
        return Answer("error", error="the resolver answered SERVFAIL")
    except dns.exception.Timeout:
        return Answer("error", error=f"no answer within {resolver.lifetime:g}s")
    except dns.exception.DNSException as exc:
        return Answer("error", error=str(exc) or type(exc).__name__)
    if kind == "TXT":
        values = tuple(b"".join(r.strings).decode("utf-8", "replace") for r in answer)
    else:
        values = tuple(r.to_text().rstrip(".").lower() for r in answer)
    return Answer("found", values)


def lookup_all(
    questions: Iterable[tuple[str, str]], environ: Mapping[str, str], timeout: float
) -> dict[tuple[str, str], Answer]:
    """Every (name, type) answered, the questions asked concurrently."""
    unique = list(dict.fromkeys((n.lower().rstrip("."), t) for n, t in questions))
    if not unique:
        return {}
    resolver = resolver_from_env(environ, timeout)

    async def run() -> list[Answer]:
        return await asyncio.gather(*(_ask(resolver, n, t) for n, t in unique))

    return dict(zip(unique, asyncio.run(run()), strict=True))
