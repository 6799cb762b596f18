"""`karto-smtp dns`: the DNS records each declared sender domain needs, for the team's DNS tool.

SMTP2GO names the records (their selectors) when a domain is added, so they are read from
its API: only the SMTP2GO API key is needed. Exit codes: 0 when every declared domain was
printed, 1 when one is not on SMTP2GO yet (the others are still printed) or on bad input.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from karto_smtp.cli.collector import short_start
from karto_smtp.cli.options import config_option
from karto_smtp.dns_formats import FORMATS

if TYPE_CHECKING:
    from karto_smtp.config.loaded import LoadedConfig
    from karto_smtp.dns_formats import DomainRecords


async def _read(loaded: LoadedConfig) -> tuple[list[DomainRecords], list[str]]:
    """The records of each declared sender domain on SMTP2GO; the domains not there yet."""
    from karto_smtp.dns_formats import DomainRecords
    from karto_smtp.engine.address import Address
    from karto_smtp.engine.resource import Resource
    from karto_smtp.providers.registry import factory
    from karto_smtp.providers.smtp2go.fields import PROVIDER, SENDER_DOMAIN

    account = loaded.config.smtp2go
    assert account is not None
    # Built here rather than from the provider's desired state, which also resolves every
    # SMTP user's password: printing DNS records needs only the API key.
    domains = [
        Resource(Address(PROVIDER, SENDER_DOMAIN, d.domain.lower()), f"sender domain {d.domain}")
        for d in account.senders.domains
        if d.ensure == "present"
    ]
    if not domains:
        return [], []
    provider = factory("smtp2go").open(loaded, os.environ)
    try:
        live = await provider.read(domains)
    finally:
        await provider.aclose()
    found, missing = [], []
    for resource in domains:
        state = live.get(resource.address)
        if state is None:
            missing.append(resource.address.key)
            continue
        details = provider.details(resource, state)
        found.append(
            DomainRecords(
                resource.address.key, bool(details.get("verified")), details["dns_records"]
            )
        )
    return found, missing


@click.command()
@config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="zone",
    show_default=True,
    help="zone: BIND zone-file lines; json; octodns: YAML records; dnscontrol: D_EXTEND; "
    "terraform: hashicorp/dns dns_cname_record resources.",
)
@short_start
def dns(config_path: Path | None, fmt: str) -> None:
    """Print the DNS records SMTP2GO needs for each declared sender domain.

    Paste them into your DNS, then `karto-smtp apply` asks SMTP2GO to check them.
    """
    from karto_smtp.cli.session import load
    from karto_smtp.dns_formats import as_json, render

    loaded = load(config_path)
    if loaded.config.smtp2go is None:
        click.echo(f"{loaded.display} declares no SMTP2GO account: no sender domains.", err=True)
        return
    found, missing = asyncio.run(_read(loaded))
    if fmt == "json":
        from karto_smtp.views.envelope import dumps, envelope

        errors = [{"domain": d, "message": _missing_message(d)} for d in missing]
        status = "incomplete" if missing else "ok"
        click.echo(dumps(envelope("dns", status, {"dns": as_json(found)}, errors)), nl=False)
    else:
        click.echo(render(fmt, found), nl=False)
    for domain in missing:
        click.echo(f"Error: {_missing_message(domain)}", err=True)
    if not found and not missing:
        click.echo(
            f"{loaded.display} declares no sender domain (smtp2go.senders.domains).", err=True
        )
    if missing:
        sys.exit(1)


def _missing_message(domain: str) -> str:
    return (
        f"sender domain {domain} is not on SMTP2GO yet: `karto-smtp apply` adds it, and "
        "SMTP2GO then names its records"
    )
