"""``/healthz`` for load balancers and monitoring: 200 when the database
answers ``SELECT 1``, 503 when it does not."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from blogapp.extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Health check: the database does not answer")
        return "database unavailable\n", 503, headers
    return "ok\n", 200, headers
