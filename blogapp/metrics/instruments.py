"""The Prometheus instruments, made once per process (prometheus-client keeps them in
a process-wide registry; tests build many apps in one process).

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by gunicorn.conf.py before any worker
imports this) makes each value a file in that folder, so a scrape of any worker adds up
every worker's counts (``prometheus_client.multiprocess``)."""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # a flask command run with the service's env
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter(
    "blogapp_requests", "Requests answered, by route (endpoint) and status.", ["route", "status"]
)
REQUEST_SECONDS = Histogram(
    "blogapp_request_seconds",
    "Time to answer a request the page cache did not answer: render (a shared page "
    "rendered now) or none (personal, private, a file, a POST).",
    ["cache"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PAGE_CACHE = Counter(
    "blogapp_page_cache", "Anonymous pages: hit (kept page or 304), render.", ["result"]
)
REFUSALS = Counter(
    "blogapp_refusals",
    "Requests refused by a limit (429) or for load (503), "
    "by kind (search, deep pages, or the route).",
    ["kind", "status"],
)
SEARCH_SECONDS = Histogram(
    "blogapp_search_seconds",
    "Time to render a search page (answers from a cache excluded).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DELIVERIES = Counter(
    "blogapp_deliveries",
    "Outbox messages handled by the worker, by lane and result (sent, retried, failed).",
    ["lane", "result"],
)
