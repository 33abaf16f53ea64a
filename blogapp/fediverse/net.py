"""The one way the blog talks to other servers: fetching actors and keys, and
delivering activities. Every request

- resolves the host and refuses it when any address is private, loopback,
  link-local, multicast or reserved (``FEDIVERSE_ALLOW_LOOPBACK`` lets tests use
  127.0.0.1), then connects to the address it checked (no second lookup that a
  DNS answer could change in between);
- times out after ``FEDIVERSE_TIMEOUT`` seconds per step;
- reads at most ``FEDIVERSE_MAX_RESPONSE_BYTES``;
- follows at most ``FEDIVERSE_MAX_REDIRECTS`` redirects, each one checked again (a
  POST follows none)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from flask import current_app

USER_AGENT = "blogapp (+ActivityPub)"


class RefusedAddress(ValueError):
    """The URL is not one the blog will connect to (SSRF protection): never retried."""


class FetchError(OSError):
    """The other server could not be reached or answered badly."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


def _allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return not (ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global)  # fmt: skip


def resolve(host: str, port: int) -> str:
    """The address to connect to, once every address of ``host`` passed the check."""
    allow_loopback = bool(current_app.config["FEDIVERSE_ALLOW_LOOPBACK"])
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"cannot resolve {host}: {error}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchError(f"{host} has no address")
    refused = [a for a in addresses if not _allowed(a, allow_loopback)]
    if refused:
        raise RefusedAddress(f"{host} resolves to a non-public address ({refused[0]})")
    return addresses[0]


def check_url(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path-with-query of an http(s) URL the blog may fetch."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress(f"not an http(s) URL: {url[:200]!r}")
    if parts.username or parts.password:
        raise RefusedAddress("URLs with credentials are refused")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedAddress(f"bad port in {url[:200]!r}") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


class _Pinned(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def host_header(url: str) -> str:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname + (f":{parts.port}" if parts.port and parts.port != default else "")


def request(
    method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None
) -> Answer:
    """One request (no redirects); raises RefusedAddress or FetchError."""
    config = current_app.config
    scheme, host, port, path = check_url(url)
    address = resolve(host, port)
    timeout = float(config["FEDIVERSE_TIMEOUT"])
    limit = int(config["FEDIVERSE_MAX_RESPONSE_BYTES"])
    kind = _PinnedTLS if scheme == "https" else _Pinned
    connection = kind(host, port, address, timeout)
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent.setdefault("Host", host_header(url))
        if body is not None:
            sent["Content-Length"] = str(len(body))
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise FetchError(f"{host} answered more than {limit} bytes")
        data = response.read(limit + 1)
        if len(data) > limit:
            raise FetchError(f"{host} answered more than {limit} bytes")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      data, url)  # fmt: skip
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, FetchError):
            raise
        raise FetchError(f"{host}: {type(error).__name__}: {error}") from None
    finally:
        connection.close()


def get(url: str, headers_for=None) -> Answer:
    """A GET that follows a few redirects; ``headers_for(url)`` gives each hop's
    headers (a signed GET signs each URL it asks)."""
    for _ in range(int(current_app.config["FEDIVERSE_MAX_REDIRECTS"]) + 1):
        check_url(url)  # before headers_for, which expects a web address
        answer = request("GET", url, headers_for(url) if headers_for else None)
        if answer.status in (301, 302, 303, 307, 308) and answer.headers.get("location"):
            url = urljoin(url, answer.headers["location"])
            continue
        return answer
    raise FetchError("too many redirects")
