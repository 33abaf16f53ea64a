"""The mail domain's DNS records, read with dnspython: SPF (a TXT record starting
``v=spf1``), the DKIM key at ``<selector>._domainkey`` and DMARC at ``_dmarc``.
``HEALTH_NAMESERVERS`` chooses the servers asked (tests run a local one)."""

from __future__ import annotations

import dns.exception
import dns.resolver
from flask import current_app


class LookupFailed(Exception):
    """No answer could be had (timeout, a server failure): neither yes nor no."""


def resolver() -> dns.resolver.Resolver:
    config = current_app.config
    servers = list(config.get("HEALTH_NAMESERVERS") or ())
    found = dns.resolver.Resolver(configure=not servers)
    if servers:
        found.nameservers = [_host_port(server)[0] for server in servers]
        found.port = _host_port(servers[0])[1]
    found.lifetime = float(config["HEALTH_TIMEOUT"])
    return found


def txt_records(name: str) -> list[str]:
    """The TXT records at ``name``, each one's strings joined; [] when there are none."""
    try:
        answer = resolver().resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as error:
        raise LookupFailed(f"{name}: {error}") from error
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def dkim_dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
    """A ``dnsfunc`` for dkimpy's verifier that asks our resolver."""
    records = txt_records(name.decode().rstrip("."))
    return records[0].encode() if records else None


def tags(record: str) -> dict[str, str]:
    """``v=DKIM1; k=rsa; p=…`` as a dict (tag names lower case, spaces dropped)."""
    found = {}
    for part in record.split(";"):
        name, equals, value = part.partition("=")
        if equals:
            found[name.strip().lower()] = "".join(value.split())
    return found


def _host_port(server: str) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6 address]:port``; one port for all servers."""
    if server.startswith("["):
        host, _bracket, rest = server[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if server.count(":") == 1:
        host, _colon, port = server.partition(":")
        return host, int(port)
    return server, 53
