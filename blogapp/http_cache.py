"""Conditional GET for public pages and feeds: ``ETag`` and ``304 Not Modified``.

Every write that changes what readers see calls ``posts.queries.content_changed``,
which stores a new *content version* in the ``settings`` table, so every worker
and host sees it. A page's ETag is a hash of that version, the full URL and the
reader's CSRF token (the only session value an anonymous page carries). Checking
a conditional request costs one primary-key query at most and happens before the
view runs, so a 304 renders nothing. For CONTENT_VERSION_CACHE_SECONDS after a
worker read the version, a reader without cookies who sends a matching
If-None-Match is answered by a small WSGI layer in front of Flask
(``NotModified``) with no query at all, for less than Flask's own "hello world".

Readers with anything else in their session (logged in, pending comments,
flashed messages) or a remember-me cookie get fresh pages: no ETag and
``Cache-Control: private, no-cache``.

A scheduled post goes public with no write, so the stored version also holds
the time of the next scheduled post; once that time passes the version is
renewed by the first request that notices."""

from __future__ import annotations

import hashlib
import secrets
import time

from flask import Flask, current_app, g, request, session
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_etags
from werkzeug.wsgi import get_host

from blogapp.database import write_transaction
from blogapp.extensions import db
from blogapp.models import POST_PUBLISHED, Post, Setting, utcnow
from blogapp.page_cache import PageCache
from blogapp.site_settings import forget_stored_settings, stored_settings

VERSION_KEY = "content_version"
INITIAL_VERSION = "initial"
# Blueprints whose GET pages are never shared between readers, or that answer for themselves.
EXCLUDED_BLUEPRINTS = frozenset({"admin", "auth", "health", "media"})
# Session keys an anonymous reader may have: the CSRF token (part of the ETag, as pages
# with a form carry it) and flask-login's bookkeeping, which shows nothing on a page.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id"})

_CACHE_KEY = "blogapp.content_version"
_PAGES_KEY = "blogapp.pages"


def bump_content_version() -> str:
    """Store a new content version and commit the session.

    Call it when the change is made (it commits pending work with it)."""
    next_publish = db.session.scalar(
        select(func.min(Post.published_at)).where(
            Post.status == POST_PUBLISHED, Post.published_at > utcnow()
        )
    )
    value = secrets.token_hex(8)
    if next_publish is not None:
        value += f" {int(next_publish.timestamp())}"
    _store_version(value)
    db.session.commit()
    forget_stored_settings()
    _remember_version(value)
    return value


def _store_version(value: str) -> None:
    updated = db.session.execute(
        update(Setting).where(Setting.key == VERSION_KEY).values(value=value)
    )
    if updated.rowcount:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # Two workers may create the row at once; the later one simply wins.
    db.session.execute(
        insert(Setting)
        .values(key=VERSION_KEY, value=value)
        .on_conflict_do_update(index_elements=[Setting.key], set_={"value": value})
    )


def content_version() -> str | None:
    """The current version, read from the database (one primary-key query), renewed
    if a scheduled post has gone public since. None when it cannot be renewed right
    now (the page is then served fresh).

    The worker keeps what it read for CONTENT_VERSION_CACHE_SECONDS (one second by
    default) for ``NotModified``; pages that go through Flask always read it anew,
    so what they run does not depend on timing."""
    value = stored_settings().get(VERSION_KEY) or INITIAL_VERSION
    if _scheduled_post_due(value):
        current_app.extensions.pop(_CACHE_KEY, None)
        db.session.rollback()
        try:
            with write_transaction():
                return bump_content_version()
        except OperationalError:
            db.session.rollback()
            return None
    _remember_version(value)
    return value


def _remember_version(value: str) -> None:
    ttl = float(current_app.config["CONTENT_VERSION_CACHE_SECONDS"])
    if ttl > 0:
        current_app.extensions[_CACHE_KEY] = (value, time.monotonic() + ttl)


def _eligible() -> bool:
    return (
        request.method in ("GET", "HEAD")
        and request.endpoint is not None
        and request.endpoint != "static"
        and request.blueprint not in EXCLUDED_BLUEPRINTS
    )


def _reader_state() -> str | None:
    """What an anonymous page depends on, or None for a personal page."""
    if current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies:
        return None
    if not ANONYMOUS_SESSION_KEYS.issuperset(session.keys()):
        return None
    return str(session.get("csrf_token", ""))


def _scheduled_post_due(version: str) -> bool:
    _, _, next_publish = version.partition(" ")
    return bool(next_publish) and int(next_publish) <= time.time()


