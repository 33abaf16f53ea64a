"""The onion service: which requests came through the onion listener, whose Tor
circuit each one is, and the ``Onion-Location`` header on the clearnet.

Tor hands each connection to nginx's onion listener with a PROXY protocol line
(``HiddenServiceExportCircuitID haproxy``) whose source address carries the circuit
id in its low 32 bits. nginx passes that address to the app in ``X-Onion-Circuit``
and proves the request came through that listener with ``X-Onion-Secret`` (the
value of ``ONION_PROXY_SECRET``; see deploy/nginx-blogapp-onion.conf). Both headers
are ignored on any other request: a clearnet client who sends them does not know
the secret. Throttles then count per circuit (``client_key``), so one Tor user's
flood does not lock every other Tor user out, as it would if all of them were
counted as nginx's 127.0.0.1.

The onion host answers only on the onion listener, and the onion listener answers
only for the onion host: the page cache (and nginx's) keys on the host, so neither
listener can fill the other's pages. Page links are relative, so they stay on the
host they were asked on; canonical links, feeds and mails keep ``SITE_URL``."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Flask, current_app, g, request
from werkzeug.exceptions import SecurityError

CIRCUIT_HEADER = "X-Onion-Circuit"
SECRET_HEADER = "X-Onion-Secret"
_SECRET_ENVIRON = "HTTP_" + SECRET_HEADER.upper().replace("-", "_")
_G_KEY = "blogapp_onion_circuit"
_NOT_ONION = ""


def onion_host(address: str | None) -> str:
    """``abc….onion`` from the setting, which may be written with ``http://`` and a path."""
    text = (address or "").strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0]


def normalize_onion_settings(app: Flask) -> None:
    host = app.config["ONION_ADDRESS"] = onion_host(app.config.get("ONION_ADDRESS"))
    if host and not host.endswith(".onion"):
        raise ValueError(f"ONION_ADDRESS {host!r} is not an .onion address")
    hosts = app.config.get("TRUSTED_HOSTS")
    if host and hosts and host not in hosts:
        hosts.append(host)


def _circuit_of(value: str) -> str:
    """The circuit id Tor put in the low 32 bits of the PROXY source address."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return value.strip()[:64] or "-"
    return format(int(address) & 0xFFFFFFFF, "08x")


def onion_circuit() -> str | None:
    """The Tor circuit of a request that came through the onion listener ("-" when
    Tor sent none), None for every other request."""
    found = g.get(_G_KEY)
    if found is None:
        found = _NOT_ONION
        secret = str(current_app.config.get("ONION_PROXY_SECRET") or "")
        sent = request.headers.get(SECRET_HEADER)
        if secret and sent is not None and hmac.compare_digest(sent.encode(), secret.encode()):
            found = _circuit_of(request.headers.get(CIRCUIT_HEADER, ""))
        setattr(g, _G_KEY, found)
    return found or None


def is_onion_request() -> bool:
    return onion_circuit() is not None


def reader_origin() -> str:
    """Where links a reader follows point: the onion for onion visitors, else SITE_URL."""
    host = current_app.config["ONION_ADDRESS"]
    if host and is_onion_request():
        return f"http://{host}"
    return current_app.config["SITE_URL"]


def client_key() -> str:
    """Whose attempts a throttle counts: the Tor circuit for onion visitors, else the
    client address (the real one only because ProxyFix is sized by PROXY_FIX_COUNT)."""
    circuit = onion_circuit()
    if circuit is not None:
        return f"onion:{circuit}"
    return request.remote_addr or "-"


def check_onion_host() -> None:
    """Each listener answers for its own host only (see the module's docstring)."""
    config = current_app.config  # runs for every request: one proxy lookup
    host = config["ONION_ADDRESS"]
    if not host and not config.get("ONION_PROXY_SECRET"):
        return
    asked = request.host.lower().rsplit(":", 1)[0] if request.host else ""
    if is_onion_request():
        if host and asked != host:
            raise SecurityError("the onion listener answers for the onion host only")
    elif host and asked == host:
        raise SecurityError("the onion host is served by the onion listener only")


def clearnet_request(app: Flask, environ) -> bool:
    """A kept page's guard (``BlogFlask.guard_kept_pages``): a request that may be the
    onion listener's, or ask for the onion host, goes through ``check_onion_host``."""
    config = app.config
    host = config["ONION_ADDRESS"]
    if not host and not config.get("ONION_PROXY_SECRET"):
        return True
    if _SECRET_ENVIRON in environ:
        return False
    asked = environ.get("HTTP_HOST", "").lower().rsplit(":", 1)[0]
    return bool(asked) and asked != host


def add_onion_location(response):
    """``Onion-Location`` on clearnet pages: Tor Browser offers the onion instead."""
    host = current_app.config["ONION_ADDRESS"]
    if host and not is_onion_request() and response.mimetype == "text/html":
        query = request.query_string.decode("latin-1")
        response.headers["Onion-Location"] = f"http://{host}{request.path}" + (
            f"?{query}" if query else ""
        )
    return response


def register_onion(app: Flask) -> None:
    """Call after the page cache's registration: the host check goes before its kept
    pages (right after the guard against malformed requests, which runs first of
    all), so neither listener is answered from the other's pages."""
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(1 if hooks else 0, check_onion_host)
    # Before the page cache keeps the response (after_request hooks run in reverse).
    app.after_request(add_onion_location)
    app.guard_kept_pages(clearnet_request)  # type: ignore[attr-defined]
