"""DMARC and SPF records read as receivers read them, and whether SMTP2GO's mail aligns.

DMARC (RFC 7489): the record at `_dmarc.<From domain>`, else at a parent domain (§6.6.3
looks at the organizational domain; without a public-suffix list this walks up the
parents to the registrable two labels, as DMARCbis's tree walk does). One record that
starts `v=DMARC1` counts; two or more mean no policy. `p` is the policy, `sp` the
policy for subdomains, `adkim`/`aspf` the alignment modes (r: relaxed, s: strict).

SMTP2GO signs DKIM with d=<sender domain> and sends with a return path under it
(em<N>.<sender domain>) once the domain is verified; for a single sender email it does
neither for the From domain. Relaxed alignment needs the same organizational domain,
strict the exact domain.
"""

from __future__ import annotations

from dataclasses import dataclass

POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class Dmarc:
    """A parsed DMARC record found at `at` (a `_dmarc.` name)."""

    at: str
    record: str
    policy: str  # none, quarantine or reject (an invalid p= reads as none)
    subdomain_policy: str
    adkim: str
    aspf: str

    def policy_for(self, domain: str) -> str:
        """The policy that applies to mail From `domain`."""
        own = self.at.removeprefix("_dmarc.") == domain
        return self.policy if own else self.subdomain_policy


def parse_dmarc(at: str, record: str) -> Dmarc:
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, _, value = part.partition("=")
        if key.strip():
            tags[key.strip().lower()] = value.strip().lower()
    policy = tags.get("p", "none")
    policy = policy if policy in POLICIES else "none"
    sub = tags.get("sp", policy)
    return Dmarc(
        at=at,
        record=record.strip(),
        policy=policy,
        subdomain_policy=sub if sub in POLICIES else policy,
        adkim="s" if tags.get("adkim") == "s" else "r",
        aspf="s" if tags.get("aspf") == "s" else "r",
    )


def is_dmarc(text: str) -> bool:
    return text.strip().lower().replace(" ", "").startswith("v=dmarc1")


def is_spf(text: str) -> bool:
    lowered = text.strip().lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def dmarc_names(domain: str) -> list[str]:
    """`_dmarc.` names to ask, the From domain first, then each parent down to two labels."""
    labels = domain.lower().rstrip(".").split(".")
    return ["_dmarc." + ".".join(labels[i:]) for i in range(max(len(labels) - 1, 1))]


def org_domain(domain: str) -> str:
    """Two last labels: a stand-in for the organizational domain (no public-suffix list)."""
    return ".".join(domain.lower().rstrip(".").split(".")[-2:])


def covering(domain: str, sender_domains: list[str]) -> str | None:
    """The sender domain `domain` is (or is under), the longest match."""
    domain = domain.lower()
    found = [d for d in sender_domains if domain == d or domain.endswith("." + d)]
    return max(found, key=len) if found else None


def aligned(from_domain: str, signing_domain: str, mode: str) -> bool:
    """RFC 7489 §3.1: strict needs the same domain, relaxed the same organizational one."""
    if mode == "s":
        return from_domain.lower() == signing_domain.lower()
    return org_domain(from_domain) == org_domain(signing_domain)
