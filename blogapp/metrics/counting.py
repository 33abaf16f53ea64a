"""What each request and each pass of the worker adds to the counters.

Run for every request, kept pages included, so it does little: each labelled child is
looked up once and kept (``labels()`` takes a lock and builds a key every time), the
start time is the request log's (``blogapp.request_log``), the query string is parsed
only when there is one, and a kept page costs two counter writes (requests, page-cache
hits), not four: it is not timed. Under gunicorn each write is a lock and a write to a
memory-mapped file (``prometheus_client.multiprocess``)."""

from __future__ import annotations

import time

from blogapp.metrics.instruments import (
    DELIVERIES,
    PAGE_CACHE,
    REFUSALS,
    REQUEST_SECONDS,
    REQUESTS,
    SEARCH_SECONDS,
)
from blogapp.page_cache import KeptResponse

# Routes and statuses are few (the app's endpoints, the HTTP codes it answers with).
_requests: dict[tuple[str, int], object] = {}
_seconds = {cache: REQUEST_SECONDS.labels(cache) for cache in ("render", "none")}
_page_cache_hits, _page_cache_renders = PAGE_CACHE.labels("hit"), PAGE_CACHE.labels("render")


def count_request(app, req, ctx_g, response) -> None:
    route = req.endpoint or "none"
    status = response.status_code
    counter = _requests.get((route, status))
    if counter is None:
        counter = _requests[(route, status)] = REQUESTS.labels(route, str(status))
    counter.inc()
    if type(response) is KeptResponse:
        # Counted, not timed: a kept page's time is in the request log (``ms``), and the
        # histogram's two writes were half of what counting cost such a page.
        _page_cache_hits.inc()
        cache = "hit"
    else:
        started = ctx_g.get("request_started")
        elapsed = time.perf_counter() - started if started is not None else 0.0
        if ctx_g.get("page_cache_key") is not None:
            cache = "render"
            _page_cache_renders.inc()
        else:
            cache = "none"  # not a shared page: personal, private or a file
        _seconds[cache].observe(elapsed)
    # As search.limits.is_search, looking at the query string first: a kept home page
    # has none, and need not have one parsed into ``args``.
    searching = route == "posts.index" and bool(req.query_string) and "s" in req.args
    if status in (429, 503):
        REFUSALS.labels("search" if searching else route, str(status)).inc()
    elif searching and cache == "render":
        SEARCH_SECONDS.observe(elapsed)


def count_deliveries(sender, lane: str, report, **extra) -> None:
    for result, count in (
        ("sent", report.sent),
        ("retried", report.retrying),
        ("failed", report.failed),
    ):
        if count:
            DELIVERIES.labels(lane, result).inc(count)
