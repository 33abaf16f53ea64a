"""Prometheus metrics at ``/metrics``: requests by route and status, the page cache's
hits and renders, refusals by kind, search time, the worker's deliveries (counted in
``flask deliver``'s process), and, read when scraped, the outbox's depth and age by
kind and the mail worker's heartbeat.

Never public: ``/metrics`` answers 404 unless ``METRICS_TOKEN_SHA256`` is set, and then
only to a scraper sending ``Authorization: Bearer <token>`` whose SHA-256 matches
(compared in constant time). Counting observes every request's end
(``BlogFlask.observe_requests``, kept pages included: they skip the after_request hooks),
and rides on the worker's ``lane_pass_done`` signal; nothing else in the site imports
this package."""

from __future__ import annotations


def init_app(app) -> None:
    """Serve ``/metrics`` (a private blueprint: no cache keeps it, ``blogapp.registry``)
    and, when a token lets anyone read them, count requests and deliveries (a site
    without a scraper pays nothing)."""
    from blogapp.mail.worker import lane_pass_done
    from blogapp.metrics import views
    from blogapp.registry import registry

    registry(app).add_admin_blueprint(app, views.bp)
    if not app.config.get("METRICS_TOKEN_SHA256"):
        return
    from blogapp.metrics import counting  # loads prometheus_client

    app.observe_requests(finish=counting.count_request)
    lane_pass_done.connect(counting.count_deliveries, app)
