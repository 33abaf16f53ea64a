"""A tiny authoritative DNS server on loopback (UDP, dnspython's message API) for the
tests of SPF, DKIM and DMARC lookups: it answers TXT questions from a dict the test
fills, NXDOMAIN for any other name, and never asks the internet."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def _chunks(text: str) -> list[str]:
    """A TXT record's strings hold 255 bytes each (a DKIM key needs two)."""
    return [text[i : i + 255] for i in range(0, len(text), 255)] or [""]


class DNSStub:
    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}  # name (no trailing dot, lower case) -> records
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # to notice the stop: closing does not wake recvfrom
        self.stopping = threading.Event()
        self.port = self.sock.getsockname()[1]
        self.questions: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DNSStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.questions.append(name)
            records = self.txt.get(name)
            if records is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                quoted = [" ".join(f'"{c}"' for c in _chunks(r)) for r in records]
                response.answer.append(
                    dns.rrset.from_text_list(
                        question.name, 60, dns.rdataclass.IN, dns.rdatatype.TXT, quoted
                    )
                )
            self.sock.sendto(response.to_wire(), peer)
