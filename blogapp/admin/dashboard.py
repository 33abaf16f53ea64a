"""The dashboard: how many posts in each state, comments waiting, recent activity."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from blogapp import clock
from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import runs_all_posts, writer_required
from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, Post, PostStatus


def post_counts() -> dict[str, int]:
    """Posts per displayed status ("scheduled" split from "published"), in one query."""
    now = clock.now()
    shown = case(
        ((Post.status == PostStatus.PUBLISHED) & (Post.published_at > now), "scheduled"),
        else_=Post.status,
    )
    rows = db.session.execute(select(shown, func.count()).group_by(shown)).all()
    counts = {"published": 0, "scheduled": 0, "draft": 0, "pending": 0, "private": 0}
    counts.update({status: n for status, n in rows})
    return counts


@bp.route("/")
@writer_required
def dashboard():
    if not runs_all_posts(current_user):
        # Contributors and authors have their posts, not the site's comments and counts.
        return redirect(url_for("admin.posts"))
    recent_posts = db.session.scalars(
        select(Post)
        .options(joinedload(Post.author))
        .order_by(Post.updated_at.desc(), Post.id.desc())
        .limit(8)
    ).all()
    recent_comments = db.session.scalars(
        select(Comment)
        .options(joinedload(Comment.post))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(8)
    ).all()
    pending = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.status == CommentStatus.PENDING)
    )
    return render_template(
        "admin/dashboard.html",
        counts=post_counts(),
        pending_comments=pending or 0,
        recent_posts=recent_posts,
        recent_comments=recent_comments,
    )
