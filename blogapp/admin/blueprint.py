"""The ``admin`` blueprint at ``/admin/`` and what every admin page shares: the
navigation's helpers and ``Cache-Control: no-store``."""

from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import COMMENT_PENDING, Comment

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """True when a view named ``name`` is registered (blueprints may be optional)."""
    return name in current_app.view_functions


@bp.app_template_global()
def pending_comment_count() -> int:
    """Comments waiting for moderation: one COUNT, never cached, so the nav is exact."""
    return db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.status == COMMENT_PENDING)
    ) or 0


@bp.after_app_request
def never_store_admin_pages(response):
    # Admin pages show unpublished work and forms with tokens: no cache may keep them,
    # whichever blueprint serves them (comments moderation lives under /admin/ too).
    if request.path.startswith("/admin/") or request.endpoint in ("auth.login",):
        response.headers["Cache-Control"] = "no-store"
    return response
