"""Public pages: the same bytes for every reader without a session, said so in
their headers, and kept by each worker.

A reader is anonymous when the request carries neither the session cookie nor the
remember-me cookie. Their pages hold nothing personal (the comment form has no CSRF
token: ``comments`` checks the origin instead), so each GET or HEAD of a public page
is looked up, before Flask-Limiter or any view runs, under the content version
(``blogapp.content_version``), the host, the path and the query parameters pages
read (``KEY_PARAMS``: ``utm_*`` and the like change nothing and are left out;
``?lang=`` counts only as a language the interface speaks, since it chooses the
interface's language, ``blogapp.interface_language``). A hit costs no query while
the worker trusts its version; a miss renders, and a 200 that set no cookie is kept
(cachetools in each worker, or Redis through Flask-Caching when ``REDIS_URL`` is
set, shared by every host) for PAGE_CACHE_SECONDS at most, so the comment form's
signed "served at" stamp is never older than that. A worker renders each missing
page once at a time (``RenderTurns``): readers who ask for it meanwhile wait for
that render, as nginx's ``proxy_cache_lock`` does, instead of all rendering it at
once after each change. Any change readers can see makes a new version and so new
keys: nothing is forgotten by hand, and old entries age out.

Most hits never reach Flask's routing: ``BlogFlask.wsgi_app`` answers a GET or HEAD
with no body and no session cookie from a page that is kept and current before Flask
builds the request (``answer_early``); the rest goes through ``serve_kept_page``.

Every anonymous answer says ``Cache-Control: public, max-age=0, s-maxage=N,
stale-while-revalidate=M, stale-if-error=K`` with a strong ETag (a hash of the
bytes), so nginx (``deploy/``) or a CDN serves it for N seconds and browsers
revalidate with ``If-None-Match``, answered 304. Pages for a reader with a
session, and everything in ``PRIVATE_BLUEPRINTS`` (and a feature's own admin blueprints,
``blogapp.registry``), are ``private, no-store``;
``SELF_CACHED_BLUEPRINTS`` (static files, uploads, the health check) set their
own headers."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache
from flask import Flask, Request, Response, current_app, g, request, session
from werkzeug.datastructures import Headers
from werkzeug.exceptions import SecurityError

from blogapp.content_version import (
    EVERYTHING,
    SITE,
    Versions,
    clock,
    page_comments_scope,
    scope_token,
    versions,
)
from blogapp.interface_language import INTERFACE_LANGUAGES

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PRIVATE_BLUEPRINTS = frozenset({"admin", "auth", "moderation", "preview"})
SELF_CACHED_BLUEPRINTS = frozenset({"media", "cards", "health", "fediverse"})
# Query parameters some public page reads; any other is left out of the cache key.
KEY_PARAMS = frozenset({"s", "p", "page_id", "cpage", "replytocom", "lang"})
KEPT_STATUSES = frozenset({200, 301})
# What a hit answers with, as the render wrote it: the security headers too (they ran
# before ``label_response``), so a hit adds none.
KEPT_HEADERS = frozenset(
    {
        "Content-Type",
        "Location",
        "Content-Language",
        "Link",
        "X-Robots-Tag",
        "ETag",
        "Cache-Control",
        "Vary",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Strict-Transport-Security",
    }
)
# What a 304 carries (RFC 9110 15.4.5): the cache refreshes the rest from its copy.
NOT_MODIFIED_HEADERS = frozenset({"ETag", "Cache-Control", "Vary", "Content-Location", "Expires"})
_STORE = "blogapp.page_store"
_TURNS = "blogapp.page_render_turns"
_PARTS = "blogapp.page_parts"
_ENCODED = "blogapp.page_parts_encoded"
_ANSWERS = "blogapp.page_parts_answers"
_MAX_ANSWERS = 4096
_RULES = "blogapp.page_kept_rules"
# Where a part goes in a page being rendered: unknown outside this process, so no
# text a writer or reader types can be taken for one.
_MARK = secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class KeptPage:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    # What the page shows besides the site (``blogapp.content_version``): all comments,
    # or one post's; the page is a miss once that scope's version is not ``token``.
    scope: str | tuple = EVERYTHING
    token: str = ""
    # A page with parts (``part()``): ``body`` is empty, ``chunks`` are the bytes around
    # the parts, each part is (name, argument), filled in anew on each hit.
    chunks: tuple[bytes, ...] = ()
    parts: tuple[tuple[str, str], ...] = ()
    # The endpoint that rendered it: what a request answered before Flask's routing
    # is named by (``answer_early``).
    route: str = ""

    @property
    def not_modified_headers(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.headers if k in NOT_MODIFIED_HEADERS]


class _KeptHeaders(Headers):
    """Headers Werkzeug already checked when the render set them (no line breaks, only
    text): taken as they are, not checked one by one again on every hit."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        super().__init__()
        self._list = list(items)


