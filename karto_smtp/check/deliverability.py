"""The rows that say whether mail lands in the inbox: each sender domain's CNAMEs in live
DNS, each project's From domain (DMARC, SPF) and the verdict on alignment.

Every DNS question is asked once, all at once, before any row is made; a resolver error
or timeout is a yellow row, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from karto_smtp.check import dns_lookup
from karto_smtp.check.dmarc import (
    Dmarc,
    aligned,
    covering,
    dmarc_names,
    is_dmarc,
    is_spf,
    parse_dmarc,
)
from karto_smtp.check.report import Row, Status

if TYPE_CHECKING:
    from karto_smtp.check.dns_lookup import Answer
    from karto_smtp.check.smtp2go_probe import AccountView
    from karto_smtp.check.targets import CheckTargets, ProjectTarget

DNS_TOOL = "`karto-smtp dns` prints them for your DNS tool"
OWN_DOMAIN_FIX = (
    "send from a domain you control: declare it under smtp2go.senders.domains, run "
    "`karto-smtp apply`, publish its records (`karto-smtp dns`) and set admin_email to an "
    "address there"
)


@dataclass(frozen=True)
class DomainState:
    """One declared sender domain as SMTP2GO lists it, and what live DNS shows of it."""

    domain: str
    records: list[dict[str, Any]]
    smtp2go_verified: bool
    dns_ok: bool


class Deliverability:
    def __init__(
        self,
        targets: CheckTargets,
        view: AccountView | None,
        view_problem: str,
        environ: Mapping[str, str],
        timeout: float,
    ) -> None:
        from karto_smtp.providers.smtp2go.fields import domain_records

        self.targets = targets
        self.view = view
        self.view_problem = view_problem
        self.environ = environ
        self.where = dns_lookup.where(environ)
        self.domains = sorted(targets.declared_domains)
        self.records: dict[str, list[dict[str, Any]]] = {}
        if view is not None:
            for name in self.domains:
                entry = view.domains.get(name)
                if entry is not None:
                    self.records[name] = domain_records(entry)
        questions: list[tuple[str, str]] = [
            (r["name"], "CNAME") for records in self.records.values() for r in records
        ]
        for project in targets.projects:
            from_domain = _from_domain(project)
            if from_domain:
                questions += [(n, "TXT") for n in dmarc_names(from_domain)]
                questions.append((from_domain, "TXT"))
        self.answers = dns_lookup.lookup_all(questions, environ, timeout)
        self.states = {name: self._state(name) for name in self.records}

    def _answer(self, name: str, kind: str) -> Answer:
        return self.answers[(name.lower().rstrip("."), kind)]

    # -- sender domains -----------------------------------------------------------------
    def _state(self, domain: str) -> DomainState:
        records = self.records[domain]
        entry = self.view.domains[domain] if self.view is not None else {}
        inner = entry.get("domain") or {}
        verified = bool(inner.get("dkim_verified")) and bool(inner.get("rpath_verified"))
        ok = all(self._cname_ok(r) for r in records)
        return DomainState(domain, records, verified, ok)

    def _cname_ok(self, record: dict[str, Any]) -> bool:
        answer = self._answer(record["name"], "CNAME")
        return answer.outcome == "found" and record["target"].lower() in answer.values

    def domain_rows(self) -> list[Row]:
        return [self._domain_row(name) for name in self.domains]

    def _domain_row(self, domain: str) -> Row:
        if self.view is None or self.view.domains_error is not None:
            problem = self.view_problem or (self.view.domains_error if self.view else "")
            return Row.skipped(
                "dns", domain, f"skipped: SMTP2GO's API names the records to look for; {problem}"
            )
        if domain not in self.records:
            return Row(
                "dns",
                domain,
                "fail",
                None,
                f"SMTP2GO has no sender domain {domain}",
                f"`karto-smtp apply` adds it; then publish its records ({DNS_TOOL})",
            )
        parts, failed, unanswered = [], False, False
        for record in self.records[domain]:
            answer = self._answer(record["name"], "CNAME")
            expected = f"{record['name']} CNAME {record['target']}"
            if self._cname_ok(record):
                parts.append(f"{expected}: published")
            elif answer.outcome == "error":
                unanswered = True
                parts.append(f"{expected}: not answered ({answer.error})")
            elif answer.outcome == "found":
                failed = True
                parts.append(f"{expected}: points to {', '.join(answer.values)} instead")
            else:
                failed = True
                parts.append(f"{expected}: missing")
        detail = "; ".join(parts) + f" (asked {self.where})"
        state = self.states[domain]
        if failed:
            fix = (
                f"publish the records marked missing or wrong ({DNS_TOOL}), then "
                "`karto-smtp apply` asks SMTP2GO to check them"
            )
            return Row("dns", domain, "fail", None, detail, fix)
        if unanswered:
            return Row("dns", domain, "warn", None, detail, _resolver_fix(self.environ))
        if not state.smtp2go_verified:
            return Row(
                "dns",
                domain,
                "warn",
                None,
                detail + "; SMTP2GO has not verified the domain yet",
                "`karto-smtp apply` asks SMTP2GO to check the records now (it also checks "
                "every few minutes by itself)",
            )
        return Row("dns", domain, "pass", None, detail + "; SMTP2GO verified the domain")

    # -- a project's From domain --------------------------------------------------------
    def project_rows(self, project: ProjectTarget) -> list[Row]:
        from_domain = _from_domain(project)
        subject = project.label
        if not from_domain:
            why = "skipped: no admin_email declared"
            return [Row.skipped(link, subject, why) for link in ("dmarc", "spf", "alignment")]
        owned = covering(from_domain, self.domains) is not None
        dmarc, dmarc_row = self._dmarc_row(project, from_domain, owned)
        return [
            dmarc_row,
            self._spf_row(project, from_domain, owned),
            self._alignment_row(project, from_domain, dmarc),
        ]

    def _dmarc_row(
        self, project: ProjectTarget, domain: str, owned: bool
    ) -> tuple[Dmarc | None, Row]:
        subject = project.label
        asked = []
        for name in dmarc_names(domain):
            asked.append(name)
            answer = self._answer(name, "TXT")
            if answer.outcome == "error":
                detail = f"could not ask DNS for {name}: {answer.error} (asked {self.where})"
                return None, Row(
                    "dmarc", subject, "warn", None, detail, _resolver_fix(self.environ)
                )
            records = [v for v in answer.values if is_dmarc(v)]
            if len(records) > 1:
                detail = (
                    f"{name} has {len(records)} DMARC records: receivers ignore them all "
                    "(RFC 7489 section 6.6.3), so no policy applies"
                )
                if owned:
                    return None, Row(
                        "dmarc", subject, "fail", None, detail, f"keep one TXT record at {name}"
                    )
                return None, Row.skipped("dmarc", subject, detail + f" ({domain} is not yours)")
            if records:
                found = parse_dmarc(name, records[0])
                policy = found.policy_for(domain)
                detail = f"{name}: {found.record} (policy for {domain}: {policy})"
                return found, Row("dmarc", subject, "pass", None, detail)
        tried = ", ".join(asked)
        if owned:
            detail = f"no DMARC record for {domain} (asked {tried})"
            fix = (
                f'publish `_dmarc.{domain}. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc@{domain}"` '
                "and tighten p= once the reports are clean: Gmail and Yahoo require DMARC from "
                "bulk senders"
            )
            return None, Row("dmarc", subject, "warn", None, detail, fix)
        detail = (
            f"{domain} publishes no DMARC record (asked {tried}); it is not a domain karto.yaml "
            "declares, so its owner decides: see the alignment row"
        )
        return None, Row.skipped("dmarc", subject, detail)

    def _spf_row(self, project: ProjectTarget, domain: str, owned: bool) -> Row:
        subject = project.label
        answer = self._answer(domain, "TXT")
        if answer.outcome == "error":
            detail = f"could not ask DNS for {domain} TXT: {answer.error} (asked {self.where})"
            return Row("spf", subject, "warn", None, detail, _resolver_fix(self.environ))
        records = [v for v in answer.values if is_spf(v)]
        via_return_path = (
            "; SMTP2GO's mail is checked against its return path under the sender domain, "
            "not against this record"
        )
        if len(records) == 1:
            return Row(
                "spf", subject, "pass", None, f"{domain}: {records[0]}" + via_return_path * owned
            )
        if len(records) > 1:
            detail = (
                f"{domain} has {len(records)} SPF records: SPF fails with a permanent error "
                "for all of them (RFC 7208 section 4.5)"
            )
            if owned:
                return Row("spf", subject, "fail", None, detail, "merge them into one record")
            return Row.skipped("spf", subject, detail + f" ({domain} is not yours)")
        if owned:
            return Row(
                "spf",
                subject,
                "warn",
                None,
                f"no SPF record at {domain}",
                f"publish one TXT record at {domain} starting `v=spf1` that lists the servers "
                f"sending as {domain} (SMTP2GO needs nothing there: its return-path CNAME "
                "covers SPF); Gmail requires SPF or DKIM from every sender",
            )
        return Row.skipped(
            "spf",
            subject,
            f"{domain} publishes no SPF record; it is not a domain karto.yaml declares",
        )

    def _alignment_row(self, project: ProjectTarget, domain: str, dmarc: Dmarc | None) -> Row:
        subject = project.label
        sender = project.smtp.admin_email
        if not project.smtp.via_smtp2go:
            return Row.skipped(
                "alignment",
                subject,
                "skipped: the relay is not SMTP2GO, so karto-smtp cannot tell which domain it "
                "signs for",
            )
        sender_domain = covering(domain, self.domains)
        if sender_domain is not None:
            state = self.states.get(sender_domain)
            if state is None:
                why = self.view_problem or f"SMTP2GO has no sender domain {sender_domain}"
                return Row(
                    "alignment",
                    subject,
                    "warn",
                    None,
                    f"not aligned yet: {why}",
                    f"`karto-smtp apply` adds {sender_domain}; then publish its records "
                    f"({DNS_TOOL})",
                )
            if not (state.smtp2go_verified and state.dns_ok):
                return Row(
                    "alignment",
                    subject,
                    "warn",
                    None,
                    f"not aligned yet: {sender_domain} is declared, but its records are not all "
                    "published and verified (see the dns row)",
                    f"publish them ({DNS_TOOL}), then `karto-smtp apply` asks SMTP2GO to check",
                )
            adkim = dmarc.adkim if dmarc else "r"
            aspf = dmarc.aspf if dmarc else "r"
            return_path = next(
                (r["name"] for r in state.records if r["purpose"] == "return path"), sender_domain
            )
            via = []
            if aligned(domain, sender_domain, adkim):
                via.append(f"SMTP2GO signs DKIM as d={sender_domain}")
            if aligned(domain, return_path, aspf):
                via.append(f"its return path {return_path} passes SPF")
            if via:
                return Row(
                    "alignment",
                    subject,
                    "pass",
                    None,
                    f"aligned: mail from {sender} passes DMARC: {' and '.join(via)}",
                )
            return self._not_aligned(
                subject,
                domain,
                dmarc,
                f"{domain}'s DMARC record asks for strict alignment (adkim=s, aspf=s), which "
                f"d={sender_domain} and {return_path} do not meet",
                f"send from an address at {sender_domain} itself, or relax adkim in the "
                "DMARC record",
            )
        return self._not_aligned(
            subject,
            domain,
            dmarc,
            f"{sender} is a single sender: SMTP2GO signs its mail with its own domain and "
            f"returns bounces to its own, never as {domain}",
            OWN_DOMAIN_FIX,
        )

    @staticmethod
    def _not_aligned(subject: str, domain: str, dmarc: Dmarc | None, why: str, fix: str) -> Row:
        policy = dmarc.policy_for(domain) if dmarc else None
        if policy == "reject":
            verdict = f"{domain} publishes p=reject, so receivers that enforce DMARC refuse it"
        elif policy == "quarantine":
            verdict = f"{domain} publishes p=quarantine, so receivers put it in spam"
        else:
            verdict = (
                "Gmail and Yahoo require alignment from bulk senders, and treat a free "
                "mailbox's mail from elsewhere as spoofed"
            )
        status: Status = "fail" if policy in ("reject", "quarantine") else "warn"
        detail = f"not aligned: mail may land in spam or be refused ({verdict}); {why}"
        return Row("alignment", subject, status, None, detail, fix)


def _from_domain(project: ProjectTarget) -> str | None:
    sender = project.smtp.admin_email
    if not sender or "@" not in sender:
        return None
    return sender.rpartition("@")[2].strip().lower().rstrip(".") or None


def _resolver_fix(environ: Mapping[str, str]) -> str:
    if environ.get(dns_lookup.RESOLVER_ENV):
        return (
            f"check {dns_lookup.RESOLVER_ENV} (HOST:PORT of a resolver that answers), then run "
            "check again"
        )
    return (
        "check this machine's DNS resolver (or point KARTO_DNS_RESOLVER at one), then run "
        "check again"
    )
