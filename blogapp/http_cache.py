"""Conditional GET and kept pages for public pages and feeds.

Every write that changes what readers see calls ``posts.queries.content_changed``,
which stores a new *content version* in the ``settings`` table, so every worker
and host sees it. A page's ETag is a hash of that version, the full URL and the
reader's CSRF token (the only session value an anonymous page carries). Checking
a conditional request costs one primary-key query at most and happens before the
view runs, so a 304 renders nothing.

Pages every cookie-less reader of a URL gets alike are kept per worker under
their ETag (``PAGES_KEY``, a ``PageCache``); post pages are kept there too, with
holes for the comment form's per-reader tokens (``posts.post_pages``). For
CONTENT_VERSION_CACHE_SECONDS after a worker read the version, a reader without
cookies is answered by a small WSGI layer in front of Flask (``FastAnswers``):
a 304 for a current copy, or the kept page, with no query and no routing. So a
change made on another worker reaches that worker's cookie-less readers within
that time (one second by default); on the worker that made it, at once.

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
from werkzeug.utils import get_content_type
from werkzeug.wsgi import get_host

from blogapp.database import write_transaction
from blogapp.extensions import db
from blogapp.models import POST_PUBLISHED, Post, Setting, utcnow
from blogapp.page_cache import PageCache, RenderOnce
from blogapp.site_settings import forget_stored_settings, stored_settings

VERSION_KEY = "content_version"
INITIAL_VERSION = "initial"
# Blueprints whose GET pages are never shared between readers, or that answer for themselves.
EXCLUDED_BLUEPRINTS = frozenset({"admin", "auth", "health", "media"})
# Session keys an anonymous reader may have: the CSRF token (part of the ETag, as pages
# with a form carry it) and flask-login's bookkeeping, which shows nothing on a page.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id"})

_CACHE_KEY = "blogapp.content_version"
PAGES_KEY = "blogapp.pages"
_RENDERS_KEY = "blogapp.renders"


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
    default) for ``FastAnswers``; pages that go through Flask always read it anew,
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
    # Where a page every cookie-less reader gets alike is kept (post pages use it too).
    g.http_cache_shared_key = etag if state == "" else _etag(version, "")
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        return current_app.response_class(status=304)
    pages = current_app.extensions.get(PAGES_KEY)
    if pages is not None and state == "" and request.method == "GET":
        stored = pages.get(etag)
        if stored is None and current_app.extensions[_RENDERS_KEY].acquire(etag):
            g.http_cache_rendering = etag  # released in teardown_request
            stored = pages.get(etag)  # another thread may have rendered it meanwhile
        if stored is not None and stored[2] is None:  # post pages are filled in by the view
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
    pages = current_app.extensions.get(PAGES_KEY)
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


class FastAnswers:
    """WSGI layer for readers with no cookies, while this worker's copy of the
    content version is fresh: a 304 when their copy is current, else the page this
    worker keeps for the URL, without entering Flask. Everything else (and every
    miss) goes on to Flask, which does the full check.

    Both are safe to answer here: the ETag holds the version, the full URL and the
    reader's (empty) state, so the page was served with a 200 by Flask for this
    very URL and content, through every check a request passes."""

    def __init__(self, app: Flask, wsgi_app, fill_holes) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.fill_holes = fill_holes  # posts.post_pages.fill_holes (imported late: a cycle)

    def __call__(self, environ, start_response):
        if (
            "HTTP_COOKIE" not in environ
            and environ["REQUEST_METHOD"] in ("GET", "HEAD")
            and environ.get("CONTENT_LENGTH", "0") in ("", "0")
        ):
            answered = self._answer(environ, start_response)
            if answered is not None:
                status, body = answered
                if self.app.config["REQUEST_LOG"]:
                    from blogapp.request_log import log_line

                    log_line(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), status, 0.0)
                return body
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ, start_response) -> tuple[int, list[bytes]] | None:
        cached = self.app.extensions.get(_CACHE_KEY)
        if cached is None or cached[1] <= time.monotonic() or _scheduled_post_due(cached[0]):
            return None
        try:
            host = get_host(environ, self.app.config["TRUSTED_HOSTS"])
        except SecurityError:
            return None
        etag = etag_for(cached[0], environ, host, "")
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            start_response("304 NOT MODIFIED", self._headers(environ, etag, "no-cache"))
            return 304, []
        pages = self.app.extensions.get(PAGES_KEY)
        if pages is None or environ["REQUEST_METHOD"] != "GET":
            return None
        stored = pages.get(etag)
        if stored is None:
            return None
        body, mimetype, post_id = stored
        if post_id is not None:
            response = self._post_page(environ, cached[0], host, body, mimetype, post_id)
            return 200, response(environ, start_response)
        headers = self._headers(environ, etag, "no-cache")
        headers += [("Content-Type", get_content_type(mimetype, "utf-8")),
                    ("Content-Length", str(len(body)))]  # fmt: skip
        start_response("200 OK", headers)
        return 200, [body]

    def _post_page(self, environ, version: str, host: str, body: bytes, mimetype: str,
                   post_id: int):
        """A kept post page with this reader's own form tokens, and the session cookie
        that holds their CSRF token, as Flask would have answered."""
        app = self.app
        # A fresh app context, as Flask gives every request (flask-wtf keeps the token in g).
        with app.app_context(), app.request_context(environ):
            body = self.fill_holes(body, post_id)
            state = _reader_state() or ""
            headers = self._headers(
                environ, etag_for(version, environ, host, state),
                "private, no-cache" if state else "no-cache",
            )  # fmt: skip
            response = app.response_class(body, headers=headers, mimetype=mimetype)
            app.session_interface.save_session(app, session, response)
        return response

    def _headers(self, environ, etag: str, cache_control: str) -> list[tuple[str, str]]:
        from blogapp.security import response_security_headers

        secure = environ["wsgi.url_scheme"] == "https"
        return [
            ("ETag", f'"{etag}"'), ("Cache-Control", cache_control), ("Vary", "Cookie"),
            *response_security_headers(self.app, secure),
        ]  # fmt: skip


def _end_render(exc: BaseException | None = None) -> None:
    key = g.pop("http_cache_rendering", None)
    if key is not None:
        current_app.extensions[_RENDERS_KEY].release(key)


def register_http_cache(app: Flask) -> None:
    if app.config["PAGE_CACHE_BYTES"] > 0:
        app.extensions[PAGES_KEY] = PageCache(int(app.config["PAGE_CACHE_BYTES"]))
        app.extensions[_RENDERS_KEY] = RenderOnce()
    app.before_request(answer_if_not_modified)
    app.teardown_request(_end_render)
    app.after_request(add_validators)
    from blogapp.posts.post_pages import fill_holes

    app.wsgi_app = FastAnswers(app, app.wsgi_app, fill_holes)  # type: ignore[method-assign]