class KeptResponse(Response):
    """A page answered from the page cache. Its headers were decided when it was kept,
    so ``BlogFlask`` sends it without running the after_request hooks again, and, but for
    a redirect (whose Location Werkzeug turns from IRI to URI), as they are."""

    def __init__(self, body: bytes, status: int, headers: Iterable[tuple[str, str]]) -> None:
        if status == 304:
            # No body and none of the body's headers (RFC 9110 15.4.5): what
            # Response.__init__ sets, without the default Content-Type it would add.
            self.headers = _KeptHeaders(headers)
            self.status = status
            self.direct_passthrough = False
            self._on_close = []
            self.response = []
        else:  # Content-Length is set with the body
            super().__init__(body, status=status, headers=_KeptHeaders(headers))

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        if self.status_code in (200, 304):
            return self.headers
        return super().get_wsgi_headers(environ)


class BlogFlask(Flask):
    """Flask, but a kept page skips ``process_response`` (the after_request hooks and
    saving a session it never had): on a hit that is most of what a request costs."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable, Callable] = {}
        self._on_start: list[Callable[[Flask, Request, Any], None]] = []
        self._on_finish: list[Callable[[Flask, Request, Any, Response], None]] = []
        self._kept_page_guards: list[Callable[[Flask, WSGIEnvironment], bool]] = []

    def observe_requests(
        self,
        start: Callable[[Flask, Request, Any], None] | None = None,
        finish: Callable[[Flask, Request, Any, Response], None] | None = None,
    ) -> None:
        """``start(app, request, g)`` as each request begins and ``finish(app, request,
        g, response)`` once its response is made, kept pages included (where Flask's
        ``request_started`` and ``request_finished`` signals are sent, and for a kept
        page answered before Flask's request, see ``wsgi_app``): the request log and
        the metrics. Called directly, not through blinker, whose dispatch cost a kept
        page a tenth of its instructions."""
        if start is not None:
            self._on_start.append(start)
        if finish is not None:
            self._on_finish.append(finish)

    def guard_kept_pages(self, guard: Callable[[Flask, WSGIEnvironment], bool]) -> None:
        """``guard(app, environ)`` is False for a request that a before_request hook
        of its feature might refuse: such a request is never answered before Flask's
        request (``wsgi_app``), so the hook sees it."""
        self._kept_page_guards.append(guard)

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse):
        # A kept page asked for again (most of what readers ask for, with Facebook's
        # fbclid or not) is answered from the page cache before Flask builds its
        # request: routing, the request context and the hooks cost a 304 twice what the
        # rest of it does. Anything the page cache cannot answer that way goes through
        # Flask as before.
        if _may_answer_early(self, environ):
            answer = self._answer_kept_page(environ)
            if answer is not None:
                return answer(environ, start_response)
        return super().wsgi_app(environ, start_response)

    def _answer_kept_page(self, environ: WSGIEnvironment) -> KeptResponse | None:
        try:
            with self.app_context():
                req = self.request_class(environ)
                response = answer_early(self, req)
                if response is None:
                    return None
                # Observed once the answer is found: a request left to Flask's path is
                # observed there, once.
                ctx_g = g._get_current_object()
                for start in self._on_start:
                    start(self, req, ctx_g)
                for finish in self._on_finish:
                    finish(self, req, ctx_g, response)
                return response
        except Exception:  # noqa: BLE001 - Flask's own path answers it, errors and all
            return None

    def full_dispatch_request(self) -> Response:
        req, ctx_g = request._get_current_object(), g._get_current_object()
        for start in self._on_start:
            start(self, req, ctx_g)
        return super().full_dispatch_request()

    def finalize_request(self, rv, from_error_handler: bool = False) -> Response:
        response = super().finalize_request(rv, from_error_handler)
        try:
            req, ctx_g = request._get_current_object(), g._get_current_object()
            for finish in self._on_finish:
                finish(self, req, ctx_g, response)
        except Exception:  # as Flask treats its request_finished receivers
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed while handling an error")
        return response

    def process_response(self, response):
        if type(response) is KeptResponse:
            return response
        return super().process_response(response)

    def ensure_sync(self, func: Callable) -> Callable:
        # Flask asks this of every hook and signal receiver on every request, and asking
        # (``inspect.iscoroutinefunction``) costs more than a kept page's own hook.
        try:
            return self._sync[func]
        except KeyError:
            found = super().ensure_sync(func)
            if len(self._sync) < 4096:
                self._sync = {**self._sync, func: found}  # threads read a whole dict
            return found
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


class WorkerStore:
    """Pages kept in this worker: bounded by bytes, each for ``ttl`` seconds."""

    def __init__(self, max_bytes: int, ttl: float, timer) -> None:
        self._pages: TTLCache = TTLCache(max_bytes, ttl, timer=timer, getsizeof=_size)
        self._lock = threading.Lock()

    def get(self, key: str) -> KeptPage | None:
        with self._lock:
            return self._pages.get(key)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def put(self, key: str, page: KeptPage) -> None:
        if _size(page) > self._pages.maxsize // 8:  # a huge feed would evict the rest
            return
        with self._lock:
            self._pages[key] = page


class SharedStore:
    """Pages kept in Redis (Flask-Caching, ``CACHE_*`` settings), shared by every worker
    and host. While Redis does not answer, pages are rendered as if none were kept (and
    it is logged once a minute): readers get pages, not errors."""

    def __init__(self, app: Flask, ttl: float) -> None:
        # Only workers with REDIS_URL load redis and Flask-Caching (with cachelib, half
        # a megabyte that a worker keeping its own pages never uses).
        from flask_caching import Cache
        from redis.exceptions import RedisError

        self.cache = Cache(app)
        self.errors = RedisError
        self.ttl = max(1, int(ttl))
        self._warned_at = 0.0

    def get(self, key: str) -> KeptPage | None:
        try:
            return self.cache.get(key)
        except self.errors as error:
            self._warn(error)
            return None

    def put(self, key: str, page: KeptPage) -> None:
        try:
            self.cache.set(key, page, timeout=self.ttl)
        except self.errors as error:
            self._warn(error)

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            current_app.logger.warning("page cache: Redis does not answer (%s)", error)


class RenderTurns:
    """Which pages a thread of this worker is rendering now. Without it, the first
    readers after a change (one per thread) all render the same page at once: the
    work several times over, and each render's memory at the same moment (4 MB more
    at a worker's peak, measured with four threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._renders: dict[str, threading.Event] = {}
        self._waiting: dict[str, int] = {}

    def claim(self, key: str) -> threading.Event | None:
        """None when the caller is to render ``key`` (and then ``finish`` it); else
        the event that the thread rendering it sets when done."""
        with self._lock:
            rendering = self._renders.get(key)
            if rendering is None:
                self._renders[key] = threading.Event()
                return None
            self._waiting[key] = self._waiting.get(key, 0) + 1
            return rendering

    def wait(self, key: str, rendering: threading.Event, seconds: float) -> bool:
        try:
            return rendering.wait(seconds)
        finally:
            with self._lock:
                left = self._waiting.pop(key, 1) - 1
                if left:
                    self._waiting[key] = left

    def waiting(self, key: str) -> int:
        with self._lock:
            return self._waiting.get(key, 0)

    def finish(self, key: str) -> None:
        with self._lock:
            rendering = self._renders.pop(key, None)
        if rendering is not None:
            rendering.set()


def _size(page: Any) -> int:
    return len(page.body) + sum(len(chunk) for chunk in page.chunks) + 200


def is_anonymous() -> bool:
    """No session and no remember-me cookie: the reader gets the shared page."""
    return _no_session_cookie(request._get_current_object(), current_app.config)


def _no_session_cookie(req, config) -> bool:
    if "HTTP_COOKIE" not in req.environ:  # most readers: no cookie to parse
        return True
    cookies = req.cookies
    return config["SESSION_COOKIE_NAME"] not in cookies and (
        config["REMEMBER_COOKIE_NAME"] not in cookies
    )


def _is_public(req, app: Flask) -> bool:
    if req.method not in ("GET", "HEAD"):
        return False
    endpoint = req.endpoint
    if endpoint is None or endpoint == "static":
        return False
    blueprint = req.blueprint
    return (
        blueprint not in PRIVATE_BLUEPRINTS
        and blueprint not in SELF_CACHED_BLUEPRINTS
        and not _features_private(app, blueprint)
    )


def _features_private(app: Flask, blueprint: str | None) -> bool:
    """A feature's own admin blueprint (``blogapp.registry``)."""
    found = app.extensions.get("blogapp.registry")
    return found is not None and blueprint in found.private_blueprints


def page_key() -> str:
    """Where this request's page is kept: version, host, path, the parameters pages read."""
    return _page_key(request._get_current_object(), versions())


def _page_key(req, found: Versions) -> str:
    query = ""
    if req.query_string:
        params = sorted(
            ((k, v) for k, v in req.args.items(multi=True) if k in KEY_PARAMS and k != "lang"),
            key=lambda item: item[0],
        )  # sorted by name only: repeated values keep their order
        # The page reads the first ?lang= and only a language it speaks: ?lang=xx,
        # or a second lang, is the same page as none and must not fragment the cache.
        lang = req.args.get("lang")
        if lang in INTERFACE_LANGUAGES:
            params.append(("lang", lang))
        query = "&".join(f"{k}={v}" for k, v in params)
    return f"kept-page:{found.site}:{req.scheme}://{req.host}{req.path}?{query}"


def serve_kept_page():
    """before_request: answer an anonymous reader from the kept page (or a 304)."""
    # The objects behind Flask's proxies, taken once: this runs for every reader.
    req, app = request._get_current_object(), current_app._get_current_object()
    if not (_is_public(req, app) and _no_session_cookie(req, app.config)):
        return None
    store = app.extensions.get(_STORE)
    found = versions()  # read once: every lookup below is against the same versions
    g.page_cache_key = key = _page_key(req, found)
    if store is None:
        return None
    kept = _current(store.get(key), found)
    if kept is None:
        kept = _current(_wait_for_render(app, store, key), found)
    if kept is None:
        return None
    return _kept_response(app, req, kept, found)


def _may_answer_early(app: Flask, environ: WSGIEnvironment) -> bool:
    """Whether a request may be answered before Flask builds it (``BlogFlask.wsgi_app``):
    a GET or HEAD with no body that no feature's guard wants to see in its hook. The
    rest goes through Flask's hooks, as before."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    if environ.get("CONTENT_LENGTH") or "HTTP_TRANSFER_ENCODING" in environ:
        return False
    # A test client keeping the request context afterwards means to look into it.
    if "werkzeug.debug.preserve_context" in environ or _STORE not in app.extensions:
        return False
    return all(guard(app, environ) for guard in app._kept_page_guards)  # type: ignore[attr-defined]


def answer_early(app: Flask, req: Request) -> KeptResponse | None:
    """The kept page for ``req`` (a request Flask has not routed: only an app context
    is pushed), or None when Flask must answer it: no kept page, one that is not
    current, or one with a part whose bytes must be rendered again. Only public pages
    for anonymous readers are ever kept, so a kept page found is one Flask's routing
    would have found public (``serve_kept_page``)."""
    if not _no_session_cookie(req, app.config):
        return None
    trusted = app.config["TRUSTED_HOSTS"]
    if trusted is not None:
        req.trusted_hosts = trusted
    found = versions()
    try:
        key = _page_key(req, found)
    except SecurityError:  # a host the site does not answer to: Flask's 400 page
        return None
    kept = _current(app.extensions[_STORE].get(key), found)
    if kept is None or not kept.route:
        return None
    response = _kept_response(app, req, kept, found, may_render=False)
    if response is not None:
        # What the request log and the metrics name the request by, as Flask's routing
        # would have named it.
        req.url_rule = _rule_of(app, kept.route)
    return response


def _rule_of(app: Flask, endpoint: str):
    rules: dict = app.extensions.setdefault(_RULES, {})
    found = rules.get(endpoint)
    if found is None:
        found = rules[endpoint] = next(app.url_map.iter_rules(endpoint))
    return found


def _kept_response(
    app: Flask, req: Request, kept: KeptPage, found: Versions, *, may_render: bool = True
) -> KeptResponse | None:
    if kept.parts:
        return _with_parts(app, req, kept, found, may_render)
    # The kept headers say everything (ETag, Cache-Control, Vary, the security
    # headers): answered as stored.
    if _matches(req.environ.get("HTTP_IF_NONE_MATCH"), kept.etag):
        return KeptResponse(b"", 304, kept.not_modified_headers)
    return KeptResponse(kept.body, kept.status, kept.headers)


def _with_parts(
    app: Flask, req: Request, kept: KeptPage, found: Versions, may_render: bool = True
) -> KeptResponse | None:
    """A kept page with its parts as they are now; its ETag from the kept bytes and the
    parts' bytes, as the render computed it. None when a part would have to be
    rendered and ``may_render`` is False."""
    filled = []
    for name, arg in kept.parts:
        part_now = _filled(app, name, arg, found, may_render=may_render)
        if part_now is None:
            return None
        filled.append(part_now)
    answer = _with_parts_answers(app, kept, filled)
    if _matches(req.environ.get("HTTP_IF_NONE_MATCH"), answer.etag):
        return KeptResponse(b"", 304, answer.not_modified_headers)
    return KeptResponse(_assemble(kept.chunks, filled), kept.status, answer.headers)


@dataclass(frozen=True, slots=True)
class _Answer:
    """A kept page's ETag and headers with its parts as they are now."""

    etag: str
    headers: tuple[tuple[str, str], ...]
    not_modified_headers: tuple[tuple[str, str], ...]


def _with_parts_answers(app: Flask, kept: KeptPage, filled: list[tuple[bytes, bytes]]) -> _Answer:
    """Worked out once for each page and version of its parts: every hit in between
    (most of them) answers with the same ETag and headers."""
    answers: dict = app.extensions.setdefault(_ANSWERS, {})
    key = (kept.etag, *(digest for _, digest in filled))
    found = answers.get(key)
    if found is None:
        etag = _etag_with_parts(kept.etag, filled)
        headers = tuple((k, f'"{etag}"' if k == "ETag" else v) for k, v in kept.headers)
        found = _Answer(etag, headers, tuple(h for h in headers if h[0] in NOT_MODIFIED_HEADERS))
        if len(answers) >= _MAX_ANSWERS:
            answers.clear()  # pages and parts of old versions: rebuilt as asked for
        answers[key] = found
    return found


def _filled(
    app: Flask, name: str, argument: str, now: Versions | None = None, *, may_render: bool = True
) -> tuple[bytes, bytes] | None:
    """A part's bytes now and their hash: encoded and hashed once for each text the
    part's owner keeps (it returns the same object until its version moves). A part
    registered with its scope is not even asked while that scope's version stands;
    None when it would have to be asked and ``may_render`` is False (no request to
    render it in)."""
    render, scope = app.extensions[_PARTS][name]
    encoded: dict = app.extensions.setdefault(_ENCODED, {})
    kept = encoded.get((name, argument))
    keep = scope is not None and app.config["KEEP_RENDERED"]
    token = scope_token(scope, now) if keep else None
    if kept is not None and token is not None and kept[3] == token:
        return kept[1], kept[2]
    if not may_render:
        return None
    html = render(argument)
    if kept is None or kept[0] is not html:
        data = html.encode()
        kept = (html, data, hashlib.blake2b(data, digest_size=16).digest(), token)
    else:
        kept = (*kept[:3], token)
    encoded[(name, argument)] = kept
    return kept[1], kept[2]


def _assemble(chunks: tuple[bytes, ...] | list[bytes], filled: list[tuple[bytes, bytes]]) -> bytes:
    out = [chunks[0]]
    for (html, _), chunk in zip(filled, chunks[1:], strict=True):
        out += (html, chunk)
    return b"".join(out)


def _etag_with_parts(chunks_etag: str, filled: list[tuple[bytes, bytes]]) -> str:
    digest = hashlib.blake2b(chunks_etag.encode(), digest_size=16)
    for _, html_digest in filled:
        digest.update(html_digest)
    return digest.hexdigest()


# -- parts: what many pages show, filled in on each hit ----------------------------------


def register_part(
    app: Flask, name: str, render: Callable[[str], str], *, scope: str | None = None
) -> None:
    """``render(argument)`` gives the part's HTML now (kept per version by its owner).
    ``scope`` (``blogapp.content_version``): the part changes only when that scope's
    version moves, so a hit in between reuses its bytes without asking ``render``."""
    app.extensions.setdefault(_PARTS, {})[name] = (render, scope)


def part(name: str, argument: str) -> str:
    """The HTML of part ``name``; in a page being kept, a mark where it goes, so the
    kept page stays valid when only the part changes (the sidebar's latest comments
    change with every approved comment, the post around it does not)."""
    app = current_app._get_current_object()
    if g.get("page_cache_key") is None or app.extensions.get(_STORE) is None:
        return app.extensions[_PARTS][name][0](argument)
    parts = g.setdefault("page_parts", [])
    parts.append((name, argument))
    return _mark(len(parts) - 1)


def _mark(index: int) -> str:
    return f"<!--part-{_MARK}-{index}-->"


def _split(body: bytes, count: int) -> list[bytes] | None:
    """The bytes around each part's mark, or None if a mark did not reach the page."""
    chunks = []
    for index in range(count):
        before, found, body = body.partition(_mark(index).encode())
        if not found:
            return None
        chunks.append(before)
    chunks.append(body)
    return chunks


def _current(kept: KeptPage | None, found: Versions) -> KeptPage | None:
    """``kept`` unless what it shows besides the site has changed since."""
    if kept is None or kept.scope == SITE or kept.token == scope_token(kept.scope, found):
        return kept
    return None


def page_scope():
    """What this page shows besides the site: ``EVERYTHING`` unless the render said
    less (``blogapp.content_version.shows_comments_of``)."""
    return page_comments_scope()


def _wait_for_render(app: Flask, store, key: str) -> KeptPage | None:
    """None when this request is to render the page: no other thread of the worker is,
    or that render kept nothing (a personal page, an error) or took too long."""
    turns: RenderTurns = app.extensions[_TURNS]
    rendering = turns.claim(key)
    if rendering is None:
        g.page_render_turn = key  # finished in finish_render_turn, whatever happens
        return None
    if turns.wait(key, rendering, float(app.config["PAGE_RENDER_WAIT_SECONDS"])):
        return store.get(key)
    return None


def finish_render_turn(error=None) -> None:
    """teardown_request: let the readers waiting for this render have it."""
    key = g.pop("page_render_turn", None)
    if key is not None:
        current_app.extensions[_TURNS].finish(key)


# Request headers are read from the WSGI environ on a hit: Werkzeug's ``headers.get``
# raises and catches an exception for every header the request does not carry.
def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match.strip() == "*" or f'"{etag}"' in if_none_match


def _fill_parts(response) -> tuple[list[bytes] | None, list[tuple[bytes, bytes]]]:
    """Put the parts into a page rendered with marks: (the chunks around them, their
    HTML), or (None, []) when the page has none."""
    parts = g.pop("page_parts", None)
    if not parts:
        return None, []
    app = current_app._get_current_object()
    filled = [_filled(app, name, arg) for name, arg in parts]
    body = response.get_data()
    chunks = _split(body, len(parts))
    if chunks is None:  # cut short: fill in what is there, keep nothing in parts
        for index, (html, _) in enumerate(filled):
            body = body.replace(_mark(index).encode(), html)
        response.set_data(body)
        return None, []
    g.page_kept_parts = tuple(parts)
    response.set_data(_assemble(chunks, filled))
    return chunks, filled


def label_response(response):
    """after_request: headers for every cache, and keep what anonymous readers share."""
    chunks, filled = _fill_parts(response)
    if request.blueprint in SELF_CACHED_BLUEPRINTS or request.endpoint == "static":
        return response
    decided = response.headers.get("Cache-Control", "")
    if "no-store" in decided:
        return response  # a view that keeps its answer out of every cache (a 429, say)
    key = g.get("page_cache_key")
    personal = (
        key is None or session.modified or "Set-Cookie" in response.headers or not is_anonymous()
    )
    if personal or response.status_code >= 500:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    if response.direct_passthrough or decided:
        return response  # a streamed file, or a public answer whose view chose its headers
    response.headers["Cache-Control"] = shared_cache_control(current_app)
    response.vary.add("Cookie")
    if response.status_code in KEPT_STATUSES:
        if chunks is None:
            body = response.get_data()
            kept_etag = etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        else:
            body = b""
            kept_etag = hashlib.blake2b(b"\0".join(chunks), digest_size=16).hexdigest()
            etag = _etag_with_parts(kept_etag, filled)
        response.set_etag(etag)
        store = current_app.extensions.get(_STORE)
        if store is not None:
            headers = tuple((k, v) for k, v in response.headers.items() if k in KEPT_HEADERS)
            scope = page_scope()
            kept = KeptPage(
                response.status_code,
                body,
                headers,
                kept_etag,
                scope,
                scope_token(scope),
                tuple(chunks or ()),
                g.get("page_kept_parts", ()) if chunks is not None else (),
                request.endpoint or "",
            )
            store.put(key, kept)
    response.make_conditional(request)
    return response


def shared_cache_control(app: Flask) -> str:
    config = app.config
    return (
        f"public, max-age=0, s-maxage={int(config['HTTP_CACHE_S_MAXAGE'])}, "
        f"stale-while-revalidate={int(config['HTTP_CACHE_STALE_WHILE_REVALIDATE'])}, "
        f"stale-if-error={int(config['HTTP_CACHE_STALE_IF_ERROR'])}"
    )


@contextmanager
def pages_not_kept(app: Flask) -> Iterator[None]:
    """Within: every page rendered afresh, none looked up or kept. For the static
    export, which asks for each page once and leaves summaries out of its own listing
    pages (they must never reach a reader, nor Redis, which every worker reads)."""
    store = app.extensions.pop(_STORE, None)
    try:
        yield
    finally:
        if store is not None:
            app.extensions[_STORE] = store


def register_page_cache(app: Flask) -> None:
    size, ttl = int(app.config["PAGE_CACHE_BYTES"]), float(app.config["PAGE_CACHE_SECONDS"])
    if size > 0 and ttl > 0:
        if app.config.get("REDIS_URL"):
            app.extensions[_STORE] = SharedStore(app, ttl)
        else:
            app.extensions[_STORE] = WorkerStore(size, ttl, lambda: clock(app))
        app.extensions[_TURNS] = RenderTurns()
        app.teardown_request(finish_render_turn)
    # Before Flask-Limiter's check, so that kept pages cost no limit; after the
    # guard against malformed requests, which runs first of all.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(1 if hooks else 0, serve_kept_page)
    # Last of the after_request hooks (they run in reverse), so that what it keeps and
    # what it calls personal are the response as sent: security headers, cookies.
    app.after_request_funcs.setdefault(None, []).insert(0, label_response)