def etag_for(version: str, environ: dict, host: str, state: str) -> str:
    """The page's ETag: content version, full URL (from the raw request) and reader state."""
    raw = "\0".join((
        version, environ["wsgi.url_scheme"], host, environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), state,
    ))  # fmt: skip
    return hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _etag(version: str, state: str) -> str:
    return etag_for(version, request.environ, request.host, state)


def answer_if_not_modified():
    """before_request: 304 when the reader's copy is current, before any rendering."""
    if not _eligible():
        return None
    state = _reader_state()
    if state is None:
        g.http_cache_personal = True
        return None
    version = content_version()
    if version is None:
        return None
    etag = _etag(version, state)
    g.http_cache = (version, state, etag)
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        return current_app.response_class(status=304)
    pages = current_app.extensions.get(_PAGES_KEY)
    if pages is not None and state == "" and request.method == "GET":
        stored = pages.get(etag)
        if stored is not None:
            g.http_cache_from_pages = True
            return current_app.response_class(stored[0], mimetype=stored[1])
    return None


def add_validators(response):
    """after_request: ETag and Cache-Control on public pages, no-cache on personal ones."""
    if response.status_code not in (200, 304) or not _eligible():
        return response
    response.vary.add("Cookie")
    headers = response.headers
    if "Cache-Control" in headers or "ETag" in headers:
        return response  # the view decided for itself
    computed = g.get("http_cache")
    state = _reader_state()
    if g.get("http_cache_personal") or state is None or computed is None:
        headers["Cache-Control"] = "private, no-cache"
        return response
    version, state_before, etag = computed
    if state != state_before:  # the page gave this reader a CSRF token
        etag = _etag(version, state)
    headers["ETag"] = f'"{etag}"'
    # Keep it, but ask each time (a 304 is cheap); private when it holds a CSRF token.
    headers["Cache-Control"] = "private, no-cache" if state else "no-cache"
    _keep_page(response, etag, state)
    return response


def _keep_page(response, etag: str, state: str) -> None:
    """Store a page every cookie-less reader of this URL would get alike."""
    pages = current_app.extensions.get(_PAGES_KEY)
    if (
        pages is None
        or state != ""
        or session.modified
        or request.method != "GET"
        or response.status_code != 200
        or response.direct_passthrough
        or g.get("http_cache_from_pages")
        or "Set-Cookie" in response.headers
    ):
        return
    pages.put(etag, response.get_data(), response.mimetype)


class NotModified:
    """WSGI layer: 304 for a reader with no cookies whose copy is current, without
    entering Flask, when this worker read the content version moments ago.
    Everything else (and every miss) goes on to Flask, which does the full check.

    A match is safe to answer here: the ETag holds the version, the full URL and
    the reader's (empty) state, so the reader got it with a 200 from Flask for this
    very URL and content."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if (
            "HTTP_IF_NONE_MATCH" in environ
            and "HTTP_COOKIE" not in environ
            and environ["REQUEST_METHOD"] in ("GET", "HEAD")
        ):
            cached = self.app.extensions.get(_CACHE_KEY)
            if cached is not None and cached[1] > time.monotonic():
                headers = self._not_modified(environ, cached[0])
                if headers is not None:
                    start_response("304 NOT MODIFIED", headers)
                    if self.app.config["REQUEST_LOG"]:
                        from blogapp.request_log import log_line

                        log_line(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), 304, 0.0)
                    return []
        return self.wsgi_app(environ, start_response)

    def _not_modified(self, environ, version: str) -> list[tuple[str, str]] | None:
        if _scheduled_post_due(version):
            return None
        try:
            host = get_host(environ, self.app.config["TRUSTED_HOSTS"])
        except SecurityError:
            return None
        etag = etag_for(version, environ, host, "")
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        from blogapp.security import response_security_headers

        secure = environ["wsgi.url_scheme"] == "https"
        return [
            ("ETag", f'"{etag}"'), ("Cache-Control", "no-cache"), ("Vary", "Cookie"),
            *response_security_headers(self.app, secure),
        ]  # fmt: skip


def register_http_cache(app: Flask) -> None:
    if app.config["PAGE_CACHE_BYTES"] > 0:
        app.extensions[_PAGES_KEY] = PageCache(int(app.config["PAGE_CACHE_BYTES"]))
    app.before_request(answer_if_not_modified)
    app.after_request(add_validators)
    app.wsgi_app = NotModified(app, app.wsgi_app)  # type: ignore[method-assign]
