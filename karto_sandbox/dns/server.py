"""A recursive resolver on loopback (UDP) that answers every question from a `DnsZone`.

`karto-smtp check` is pointed at it by KARTO_DNS_RESOLVER=127.0.0.1:PORT, which the stack
exports. It answers as a resolver does: CNAMEs followed, NXDOMAIN for a name nobody
publishes, SERVFAIL for a "servfail" fault, and silence for a "timeout" fault.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.TXT import TXT

from karto_sandbox.dns.zone import DnsRecord, DnsZone

log = logging.getLogger(__name__)

TTL = 300
POLL_SECONDS = 0.2
MAX_PACKET = 4096
_RCODES = {"NOERROR": dns.rcode.NOERROR, "NXDOMAIN": dns.rcode.NXDOMAIN}


def _rrset(record: DnsRecord) -> dns.rrset.RRset:
    name = dns.name.from_text(record.name)
    kind = dns.rdatatype.from_text(record.type)
    if record.type == "TXT":
        data = record.value.encode()
        chunks = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
        rdata: dns.rdata.Rdata = TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)
    else:
        text = record.value + "." if record.type in ("CNAME", "MX") else record.value
        if record.type == "MX" and " " not in text:
            text = "10 " + text
        rdata = dns.rdata.from_text(dns.rdataclass.IN, kind, text)
    found = dns.rrset.RRset(name, dns.rdataclass.IN, kind)
    found.update_ttl(TTL)
    found.add(rdata)
    return found


def answer(zone: DnsZone, wire: bytes) -> bytes | None:
    """The response to one query, or None to stay silent (a timeout, or not a query)."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:  # a malformed packet gets no answer, as from a real resolver
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.RA
    if len(query.question) != 1:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    found = zone.lookup(question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
    if found.timeout:
        return None
    if found.rcode == "SERVFAIL":
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()
    response.set_rcode(_RCODES[found.rcode])
    for record in found.records:
        response.answer.append(_rrset(record))
    return response.to_wire()


class DnsServer:
    """UDP on `host`, an ephemeral port by default; one thread answers every packet."""

    def __init__(self, zone: DnsZone, host: str = "127.0.0.1", port: int = 0) -> None:
        self.zone = zone
        self.host = host
        self._requested_port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.port = 0

    def start(self) -> DnsServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="sandbox-dns", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            readable, _, _ = select.select([sock], [], [], POLL_SECONDS)
            if not readable:
                continue
            try:
                wire, client = sock.recvfrom(MAX_PACKET)
            except OSError:
                continue
            try:
                reply = answer(self.zone, wire)
            except Exception as exc:  # one bad question must not stop the resolver
                log.debug("DNS answer failed: %r", exc)
                continue
            if reply is not None:
                try:
                    sock.sendto(reply, client)
                except OSError as exc:
                    log.debug("DNS reply not sent: %r", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._sock is not None:
            # An empty datagram wakes the select() at once instead of at its next timeout.
            with contextlib.suppress(OSError):
                self._sock.sendto(b"", (self.host, self.port))
        if self._thread is not None:
            self._thread.join(POLL_SECONDS * 5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
