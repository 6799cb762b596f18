"""A sender domain's DNS records in the forms DNS tools read: zone lines, JSON, octoDNS,
DNSControl and Terraform.

Records are the plan's `details.dns_records` (name, type, target, verified, purpose). Names
are absolute; the formats that want names relative to a zone use the sender domain as the
zone (a record of `mail.example.com` lands in zone `mail.example.com`, which DNSControl's
D_EXTEND and octoDNS both accept as a subdomain of a zone they manage).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("zone", "json", "octodns", "dnscontrol", "terraform")
TTL = 3600


@dataclass
class DomainRecords:
    domain: str
    verified: bool
    records: list[dict[str, Any]] = field(default_factory=list)


def _absolute(name: str) -> str:
    return name.rstrip(".") + "."


def _relative(name: str, zone: str) -> str:
    name = name.rstrip(".").lower()
    if name == zone:
        return "@"
    suffix = "." + zone
    return name[: -len(suffix)] if name.endswith(suffix) else _absolute(name)


def _status(record: dict[str, Any]) -> str:
    return "verified" if record["verified"] else "pending"


def zone_lines(domains: list[DomainRecords]) -> str:
    """BIND zone-file lines with absolute names: they paste into any zone file."""
    out: list[str] = []
    for item in domains:
        out.append(f"; SMTP2GO sender domain {item.domain}")
        for r in item.records:
            out.append(
                f"{_absolute(r['name'])} {TTL} IN {r['type']} {_absolute(r['target'])}"
                f" ; {r['purpose']}, {_status(r)}"
            )
    return "\n".join(out) + "\n" if out else ""


def as_json(domains: list[DomainRecords]) -> dict[str, Any]:
    return {
        "domains": [
            {"domain": d.domain, "verified": d.verified, "records": d.records} for d in domains
        ]
    }


def octodns(domains: list[DomainRecords]) -> str:
    """octoDNS YAML, one document per zone (the sender domain)."""
    docs = []
    for item in domains:
        lines = [f"# zone {item.domain}. (octoDNS YAML provider), SMTP2GO sender domain"]
        for r in item.records:
            lines += [
                f"{_relative(r['name'], item.domain)}:",
                f"  # {r['purpose']}, {_status(r)}",
                f"  type: {r['type']}",
                f"  ttl: {TTL}",
                f"  value: {_absolute(r['target'])}",
            ]
        docs.append("\n".join(lines) + "\n")
    return "---\n".join(docs)


def dnscontrol(domains: list[DomainRecords]) -> str:
    """DNSControl: D_EXTEND adds the records to a domain its dnsconfig.js already declares."""
    blocks = []
    for item in domains:
        lines = [f"// SMTP2GO sender domain {item.domain}", f'D_EXTEND("{item.domain}",']
        for r in item.records:
            lines.append(
                f'    {r["type"]}("{_relative(r["name"], item.domain)}", '
                f'"{_absolute(r["target"])}", TTL({TTL})), // {r["purpose"]}, {_status(r)}'
            )
        lines.append(");")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", text.lower()).strip("_")


def terraform(domains: list[DomainRecords]) -> str:
    """Terraform with the hashicorp/dns provider (RFC 2136 updates): one dns_cname_record
    per record, in the sender domain's zone."""
    blocks = []
    taken: set[str] = set()
    for item in domains:
        for r in item.records:
            name = base = _identifier(f"smtp2go_{r['purpose']}_{item.domain}")
            number = 1
            while name in taken:
                number += 1
                name = f"{base}_{number}"
            taken.add(name)
            blocks.append(
                f"# {r['purpose']} of SMTP2GO sender domain {item.domain}, {_status(r)}\n"
                f'resource "dns_cname_record" "{name}" {{\n'
                f'  zone  = "{_absolute(item.domain)}"\n'
                f'  name  = "{_relative(r["name"], item.domain)}"\n'
                f'  cname = "{_absolute(r["target"])}"\n'
                f"  ttl   = {TTL}\n"
                "}\n"
            )
    return "\n".join(blocks)


def render(fmt: str, domains: list[DomainRecords]) -> str:
    if fmt == "zone":
        return zone_lines(domains)
    if fmt == "octodns":
        return octodns(domains)
    if fmt == "dnscontrol":
        return dnscontrol(domains)
    if fmt == "terraform":
        return terraform(domains)
    return json.dumps(as_json(domains), indent=2) + "\n"
