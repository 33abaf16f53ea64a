"""Readers fix their own comment: for ``COMMENT_EDIT_MINUTES`` after sending it, from
the same browser (the comment's grant, its id and creation time, is kept in that
browser's session: ``grants``), as long as nobody has replied to it and it is not in
spam or trash. The edit goes through ``services.reader_edit``: sanitized and judged
again, the old text kept in the log.

The post page offers "Edit" only to that browser (``editable_comments``, a template
global: a session without the key, or no session, runs no query and shows nothing,
so cached pages stay the same for everyone)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import TextAreaField, ValidationError
from wtforms.validators import InputRequired

from blogapp.clock import now
from blogapp.comments import services
from blogapp.comments.grants import grant, granted, holds
from blogapp.comments.settings import load_settings
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.interface_language import N_
from blogapp.models import Comment, CommentStatus, Post
from blogapp.sanitize import strip_invisible

bp = Blueprint("own_comments", __name__)

SESSION_KEY = "editable_comments"
REMEMBERED = 10


class ReaderEditForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[InputRequired(_l("Please type a comment."))])

    def validate_body(self, field) -> None:
        # As the comment form: invisible characters are removed, so they are no text.
        text = strip_invisible(field.data or "").strip()
        if not text:
            raise ValidationError(_l("Please type a comment."))
        limit = current_app.config["COMMENT_MAX_LENGTH"]
        if len(text) > limit:
            raise ValidationError(
                _l(
                    "Your comment is %(length)s characters long; the limit is %(limit)s.",
                    length=f"{len(text):,}",
                    limit=f"{limit:,}",
                )
            )


def remember(comment: Comment) -> None:
    """This browser may edit ``comment`` (spam is never editable, so not remembered)."""
    if comment.status in (CommentStatus.PENDING, CommentStatus.APPROVED):
        grant(SESSION_KEY, comment, REMEMBERED)


def edit_window() -> timedelta:
    return timedelta(minutes=float(current_app.config["COMMENT_EDIT_MINUTES"]))


def why_not(comment: Comment) -> str | None:
    """Why this browser may not edit ``comment`` now, or None when it may."""
    if not holds(granted(SESSION_KEY), comment):
        return _l("Only the browser that sent a comment can edit it.")
    if comment.status in (CommentStatus.SPAM, CommentStatus.TRASH):
        return _l("This comment can no longer be edited.")
    if now() - comment.created_at > edit_window():
        minutes = current_app.config["COMMENT_EDIT_MINUTES"]
        return _l(
            "Comments can be edited for %(minutes)s minutes after they are sent.", minutes=minutes
        )
    if db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(
            Comment.parent_id == comment.id,
            Comment.status.in_((CommentStatus.PENDING, CommentStatus.APPROVED)),
        )
    ):
        return _l("Someone has replied to this comment, so it can no longer be edited.")
    return None


@bp.app_template_global()
def editable_comments(post: Post) -> list[dict]:
    """This browser's comments on ``post`` that it may still edit, with the deadline."""
    grants = granted(SESSION_KEY) if SESSION_KEY in session else []
    if not grants:
        return []
    found = []
    for comment in db.session.scalars(
        select(Comment).where(Comment.id.in_([i for i, _ in grants]), Comment.post_id == post.id)
    ):
        if why_not(comment) is None:
            until = to_local(comment.created_at + edit_window())
            found.append({"id": comment.id, "until": until.strftime("%H:%M")})
    return found


def _back_to(comment: Comment) -> str:
    return url_for("posts.index", p=comment.post_id) + f"#comment-{comment.id}"


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    post = db.get_or_404(Post, comment.post_id)
    reason = why_not(comment)
    if reason is not None:
        return render_template(
            "comments/own_edit.html", comment=comment, post=post, form=None, reason=reason
        ), 403
    form = ReaderEditForm(data={"body": comment.body} if request.method == "GET" else None)
    if form.validate_on_submit():
        verdict = services.reader_edit(comment, form.body.data, load_settings())
        if verdict is None:
            flash(N_("Nothing changed."), "info")
        elif verdict.status == CommentStatus.APPROVED:
            flash(N_("Your comment is saved."), "success")
        else:
            flash(N_("Your comment is saved and is awaiting moderation."), "info")
        return redirect(_back_to(comment))
    return render_template(
        "comments/own_edit.html", comment=comment, post=post, form=form, reason=None
    ), 400 if form.errors else 200
