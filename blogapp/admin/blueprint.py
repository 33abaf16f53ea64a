"""The ``admin`` blueprint at ``/admin/`` and what every admin page shares: the
navigation's helpers. (Admin pages are ``private, no-store``: ``blogapp.page_cache``.)"""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """True when a view named ``name`` is registered (blueprints may be optional)."""
    return name in current_app.view_functions


@bp.app_template_global()
def pending_comment_count() -> int:
    """Comments waiting for moderation: one COUNT, never cached, so the nav is exact."""
    return db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.status == CommentStatus.PENDING)
    ) or 0
