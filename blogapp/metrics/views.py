"""``GET /metrics``: the Prometheus text format, for a scraper holding the token.
prometheus_client is imported only when metrics are on: a worker of a site without a
scraper never loads it."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import func, select

from blogapp.clock import now
from blogapp.extensions import db
from blogapp.mail import heartbeat
from blogapp.models import OutboxMessage, OutboxStatus

bp = Blueprint("metrics", __name__)


def token_matches(sent: str, expected_sha256: str) -> bool:
    digest = hashlib.sha256(sent.encode()).hexdigest()
    return hmac.compare_digest(digest, expected_sha256.strip().lower())


@bp.route("/metrics")
def metrics():
    expected = current_app.config.get("METRICS_TOKEN_SHA256") or ""
    if not expected:
        abort(404)
    scheme, _space, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token_matches(sent.strip(), expected):
        return Response(
            "A bearer token is needed.\n",
            401,
            {
                "WWW-Authenticate": 'Bearer realm="metrics"',
                "Content-Type": "text/plain; charset=utf-8",
            },
        )
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    body = generate_latest(_registry()) + generate_latest(_SiteRegistry())
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST})


def _registry():
    """Every worker's counts (multiprocess mode), or this process's own."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY

    found = CollectorRegistry()
    multiprocess.MultiProcessCollector(found)
    return found


class _SiteRegistry:
    """Read when scraped, from the database and the worker's heartbeat: the same for
    every worker, so not kept in the per-process files."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        moment = now()
        depth = GaugeMetricFamily(
            "blogapp_outbox_unsent", "Queued or sending messages, by kind.", labels=["kind"]
        )
        age = GaugeMetricFamily(
            "blogapp_outbox_oldest_unsent_seconds",
            "Age of the oldest queued or sending message, by kind.",
            labels=["kind"],
        )
        rows = db.session.execute(
            select(OutboxMessage.kind, func.count(), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING)))
            .group_by(OutboxMessage.kind)
        ).all()
        for kind, count, oldest in rows:
            depth.add_metric([kind], count)
            age.add_metric([kind], _seconds(moment, oldest))
        yield depth
        yield age
        beat = GaugeMetricFamily(
            "blogapp_mail_worker_heartbeat_timestamp_seconds",
            "When each lane of the mail worker last finished a pass.",
            labels=["lane"],
        )
        for lane, when in heartbeat.last_beats().items():
            beat.add_metric([lane], when.timestamp())
        yield beat


def _seconds(moment: datetime, then: datetime | None) -> float:
    return max(0.0, (moment - then).total_seconds()) if then else 0.0
