"""Prometheus metrics at ``/metrics``: requests by route and status, the page cache's
hits and renders, refusals by kind, search time, the worker's deliveries (counted in
``flask deliver``'s process), and, read when scraped, the outbox's depth and age by
kind and the mail worker's heartbeat.

Never public: ``/metrics`` answers 404 unless ``METRICS_TOKEN_SHA256`` is set, and then
only to a scraper sending ``Authorization: Bearer <token>`` whose SHA-256 matches
(compared in constant time). Counting rides on Flask's ``request_finished`` signal,
which a kept page sends too (it skips the after_request hooks), and on the worker's
``lane_pass_done``; nothing else in the site imports this package."""

from __future__ import annotations


def init_app(app) -> None:
    """Serve ``/metrics`` (a private blueprint: no cache keeps it, ``blogapp.registry``)
    and, when a token lets anyone read them, count requests and deliveries (a site
    without a scraper pays nothing)."""
    from flask import request_finished

    from blogapp.mail.worker import lane_pass_done
    from blogapp.metrics import views
    from blogapp.registry import registry

    registry(app).add_admin_blueprint(app, views.bp)
    if not app.config.get("METRICS_TOKEN_SHA256"):
        return
    from blogapp.metrics import counting  # loads prometheus_client

    request_finished.connect(counting.count_request, app)
    lane_pass_done.connect(counting.count_deliveries, app)
