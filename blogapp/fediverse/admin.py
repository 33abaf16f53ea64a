"""The Followers screen at ``/admin/followers`` (admins): who follows the blog and its
authors from the fediverse, and "Accept" (a POST) for those held while
``FEDIVERSE_APPROVE_FOLLOWERS`` is set. Their Accept goes out through the outbox."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from blogapp.admin.blueprint import bp
from blogapp.arguments import page_arg
from blogapp.auth.permissions import admin_required
from blogapp.extensions import db
from blogapp.fediverse.followers import NotAccepted, accept_held
from blogapp.interface_language import N_
from blogapp.models import Follower, FollowerStatus

PER_PAGE = 50
STATUSES = (FollowerStatus.PENDING, FollowerStatus.ACCEPTED)
TABS = ((FollowerStatus.PENDING, N_("Held")), (FollowerStatus.ACCEPTED, N_("Accepted")))


@bp.get("/followers")
@admin_required
def followers():
    if not current_app.config.get("FEDIVERSE_ENABLED"):
        abort(404)
    status = request.args.get("status", FollowerStatus.PENDING)
    if status not in STATUSES:
        abort(404)
    counts = dict(
        db.session.execute(select(Follower.status, func.count()).group_by(Follower.status)).all()
    )
    page = db.paginate(
        select(Follower)
        .where(Follower.status == status)
        .order_by(Follower.created_at.desc(), Follower.id.desc()),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/followers.html", page=page, status=status, counts=counts, tabs=TABS
    )


@bp.post("/followers/<int:follower_id>/accept")
@admin_required
def accept_follower(follower_id: int):
    if not current_app.config.get("FEDIVERSE_ENABLED"):
        abort(404)
    db.get_or_404(Follower, follower_id)
    try:
        follower = accept_held(follower_id)
    except NotAccepted as refusal:
        flash(str(refusal), "error")
    else:
        flash(
            _(
                "%(actor)s follows %(target)s now; the worker sends the Accept on its next pass.",
                actor=follower.actor_uri,
                target=follower.target,
            ),
            "success",
        )
    return redirect(url_for("admin.followers", status=FollowerStatus.PENDING))
