"""The one way the blog talks to other servers: fetching actors and keys, and
delivering activities. Every request

- resolves the host and refuses it when any address is private, loopback,
  link-local, multicast or reserved (``FEDIVERSE_ALLOW_LOOPBACK`` lets tests use
  127.0.0.1), then connects to the address it checked (no second lookup that a
  DNS answer could change in between);
- ends at its deadline, ``FEDIVERSE_TIMEOUT`` seconds after it began unless the
  caller gives a shorter one: the name lookup, the connection, the TLS handshake,
  sending, and every read of the answer share it, and so do the hops of a redirect.
  A limit per read alone would let a server sending one byte a second hold the
  request (and the thread waiting on it) for as long as it likes;
- reads at most ``FEDIVERSE_MAX_RESPONSE_BYTES``;
- follows at most ``FEDIVERSE_MAX_REDIRECTS`` redirects, each one checked again (a
  POST follows none);
- goes through the HTTP CONNECT proxy ``OUTGOING_PROXY`` when one is set, so the
  other server sees the proxy's address, never the origin's."""

from __future__ import annotations

import base64
import concurrent.futures
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from flask import current_app

USER_AGENT = "blogapp (+ActivityPub)"


class RefusedAddress(ValueError):
    """The URL is not one the blog will connect to (SSRF protection): never retried."""


class FetchError(OSError):
    """The other server could not be reached or answered badly."""


@dataclass(frozen=True)
class Deadline:
    """When a request must be over: ``seconds`` after it began (monotonic time)."""

    seconds: float
    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    @classmethod
    def default(cls) -> Deadline:
        return cls.after(float(current_app.config["FEDIVERSE_TIMEOUT"]))

    def left(self) -> float:
        """Seconds left; TimeoutError when none are."""
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed")
        return remaining

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class _Deadlined:
    """A socket whose every send and receive waits only for what is left of the
    request's deadline (http.client reads through ``recv_into``)."""

    deadline: Deadline | None = None

    def _wait_left(self) -> None:
        if self.deadline is not None:
            self.settimeout(self.deadline.left())

    def recv_into(self, buffer, nbytes=0, flags=0):
        self._wait_left()
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data, flags=0):
        self._wait_left()
        return super().sendall(data, flags)


class _Socket(_Deadlined, socket.socket):
    pass


class _TLSSocket(_Deadlined, ssl.SSLSocket):
    pass


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
    return not (
        ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


_lookups: tuple[int, concurrent.futures.ThreadPoolExecutor] | None = None
_lookups_made = threading.Lock()


def _lookup_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads for name lookups (getaddrinfo takes no timeout), one pool per
    process: a forked worker cannot use its parent's threads."""
    global _lookups
    with _lookups_made:
        if _lookups is None or _lookups[0] != os.getpid():
            _lookups = (
                os.getpid(),
                concurrent.futures.ThreadPoolExecutor(
                    max_workers=4, thread_name_prefix="fediverse-lookup"
                ),
            )
        return _lookups[1]


def resolve(host: str, port: int, deadline: Deadline | None = None) -> str:
    """The address to connect to, once every address of ``host`` passed the check.
    A lookup still running at the deadline is left to finish on its own."""
    allow_loopback = bool(current_app.config["FEDIVERSE_ALLOW_LOOPBACK"])
    deadline = deadline or Deadline.default()
    lookup = _lookup_pool().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=deadline.left())
    except TimeoutError:
        raise FetchError(
            f"{host} timed out: its name was not found within {deadline.seconds:g} s"
        ) from None
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


def _open(address: str, port: int, deadline: Deadline) -> _Socket:
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    sock = _Socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(deadline.left())
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    sock.deadline = deadline
    return sock


def _connect(address: str, port: int, deadline: Deadline) -> _Socket:
    """A connection to the checked ``address``: direct, or through ``OUTGOING_PROXY``."""
    proxy = current_app.config.get("OUTGOING_PROXY")
    if not proxy:
        return _open(address, port, deadline)
    return _tunnel(proxy, address, port, deadline)


