"""The sandbox's DNS: one zone for every name, filled by tests, admin routes and `sandbox dns`.

It stands for the public DNS that `karto-smtp check` asks (through the sandbox's resolver,
`karto_sandbox.dns.server`) and that the SMTP2GO emulator's domain verification looks at.
Nothing is in it at start: no public record is invented.

Faults make one name misbehave: "servfail" answers SERVFAIL, "timeout" never answers.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT")
FAULTS = ("servfail", "timeout")
Fault = Literal["servfail", "timeout"]
# How far a lookup follows CNAMEs inside the zone before it gives up (a loop).
MAX_CHAIN = 8


@dataclass(frozen=True)
class DnsRecord:
    name: str  # lower case, no trailing dot
    type: str
    value: str  # CNAME/MX targets without the trailing dot; TXT as one string

    def as_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What the resolver says for one question: `rcode` and the records, CNAMEs first."""

    rcode: Literal["NOERROR", "NXDOMAIN", "SERVFAIL"]
    records: tuple[DnsRecord, ...] = ()
    timeout: bool = False


def normalise_name(name: str) -> str:
    """A DNS name as the zone and SMTP2GO's domain list key it: no edge spaces, lower case,
    no root dot."""
    return name.strip().lower().rstrip(".")


def _record(name: str, kind: str, value: str) -> DnsRecord:
    kind = kind.strip().upper()
    if kind not in RECORD_TYPES:
        raise ValueError(f"record type {kind!r} is not one of {', '.join(RECORD_TYPES)}")
    host = normalise_name(name)
    if not host or any(not label for label in host.split(".")):
        raise ValueError(f"{name!r} is not a DNS name")
    text = value if kind == "TXT" else value.strip().rstrip(".")
    if kind in ("CNAME", "MX"):
        text = text.lower()
    if not text:
        raise ValueError(f"{kind} record for {host} needs a value")
    return DnsRecord(host, kind, text)


class DnsZone:
    """Thread-safe records and faults by name."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: list[DnsRecord] = []
        self._faults: dict[str, Fault] = {}

    # -- changing it ------------------------------------------------------------------
    def add(self, name: str, kind: str, value: str) -> DnsRecord:
        """Add one record; a CNAME replaces what the name held (a CNAME stands alone)."""
        record = _record(name, kind, value)
        with self._lock:
            if record.type == "CNAME":
                self._records = [r for r in self._records if r.name != record.name]
            else:
                self._records = [
                    r for r in self._records if not (r.name == record.name and r.type == "CNAME")
                ]
            if record not in self._records:
                self._records.append(record)
        return record

    def remove(self, name: str | None = None, kind: str | None = None) -> int:
        """Remove the records of `name` (of one `kind`), or every record; the count removed."""
        with self._lock:
            before = len(self._records)
            self._records = [
                r
                for r in self._records
                if not (
                    (name is None or r.name == normalise_name(name))
                    and (kind is None or r.type == kind.upper())
                )
            ]
            if name is None:
                self._faults.clear()
            return before - len(self._records)

    def set_fault(self, name: str, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)} or null")
        with self._lock:
            if fault is None:
                self._faults.pop(normalise_name(name), None)
            else:
                self._faults[normalise_name(name)] = fault  # type: ignore[assignment]

    def load_lines(self, text: str) -> list[DnsRecord]:
        """Add the records of BIND zone-file lines (`NAME [TTL] [IN] TYPE VALUE`).

        Names must be absolute (the lines `karto-smtp dns` prints are); `;` starts a comment.
        """
        added = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = _strip_comment(raw).strip()
            if not line:
                continue
            try:
                tokens = shlex.split(line, posix=True)
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from exc
            name, rest = tokens[0], tokens[1:]
            while rest and (rest[0].isdigit() or rest[0].upper() in ("IN", "CH", "HS")):
                rest = rest[1:]
            if len(rest) < 2:
                raise ValueError(f"line {number}: expected NAME [TTL] [IN] TYPE VALUE")
            kind, values = rest[0], rest[1:]
            if kind.upper() == "MX":
                values = values[-1:]
            value = "".join(values) if kind.upper() == "TXT" else values[0]
            try:
                added.append(self.add(name, kind, value))
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from exc
        return added

    # -- asking it --------------------------------------------------------------------
    def lookup(self, name: str, kind: str) -> Answer:
        """The answer a recursive resolver gives: CNAMEs followed inside the zone."""
        host = normalise_name(name)
        wanted = kind.upper()
        chain: list[DnsRecord] = []
        with self._lock:
            for _ in range(MAX_CHAIN):
                fault = self._faults.get(host)
                if fault == "timeout":
                    return Answer("SERVFAIL", timeout=True)
                if fault == "servfail":
                    return Answer("SERVFAIL")
                here = [r for r in self._records if r.name == host]
                cname = next((r for r in here if r.type == "CNAME"), None)
                if cname is not None and wanted != "CNAME":
                    chain.append(cname)
                    host = cname.value
                    continue
                matching = tuple(r for r in here if r.type == wanted)
                if matching or here or self._has_below(host):
                    return Answer("NOERROR", (*chain, *matching))
                # A CNAME to a name nobody publishes: the chain, and NXDOMAIN for its end.
                return Answer("NXDOMAIN", tuple(chain))
            return Answer("SERVFAIL")

    def cname_target(self, name: str) -> str | None:
        found = self.lookup(name, "CNAME")
        return next((r.value for r in found.records if r.type == "CNAME"), None)

    def _has_below(self, host: str) -> bool:
        return any(r.name.endswith("." + host) for r in self._records)

    # -- persistence ------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "records": [r.as_json() for r in self._records],
                "faults": dict(self._faults),
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        records = [_record(r["name"], r["type"], r["value"]) for r in state.get("records", [])]
        faults = dict(state.get("faults", {}))
        for fault in faults.values():
            if fault not in FAULTS:
                raise ValueError(f"unknown DNS fault {fault!r}")
        with self._lock:
            self._records = records
            self._faults = faults


def _strip_comment(line: str) -> str:
    """The line up to a `;` that is not inside a quoted string."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:index]
    return line
