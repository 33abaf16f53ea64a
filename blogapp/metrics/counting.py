"""What each request and each pass of the worker adds to the counters.

Run for every request, kept pages included (about 10 µs of a kept page's few hundred):
each labelled child is looked up once and kept (``labels()`` takes a lock and builds a
key every time), and the start time is the request log's (``blogapp.request_log``)."""

from __future__ import annotations

import time

from flask import g, request

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
_seconds = {cache: REQUEST_SECONDS.labels(cache) for cache in ("hit", "render", "none")}
_page_cache = {cache: PAGE_CACHE.labels(cache) for cache in ("hit", "render")}


def count_request(sender, response, **extra) -> None:
    # The objects behind Flask's proxies, taken once: this runs for every request.
    req, ctx_g = request._get_current_object(), g._get_current_object()
    started = ctx_g.get("request_started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    route = req.endpoint or "none"
    status = response.status_code
    counter = _requests.get((route, status))
    if counter is None:
        counter = _requests[(route, status)] = REQUESTS.labels(route, str(status))
    counter.inc()
    if type(response) is KeptResponse:
        cache = "hit"
    elif ctx_g.get("page_cache_key") is not None:
        cache = "render"
    else:
        cache = "none"  # not a shared page: personal, private or a file
    _seconds[cache].observe(elapsed)
    if cache != "none":
        _page_cache[cache].inc()
    searching = route == "posts.index" and "s" in req.args  # as search.limits.is_search
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
