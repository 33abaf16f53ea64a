"""The reader's side: the comment form's POST. The section a post page shows is
built by ``section.py``; this module reads the request and renders."""

from __future__ import annotations

import functools

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blogapp import throttle
from blogapp.comments import reports
from blogapp.comments.forms import CommentForm
from blogapp.comments.section import post_comment, preview_comment
from blogapp.database import read_transactions
from blogapp.errors import render_error
from blogapp.extensions import csrf, db
from blogapp.interface_language import set_page_language
from blogapp.models import Post
from blogapp.security import is_same_origin

bp = Blueprint("comments", __name__)


CROSS_SITE_MESSAGE = _l(
    "This comment did not come from a page of this site, so it was not stored. Go back, "
    "reload the post and send your comment from there."
)


def from_this_site(view):
    """Refuse a comment form that a page of another site sent (before it is counted
    against the reader's address): the shared page holds no token to check."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not is_same_origin():
            return render_error(403, CROSS_SITE_MESSAGE)
        return view(*args, **kwargs)

    return checked


@bp.post("/comments/post/<int:post_id>")
@csrf.exempt  # the page a reader without a session gets is shared: it holds no token
@from_this_site
@throttle.per_address("comment-address", "COMMENT_RATE_LIMIT")
def create(post_id: int):
    # Reading, validating, cleaning and judging take no write lock: other workers'
    # comments are stored meanwhile. Only services.submit's short insert writes.
    with read_transactions():
        if current_user.is_authenticated:  # their page is their own: it has a token
            csrf.protect()
        posted = post_comment(
            post_id,
            CommentForm(meta={"csrf": False}),
            author_ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
        )
        if posted.closed:
            return render_error(403, posted.closed_message)
        if posted.location:
            return redirect(posted.location)
        return render_template("posts/detail.html", post=posted.post, **posted.section), 400


@bp.post("/comments/post/<int:post_id>/preview")
@csrf.exempt  # as the form's own POST: the shared page holds no token
@from_this_site
def preview(post_id: int):
    """The form's Preview button (``formaction``): the comment as it would appear,
    the form filled in again, nothing stored; a page for this reader alone."""
    with read_transactions():
        if current_user.is_authenticated:
            csrf.protect()
        posted = preview_comment(post_id, CommentForm(meta={"csrf": False}))
        if posted.closed:
            return render_error(403, posted.closed_message)
        page = render_template("posts/detail.html", post=posted.post, **posted.section)
    status = 200 if posted.section["preview_html"] is not None else 400
    return page, status, {"Cache-Control": "private, no-store"}


def _report_page(comment, status: int = 200, **context):
    post = db.session.get(Post, comment.post_id)
    set_page_language(post.language)  # the page speaks the language of the post
    return render_template(
        "comments/report.html", comment=comment, post=post, reasons=reports.REASONS, **context
    ), status


@bp.get("/comments/report/<int:comment_id>")
def report_form(comment_id: int):
    """The report form: the same page for every reader (no token, no cookie read)."""
    comment = reports.reportable(comment_id)
    if comment is None:
        abort(404)
    return _report_page(comment)


@bp.post("/comments/report/<int:comment_id>")
@csrf.exempt  # the form's page is shared: it holds no token
@from_this_site
@throttle.per_address("comment-report", "COMMENT_REPORT_RATE_LIMIT")
def report(comment_id: int):
    comment = reports.reportable(comment_id)
    if comment is None:
        abort(404)
    reason = request.form.get("reason", "")
    if reason not in reports.REASONS:
        return _report_page(comment, 400, error=gettext("Choose a reason."))
    reports.report(comment, reason, throttle.client_address())
    page = _report_page(comment, done=gettext("Thank you. Moderators will look at this comment."))
    return page[0], page[1], {"Cache-Control": "private, no-store"}
