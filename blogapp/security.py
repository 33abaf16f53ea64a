"""Hardening: security headers on every response, trusted hosts, proxies,
malformed requests turned away before any view sees them, the same-origin check
for forms that carry no token, and the secret key: taken from the settings, made
once per checkout for the ``flask`` command, and otherwise required (no server
starts without one). (What caches may keep is ``blogapp.page_cache``'s decision.)"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import click
from flask import Flask, abort, current_app, request
from flask.cli import FlaskGroup
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from blogapp.onion import is_onion_request

MIN_SECRET_KEY_LENGTH = 16
SECRET_KEY_FILE = "secret_key"  # in the instance folder, made by the flask command
# Keys that were public (the development default of earlier versions): never accepted.
PUBLIC_KEYS = frozenset({"dev-only-not-secret"})
MAX_PATH_LENGTH = 2048
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ConfigurationError(SystemExit):
    """Stops the process with a one-line message instead of a traceback.

    Exit status 3 is gunicorn's "worker failed to boot": the master stops
    rather than restarting workers that can never start."""

    def __init__(self, message: str) -> None:
        print(f"blogapp: error: {message}", file=sys.stderr, flush=True)
        super().__init__(3)
        self.message = message


def check_secret_key(app: Flask) -> None:
    """Make sure ``SECRET_KEY`` is a real secret, or stop with a one-line message.

    A key from the settings (environment, instance/config.py, the test mapping) is
    used as it is. Without one, the ``flask`` command (``flask run``, ``make run``,
    ``flask db upgrade`` ...) uses the checkout's own random key in
    ``instance/secret_key``, made on first use; with PRODUCTION on it does not.
    Anything else that builds the app (``wsgi:app`` under gunicorn, uwsgi,
    waitress, mod_wsgi ...) refuses to start: there is no shared development key
    that anyone could sign a session cookie with. Test suites (TESTING on) may pass
    a short fixed key; they still need one."""
    key = str(app.config.get("SECRET_KEY") or "")
    if not key and not app.config.get("PRODUCTION") and _under_flask_command():
        key = app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    too_short = len(key) < MIN_SECRET_KEY_LENGTH and not app.testing
    if not key or too_short or key in PUBLIC_KEYS:
        raise ConfigurationError(
            f"SECRET_KEY is missing, shorter than {MIN_SECRET_KEY_LENGTH} characters or a "
            "published example; set SECRET_KEY in the environment to a long random value, "
            "e.g. the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )


def _under_flask_command() -> bool:
    """True while Flask's own command line (``flask ...``) is building the app;
    a server that happens to use click for its options does not count."""
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.find_root().command, FlaskGroup)


def instance_secret_key(folder: Path) -> str:
    """The key in ``folder/secret_key``, made (random, mode 0600) when there is none.

    The file is written under a temporary name and linked into place, so two
    processes starting together (``flask run`` and its reloader) agree on one key."""
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{SECRET_KEY_FILE}.{os.getpid()}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)  # whatever the umask
            os.write(descriptor, (secrets.token_hex(32) + "\n").encode())
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(f"{path} holds no usable key; delete it and a new one is made")
    return key


def normalize_settings(app: Flask) -> None:
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):  # BLOGAPP_TRUSTED_HOSTS=example.com,www.example.com
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    app.config["TRUSTED_HOSTS"] = list(hosts) if hosts else None
    app.config.setdefault("REMEMBER_COOKIE_NAME", "remember_token")
    https_site = app.config["SITE_URL"].startswith("https://")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(name) is None:  # default: Secure when the site is served over HTTPS
            app.config[name] = https_site


def apply_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-For and -Proto from exactly PROXY_FIX_COUNT proxies.

    The Host header is not taken from X-Forwarded-Host: nginx passes the real
    one, and absolute URLs come from SITE_URL anyway."""
    count = int(app.config.get("PROXY_FIX_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _malformed_address(environ, config) -> int | None:
    """414 or 400 for an address no page has, else None."""
    query = environ.get("QUERY_STRING", "")
    if len(query) > config["MAX_QUERY_STRING_LENGTH"]:
        return 414
    raw_path = environ.get("PATH_INFO", "")
    if len(raw_path) > MAX_PATH_LENGTH:
        return 414
    if "\x00" in raw_path or "\x00" in query or "%00" in query:
        return 400
    if not raw_path.isascii() and not _is_utf8(raw_path.encode("latin-1", "replace")):
        return 400
    if "%" in query and not _is_utf8(unquote_to_bytes(query)):
        return 400
    return None


def well_formed_address(app: Flask, environ) -> bool:
    """A kept page's guard (``BlogFlask.guard_kept_pages``): a malformed address gets
    its 400 or 414 from ``reject_malformed_request``, never a kept page."""
    return _malformed_address(environ, app.config) is None


def reject_malformed_request() -> None:
    """400 for NUL bytes and bad UTF-8, 414 for absurd URLs, 413 for bodies over
    MAX_CONTENT_LENGTH, before any extension or view reads them."""
    req = request._get_current_object()  # runs for every request: one proxy lookup
    refused = _malformed_address(req.environ, current_app.config)
    if refused is not None:
        abort(refused)
    environ = req.environ
    length = environ.get("CONTENT_LENGTH")
    if length:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit and req.content_length and req.content_length > limit:
            abort(413)
    if req.method == "POST" and req.mimetype in FORM_CONTENT_TYPES:
        for key, values in req.form.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                abort(400)


def response_security_headers(app: Flask, secure: bool) -> list[tuple[str, str]]:
    """The headers every response carries; HSTS over HTTPS (or with secure cookies)."""
    headers = app.extensions["blogapp.security_headers"]
    config = app.config
    if config["HSTS_SECONDS"] and (secure or config["SESSION_COOKIE_SECURE"]):
        return [*headers, ("Strict-Transport-Security", f"max-age={int(config['HSTS_SECONDS'])}")]
    return headers


def add_security_headers(response):
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    if is_onion_request():
        # The onion is plain http (Tor encrypts it): HSTS there would name a scheme
        # the onion does not serve.
        present.add("strict-transport-security")
    for name, value in response_security_headers(current_app, request.is_secure):
        if name.lower() not in present:  # a view that set its own policy keeps it
            headers.add(name, value)
    return response


UNTRUSTED_HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad request</title></head>
<body><h1>Bad request</h1><p>This site does not answer to that host name.</p></body></html>
"""


def untrusted_host(error: SecurityError):
    # No URL can be built for a host that is not ours, so the page stands alone.
    return UNTRUSTED_HOST_PAGE, 400, {"Content-Type": "text/html; charset=utf-8"}


def register_security(app: Flask) -> None:
    app.extensions["blogapp.security_headers"] = [
        ("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"]),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", app.config["REFERRER_POLICY"]),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    app.register_error_handler(SecurityError, untrusted_host)
    # First of all before_request hooks: nothing else should parse a malformed request.
    app.before_request_funcs.setdefault(None, []).insert(0, reject_malformed_request)
    app.guard_kept_pages(well_formed_address)  # type: ignore[attr-defined]
    app.after_request(add_security_headers)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def is_same_origin() -> bool:
    """Whether a state-changing request comes from a page of this site, by the
    browser's own word: ``Sec-Fetch-Site``, else ``Origin``, else ``Referer``. A
    request that says none of them is refused (every current browser sends one)."""
    ours = {_origin(request.host_url), _origin(current_app.config["SITE_URL"])}
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is not None:
        return _origin(origin) in ours
    referer = request.headers.get("Referer")
    return bool(referer) and _origin(referer) in ours
