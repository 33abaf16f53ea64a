"""What each request and each pass of the worker adds to the counters."""

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
from blogapp.search.limits import is_search

_STARTED = "metrics_started"


def start_timer(sender, **extra) -> None:
    setattr(g, _STARTED, time.perf_counter())


def count_request(sender, response, **extra) -> None:
    started = g.get(_STARTED)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    route = request.endpoint or "none"
    status = response.status_code
    REQUESTS.labels(route, str(status)).inc()
    if type(response) is KeptResponse:
        cache = "hit"
    elif g.get("page_cache_key") is not None:
        cache = "render"
    else:
        cache = "none"  # not a shared page: personal, private or a file
    REQUEST_SECONDS.labels(cache).observe(elapsed)
    if cache != "none":
        PAGE_CACHE.labels(cache).inc()
    searching = route == "posts.index" and is_search()
    if status in (429, 503):
        REFUSALS.labels("search" if searching else route, str(status)).inc()
    elif searching and cache == "render":
        SEARCH_SECONDS.observe(elapsed)


def count_deliveries(sender, lane: str, report, **extra) -> None:
    for result, count in (("sent", report.sent), ("retried", report.retrying),
                          ("failed", report.failed)):  # fmt: skip
        if count:
            DELIVERIES.labels(lane, result).inc(count)
