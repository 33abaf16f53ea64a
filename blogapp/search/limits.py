"""Limits on the pages that cost the database real work, so one client with a
script cannot slow the blog down for everyone.

- **Per client address** (Flask-Limiter, in Redis when ``REDIS_URL`` is set, else
  in each worker's memory): searches (``SEARCH_RATE_LIMIT``), and listing pages
  from page ``DEEP_PAGES_FROM`` on, comment pages (``?cpage=``) included, which
  share one budget (``DEEP_PAGE_RATE_LIMIT``). Over it: the 429 page with
  ``Retry-After``. The limits are checked when the view is called, so a page the
  page cache answers before the view does not count. They have a limiter of their
  own (``costly_limiter``) that sends no ``X-RateLimit-*`` headers: those pages are
  shared by every reader through the caches.
- **Per worker**: at most ``SEARCH_MAX_CONCURRENT`` searches at once; the next
  one is answered 503 with ``Retry-After`` at once instead of waiting for a
  thread that readers need.

Turned-away requests are counted and summed up in the log at most every
``ShedLog.interval`` seconds per worker, with the busiest addresses, so a flood
leaves a few lines in the error log, not one per request (the access log has those).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, make_response, request
from flask_babel import gettext
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from blogapp.arguments import whole_number
from blogapp.digits import format_count
from blogapp.errors import render_error
from blogapp.extensions import costly_limiter
from blogapp.interface_language import N_

log = logging.getLogger("blogapp.search")

SEARCH_ENDPOINT = "posts.index"  # /?s=words is the front page's endpoint, as in WordPress
LISTING_ENDPOINTS = (
    "posts.index",
    "posts.archive",
    "posts.author",
    "posts.tag",
    "categories.detail",
)
THREAD_ENDPOINT = "posts.detail"
SLOTS_KEY = "blogapp.search_slots"
SHED_LOG_KEY = "blogapp.shed_log"


def is_search() -> bool:
    return "s" in request.args


def page_number() -> int:
    """The listing page (``/page/N/``) or, on a post, the comment page (``?cpage=N``)."""
    if request.endpoint == THREAD_ENDPOINT:
        return request.args.get("cpage", 1, type=whole_number)
    return (request.view_args or {}).get("page", 1)


def is_deep_page() -> bool:
    return not is_search() and page_number() >= current_app.config["DEEP_PAGES_FROM"]


class SearchSlots:
    """At most ``size`` searches at once in this worker (0: no cap)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size) if size > 0 else None

    @contextmanager
    def taken(self) -> Iterator[bool]:
        """Yields True with a slot held for the block, or False at once when none is free."""
        if self._semaphore is None:
            yield True
            return
        if not self._semaphore.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            self._semaphore.release()


class ShedLog:
    """Counts what was turned away, by reason and address, and logs one warning
    per ``interval`` with what it counted since the last one."""

    def __init__(
        self,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.logger = logger
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._since = clock()
        self._next = self._since  # the first refusal is logged at once

    def note(self, reason: str, address: str | None = None) -> None:
        with self._lock:
            self._counts[(reason, address or "-")] += 1
            now = self.clock()
            if now < self._next:
                return
            counts, seconds = self._counts, now - self._since
            self._counts, self._since, self._next = Counter(), now, now + self.interval
        by_reason: Counter[str] = Counter()
        for (why, _), n in counts.items():
            by_reason[why] += n
        busiest = ", ".join(f"{addr} ({n})" for (_, addr), n in counts.most_common(3))
        self.logger.warning(
            "turned away in the last %.0f s: %s; busiest addresses: %s",
            seconds,
            ", ".join(f"{n} {why}" for why, n in by_reason.most_common()),
            busiest,
        )


def search_slots() -> SearchSlots:
    return current_app.extensions[SLOTS_KEY]


def shed_log() -> ShedLog:
    return current_app.extensions[SHED_LOG_KEY]


def _refused(reason: str, message: str):
    """on_breach: count the refusal for the log and answer with the 429 page, with
    Retry-After set to when the address's window opens again."""

    def on_breach(limit):
        shed_log().note(reason, get_remote_address())
        wait = max(1, int(limit.reset_at - time.time()))
        body, code = render_error(429, gettext(message, seconds=format_count(wait)))
        response = make_response(body, code)
        response.headers["Retry-After"] = str(wait)
        response.headers["Cache-Control"] = "no-store"
        return response

    return on_breach


def _rate_limited(error: RateLimitExceeded):
    """The answer ``on_breach`` built, when it built one (else the plain 429 page)."""
    return error.response if error.response is not None else render_error(429)


# Made once: Flask-Limiter files decorated limits under the view's qualified name, so
# wrapping the views of every app made in this process with these same objects keeps
# one limit each (new objects per app would count each request once per app).
_search_limit = costly_limiter.limit(
    lambda: current_app.config["SEARCH_RATE_LIMIT"],
    scope="search",
    exempt_when=lambda: not is_search(),
    on_breach=_refused(
        "over the search rate limit",
        N_(
            "You have searched a lot in a short time. Please wait %(seconds)s "
            "seconds and search again; the rest of the site is open meanwhile."
        ),
    ),
)
_deep_page_limit = costly_limiter.shared_limit(
    lambda: current_app.config["DEEP_PAGE_RATE_LIMIT"],
    scope="deep-pages",
    exempt_when=lambda: not is_deep_page(),
    on_breach=_refused(
        "over the deep-page rate limit",
        N_(
            "You have opened many pages deep in the archives in a short time. "
            "Please wait %(seconds)s seconds and try again."
        ),
    ),
)


def register_search_limits(app: Flask) -> None:
    """Put the per-address limits on the costly views (call after the blueprints
    are registered) and give this worker its search slots and shed log."""
    costly_limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.extensions[SLOTS_KEY] = SearchSlots(app.config["SEARCH_MAX_CONCURRENT"])
    # app.logger: Flask's handler, a dated line on stderr (gunicorn's error log).
    app.extensions[SHED_LOG_KEY] = ShedLog(logger=app.logger)
    for endpoint in (*LISTING_ENDPOINTS, THREAD_ENDPOINT):
        view = app.view_functions[endpoint]
        if endpoint == SEARCH_ENDPOINT:
            view = _search_limit(view)
        app.view_functions[endpoint] = _deep_page_limit(view)
