"""What SMTP2GO's API says when AUTH cannot be tried (a `generate` password).

The API cannot confirm a password, but it does say whether the SMTP user exists and is
allowed to send, and whether a sender is verified, which is what AUTH and MAIL FROM would
otherwise have shown. Imported only then: this module pulls in httpx.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from karto_smtp.errors import ApiError
from karto_smtp.providers.smtp2go.client import Smtp2goClient

if TYPE_CHECKING:
    from karto_smtp.secrets import SecretRef


@dataclass
class Smtp2goState:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    senders: dict[str, bool] = field(default_factory=dict)  # address -> verified
    domains: dict[str, bool] = field(default_factory=dict)  # domain -> verified
    domain_entries: list[Any] = field(default_factory=list)  # /domain/view as read
    error: str | None = None

    def sender_verified(self, address: str) -> bool:
        address = address.lower()
        if self.senders.get(address):
            return True
        labels = address.rpartition("@")[2].split(".")
        return any(self.domains.get(".".join(labels[i:])) for i in range(len(labels) - 1))


async def _read(api_url: str, api_key: str, key_ref: SecretRef | None) -> Smtp2goState:
    source = replace(Smtp2goClient.default_credential, ref=key_ref)
    client = Smtp2goClient(api_url, api_key, credential=source)
    try:
        users, senders, domains = await asyncio.gather(
            client.view_smtp_users(), client.view_single_senders(), client.view_domains()
        )
    except ApiError as exc:
        return Smtp2goState(error=str(exc))
    finally:
        await client.aclose()
    state = Smtp2goState(domain_entries=domains)
    for user in users:
        if isinstance(user, dict) and isinstance(user.get("username"), str):
            state.users[user["username"]] = user
    for sender in senders:
        if isinstance(sender, dict) and isinstance(sender.get("email_address"), str):
            state.senders[sender["email_address"].lower()] = bool(sender.get("verified"))
    for item in domains:
        domain = item.get("domain") if isinstance(item, dict) else None
        if isinstance(domain, dict) and isinstance(domain.get("fulldomain"), str):
            # Sending needs DKIM and the return path; tracking CNAMEs do not matter here.
            verified = bool(domain.get("dkim_verified")) and bool(domain.get("rpath_verified"))
            state.domains[domain["fulldomain"].lower()] = verified
    return state


def read_state(api_url: str, api_key: str, key_ref: SecretRef | None = None) -> Smtp2goState:
    """`key_ref`: the key karto.yaml declares (None: SMTP2GO_API_KEY), named if refused."""
    return asyncio.run(_read(api_url, api_key, key_ref))


@dataclass
class AccountView:
    """What SMTP2GO says about sender domains, usage and reputation; one error per read."""

    domains: dict[str, dict[str, Any]] = field(default_factory=dict)  # fulldomain -> entry
    domains_error: str | None = None
    cycle: dict[str, Any] | None = None
    bounces: dict[str, Any] | None = None
    spam: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)  # "cycle" | "bounces" | "spam"


async def _given(value: list[Any]) -> list[Any]:
    return value


async def _read_account(api_url: str, api_key: str, domains_read: list[Any] | None) -> AccountView:
    client = Smtp2goClient(api_url, api_key)
    view = AccountView()
    try:
        reads = await asyncio.gather(
            client.view_domains() if domains_read is None else _given(domains_read),
            client.email_cycle(),
            client.email_bounces(),
            client.email_spam(),
            return_exceptions=True,
        )
    finally:
        await client.aclose()
    domains, cycle, bounces, spam = reads
    if isinstance(domains, BaseException):
        view.domains_error = str(domains)
    else:
        for item in domains:
            domain = item.get("domain") if isinstance(item, dict) else None
            if isinstance(domain, dict) and isinstance(domain.get("fulldomain"), str):
                view.domains[domain["fulldomain"].lower()] = item
    for name, result in (("cycle", cycle), ("bounces", bounces), ("spam", spam)):
        if isinstance(result, ApiError):
            view.errors[name] = str(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            setattr(view, name, result)
    if isinstance(domains, BaseException) and not isinstance(domains, ApiError):
        raise domains
    return view


def read_account(api_url: str, api_key: str, domains_read: list[Any] | None = None) -> AccountView:
    """`domains_read`: /domain/view as this run already read it, so it is not asked twice."""
    return asyncio.run(_read_account(api_url, api_key, domains_read))


async def _search(api_url: str, api_key: str, bodies: list[dict[str, Any]]) -> list[Any]:
    client = Smtp2goClient(api_url, api_key)
    try:
        return await asyncio.gather(
            *(client.search_activity(body) for body in bodies), return_exceptions=True
        )
    finally:
        await client.aclose()


def search_activity(api_url: str, api_key: str, bodies: list[dict[str, Any]]) -> list[Any]:
    """Each search's events, or the ApiError it ended with."""
    results = asyncio.run(_search(api_url, api_key, bodies))
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ApiError):
            raise result
    return results