def _tunnel(proxy: str, address: str, port: int, deadline: Deadline) -> _Socket:
    """A CONNECT tunnel through the proxy to the address already checked: the proxy
    is trusted configuration (a loopback Tor or Squid is fine), the target is what
    the SSRF check judged, and the proxy is told the address rather than the name,
    so a DNS answer cannot change between the check and the connection."""
    parts = urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise FetchError(f"OUTGOING_PROXY must be http://host:port, not {proxy[:100]!r}")
    lookup = _lookup_pool().submit(
        socket.getaddrinfo, parts.hostname, parts.port or 8080, type=socket.SOCK_STREAM
    )
    try:
        proxy_address = lookup.result(timeout=deadline.left())[0][4][0]
    except (socket.gaierror, IndexError, UnicodeError) as error:
        raise FetchError(f"cannot resolve the outgoing proxy: {error}") from None
    sock = _open(proxy_address, parts.port or 8080, deadline)
    try:
        target = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
        if parts.username:
            login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            head += f"Proxy-Authorization: Basic {base64.b64encode(login.encode()).decode()}\r\n"
        sock.sendall((head + "\r\n").encode("latin-1"))
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(1024)
            if not chunk or len(answer) > 8192:
                raise FetchError("the outgoing proxy closed or answered badly")
            answer += chunk
        first_line = answer.split(b"\r\n", 1)[0]
        status = first_line.split()
        if len(status) < 2 or status[1] != b"200":
            raise FetchError(
                f"the outgoing proxy refused {target}: {first_line[:100].decode('latin-1')}"
            )
    except BaseException:
        sock.close()
        raise
    return sock


class _Pinned(http.client.HTTPConnection):
    """Connects to the address checked, within the deadline."""

    def __init__(self, host: str, port: int, address: str, deadline: Deadline) -> None:
        super().__init__(host, port, timeout=deadline.seconds)
        self.address, self.deadline = address, deadline

    def connect(self) -> None:
        self.sock = _connect(self.address, self.port, self.deadline)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, deadline: Deadline) -> None:
        context = ssl.create_default_context()
        context.sslsocket_class = _TLSSocket
        super().__init__(host, port, timeout=deadline.seconds, context=context)
        self.address, self.deadline = address, deadline

    def connect(self) -> None:
        sock = _connect(self.address, self.port, self.deadline)
        sock.settimeout(self.deadline.left())  # the handshake, as a whole, within it
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock.deadline = self.deadline


def host_header(url: str) -> str:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname + (f":{parts.port}" if parts.port and parts.port != default else "")


def request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    deadline: Deadline | None = None,
) -> Answer:
    """One request (no redirects), over by ``deadline`` (by default
    ``FEDIVERSE_TIMEOUT`` from now); raises RefusedAddress or FetchError."""
    config = current_app.config
    deadline = deadline or Deadline.default()
    scheme, host, port, path = check_url(url)
    address = resolve(host, port, deadline)
    limit = int(config["FEDIVERSE_MAX_RESPONSE_BYTES"])
    kind = _PinnedTLS if scheme == "https" else _Pinned
    connection = kind(host, port, address, deadline)
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
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data, url)
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, FetchError):
            raise
        if deadline.passed() or isinstance(error, TimeoutError):
            raise FetchError(
                f"{host} timed out: no full answer within {deadline.seconds:g} s"
            ) from None
        raise FetchError(f"{host}: {type(error).__name__}: {error}") from None
    finally:
        connection.close()


def get(url: str, headers_for=None, deadline: Deadline | None = None) -> Answer:
    """A GET that follows a few redirects, all within one deadline;
    ``headers_for(url)`` gives each hop's headers (a signed GET signs each URL it asks)."""
    deadline = deadline or Deadline.default()
    for _ in range(int(current_app.config["FEDIVERSE_MAX_REDIRECTS"]) + 1):
        check_url(url)  # before headers_for, which expects a web address
        answer = request("GET", url, headers_for(url) if headers_for else None, deadline=deadline)
        if answer.status in (301, 302, 303, 307, 308) and answer.headers.get("location"):
            url = urljoin(url, answer.headers["location"])
            continue
        return answer
    raise FetchError("too many redirects")
