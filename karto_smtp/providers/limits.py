"""How many requests karto-smtp keeps in flight towards one service.

Each provider's default (`Provider.max_concurrency`) comes from what its service documents;
a user with other limits (a shared token, a proxy, a slow network) sets
`KARTO_<SERVICE>_MAX_CONCURRENCY` for one service or `KARTO_MAX_CONCURRENCY` for all.
"""

from __future__ import annotations

from collections.abc import Mapping

from karto_smtp.errors import ConfigError

ALL_SERVICES = "KARTO_MAX_CONCURRENCY"
HIGHEST = 256


def variable(service: str) -> str:
    return f"KARTO_{service.upper()}_MAX_CONCURRENCY"


def max_concurrency(service: str, default: int, environ: Mapping[str, str]) -> int:
    """The bound for `service`: its own variable, else the one for all services, else `default`."""
    for name in (variable(service), ALL_SERVICES):
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= HIGHEST:
            raise ConfigError(
                f"{name}={raw!r}: the number of requests in flight at once must be a whole "
                f"number from 1 to {HIGHEST}; unset it to use the default ({default})"
            )
        return int(raw)
    return default
