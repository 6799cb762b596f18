"""The one grammar of an API base URL, for `api_url:` in the file and the *_API_URL variables.

A base URL is `http(s)://host[:port][/path]`: karto-smtp appends endpoint paths to it, so a
query or fragment would end up in the middle of every request, and a user name or
password would be a secret written where secrets do not belong.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from karto_smtp.config.display import shown

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_PORT_RE = re.compile(r"[0-9]{1,10}")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def api_url_problem(url: str, example: str) -> str | None:
    """None for a usable base URL; else one sentence naming the problem and the fix.

    The sentence quotes the URL (cut to 60 characters) unless it holds credentials.
    """
    if url == "":
        return f"is empty; write a URL such as {example}"
    quoted = f"'{shown(url)}'"
    stripped = url.strip()
    if stripped != url:
        where = "ends" if url[-1:].isspace() else "starts"
        edge = url[-1:] if where == "ends" else url[:1]
        kind = {"\n": "a newline", "\r": "a newline", "\t": "a tab", " ": "a space"}.get(
            edge, "whitespace"
        )
        return f"{quoted} {where} with {kind}; remove it"
    if _SPACE_OR_CONTROL.search(url):
        return f"{quoted} contains a space or control character; remove it"
    scheme = _SCHEME_RE.match(url)
    if scheme is None:
        return f"{quoted} has no scheme; write https://{shown(url, 40)}"
    if scheme.group(1).lower() not in ("http", "https"):
        return (
            f"{quoted} is not an http(s) URL (it starts with {scheme.group(1)}://); "
            f"write e.g. {example}"
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        # urlsplit checks bracketed IPv6 hosts itself.
        return f"{quoted} has an invalid host name"
    if "@" in parts.netloc:
        return (
            "contains a user name or password before '@'; remove them: credentials come "
            "from the API key or token settings"
        )
    host, port = _host_and_port(parts.netloc)
    if not host:
        return f"{quoted} has no host name; write e.g. {example}"
    if not _valid_host(host):
        return f"{quoted} has an invalid host name '{shown(host, 40)}'"
    if port is not None:
        if not _PORT_RE.fullmatch(port):
            return f"{quoted} has an invalid port '{shown(port, 12)}'; write a number 1..65535"
        if not 1 <= int(port) <= 65535:
            return f"{quoted} has port {port}, outside 1..65535"
    if parts.query or url.endswith("?"):
        return f"{quoted} has a query (?...); give the base URL only, e.g. {example}"
    if parts.fragment or url.endswith("#"):
        return f"{quoted} has a fragment (#...); give the base URL only, e.g. {example}"
    return None


def _host_and_port(netloc: str) -> tuple[str, str | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end == -1:
            return netloc, None
        rest = netloc[end + 1 :]
        port = rest[1:] if rest.startswith(":") else None
        return netloc[: end + 1], port
    host, colon, port = netloc.partition(":")
    return host, port if colon else None


def _valid_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    return len(host.rstrip(".")) <= 253 and _HOST_RE.fullmatch(host) is not None
