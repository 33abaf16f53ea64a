"""The moderators' screens at ``/admin/comments``: the list with its tabs, search and
bulk actions, one-comment actions, edit, reply, the audit log and (admins only)
the rules. Every change is a POST with CSRF and goes through ``services``."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from blogapp.arguments import page_arg
from blogapp.auth.permissions import admin_required, editor_required
from blogapp.comments import keys, lockdown, reports, services, spam_filter
from blogapp.comments.forms import EditForm, ReplyForm, SettingsForm
from blogapp.comments.settings import CommentSettings, load_settings, parse_words, save_settings
from blogapp.dates import local_to_utc
from blogapp.extensions import db
from blogapp.interface_language import N_
from blogapp.models import Comment, CommentStatus, ModerationEvent
from blogapp.next_url import safe_next
from blogapp.sanitize import strip_invisible

bp = Blueprint("moderation", __name__, url_prefix="/admin/comments")

PER_PAGE = 20
LOG_PER_PAGE = 50
# Tab, label and the statuses it lists. "All" is WordPress's: everything but spam and trash.
TABS = (
    ("all", N_("All"), (CommentStatus.PENDING, CommentStatus.APPROVED)),
    ("pending", N_("Pending"), (CommentStatus.PENDING,)),
    ("approved", N_("Approved"), (CommentStatus.APPROVED,)),
    ("spam", N_("Spam"), (CommentStatus.SPAM,)),
    ("trash", N_("Trash"), (CommentStatus.TRASH,)),
    # Comments readers reported that no moderator has looked at since (``reports``).
    ("reported", N_("Reported"), (CommentStatus.PENDING, CommentStatus.APPROVED)),
)
TAB_STATUSES = {key: statuses for key, _, statuses in TABS}
# What the moderator is told, whole sentences so that each language orders its own words.
DONE_ONE = {
    "approve": N_("Comment #%(id)s approved."),
    "unapprove": N_("Comment #%(id)s unapproved."),
    "spam": N_("Comment #%(id)s marked as spam."),
    "trash": N_("Comment #%(id)s moved to the trash."),
    "restore": N_("Comment #%(id)s restored."),
    "delete": N_("Comment #%(id)s deleted permanently."),
}
ALREADY = {
    "approve": N_("Comment #%(id)s was already approved; nothing changed."),
    "unapprove": N_("Comment #%(id)s was already unapproved; nothing changed."),
    "spam": N_("Comment #%(id)s was already marked as spam; nothing changed."),
    "trash": N_("Comment #%(id)s was already moved to the trash; nothing changed."),
    "restore": N_("Comment #%(id)s was already restored; nothing changed."),
    "delete": N_("Comment #%(id)s was already deleted permanently; nothing changed."),
}
DONE_MANY = {
    "approve": N_("%(changed)s of %(total)s comments approved."),
    "unapprove": N_("%(changed)s of %(total)s comments unapproved."),
    "spam": N_("%(changed)s of %(total)s comments marked as spam."),
    "trash": N_("%(changed)s of %(total)s comments moved to the trash."),
    "restore": N_("%(changed)s of %(total)s comments restored."),
    "delete": N_("%(changed)s of %(total)s comments deleted permanently."),
}


def _back(default: str):
    """Back to the list the moderator came from: only a path on this site."""
    return redirect(safe_next(request.form.get("next"), default))


def _comment_or_404(comment_id: int) -> Comment:
    return db.one_or_404(
        select(Comment).options(joinedload(Comment.post)).where(Comment.id == comment_id)
    )


def _events_for(comment_ids: list[int]) -> dict[int, list[ModerationEvent]]:
    """The audit trail of every listed comment, in one query."""
    found: dict[int, list[ModerationEvent]] = {i: [] for i in comment_ids}
    if comment_ids:
        for event in db.session.scalars(
            select(ModerationEvent)
            .where(ModerationEvent.comment_id.in_(comment_ids))
            .order_by(ModerationEvent.created_at, ModerationEvent.id)
        ):
            found[event.comment_id].append(event)
    return found


@bp.get("")
@editor_required
def comments():
    tab = request.args.get("status", "all")
    if tab not in TAB_STATUSES:
        abort(404)
    # Control characters (a NUL in particular) are not searchable text on PostgreSQL.
    query = strip_invisible(request.args.get("q", "")).strip()[:200]
    by_status = dict(
        db.session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
    )
    counts = {
        key: sum(by_status.get(s, 0) for s in statuses) for key, statuses in TAB_STATUSES.items()
    }
    reported = Comment.id.in_(reports.reported_ids())
    counts["reported"] = (
        db.session.scalar(
            select(func.count())
            .select_from(Comment)
            .where(reported, Comment.status.in_(TAB_STATUSES["reported"]))
        )
        or 0
    )
    stmt = (
        select(Comment)
        .options(joinedload(Comment.post))
        .where(Comment.status.in_(TAB_STATUSES[tab]))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    if tab == "reported":
        stmt = stmt.where(reported)
    if query:
        needle = query.lower()
        stmt = stmt.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        Comment.author_name,
                        Comment.author_email,
                        Comment.author_ip,
                        Comment.author_url,
                        Comment.body,
                    )
                )
            )
        )
    page = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "moderation/comments.html",
        page=page,
        tab=tab,
        tabs=TABS,
        counts=counts,
        query=query,
        events=_events_for([c.id for c in page.items]),
        spam_scores=spam_filter.scores_for([c.id for c in page.items]),
        confirmed=keys.confirmed_addresses([c.author_email for c in page.items]),
        reports=reports.open_reports([c.id for c in page.items]),
    )


@bp.post("/<int:comment_id>/<any(approve, unapprove, spam, trash, restore, delete):action>")
@editor_required
def act(comment_id: int, action: str):
    comment = _comment_or_404(comment_id)
    if action == "delete" and comment.status not in services.DELETABLE:
        flash(_("Only comments in Spam or Trash can be deleted permanently."), "error")
    elif services.apply(action, comment, current_user):
        flash(_(DONE_ONE[action], id=comment_id), "success")
    else:
        flash(_(ALREADY[action], id=comment_id), "info")
    return _back(url_for("moderation.comments"))


@bp.post("/<int:comment_id>/dismiss-reports")
@editor_required
def dismiss_reports(comment_id: int):
    """Keep a reported comment as it is: its reports are settled."""
    comment = _comment_or_404(comment_id)
    if services.dismiss_reports(comment, current_user):
        flash(_("The reports of comment #%(id)s are dismissed.", id=comment_id), "success")
    else:
        flash(_("Comment #%(id)s has no open reports.", id=comment_id), "info")
    return _back(url_for("moderation.comments", status="reported"))


@bp.post("/bulk")
@editor_required
def bulk():
    action = request.form.get("action", "")
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 12]
    if action not in services.ACTIONS:
        flash(_("Choose an action for the checked comments."), "error")
    elif not ids:
        flash(_("Check at least one comment."), "error")
    else:
        changed = services.bulk(action, ids, current_user)
        flash(_(DONE_MANY[action], changed=changed, total=len(set(ids))), "success")
    return _back(url_for("moderation.comments"))


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(comment_id: int):
    comment = _comment_or_404(comment_id)
    form = EditForm(obj=comment)
    if form.validate_on_submit():
        changed = services.edit(
            comment,
            current_user,
            author_name=form.author_name.data,
            author_email=form.author_email.data or "",
            author_url=form.author_url.data or "",
            body=form.body.data,
        )
        flash(
            _("Comment #%(id)s saved.", id=comment_id) if changed else _("Nothing changed."),
            "success",
        )
        return redirect(url_for("moderation.comments", status="all"))
    return render_template(
        "moderation/edit.html",
        comment=comment,
        form=form,
        events=_events_for([comment.id])[comment.id],
    ), 400 if form.errors else 200


@bp.route("/<int:comment_id>/reply", methods=["GET", "POST"])
@editor_required
def reply(comment_id: int):
    comment = _comment_or_404(comment_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            new = services.reply(comment, current_user, form.body.data)
        except services.SubmissionError as error:
            form.body.errors = [error.message]
        else:
            flash(_("Reply #%(id)s published.", id=new.id), "success")
            return redirect(url_for("moderation.comments", status="all"))
    return render_template(
        "moderation/reply.html",
        comment=comment,
        form=form,
        events=_events_for([comment.id])[comment.id],
    ), 400 if form.errors else 200


@bp.get("/log")
@editor_required
def log():
    page = db.paginate(
        select(ModerationEvent).order_by(
            ModerationEvent.created_at.desc(), ModerationEvent.id.desc()
        ),
        page=page_arg(),
        per_page=LOG_PER_PAGE,
        error_out=False,
    )
    return render_template("moderation/log.html", page=page)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    current = load_settings()
    form = SettingsForm(
        data={
            "auto_approve_known": current.auto_approve_known,
            "blocklist_words": "\n".join(current.blocklist_words),
            "moderation_words": "\n".join(current.moderation_words),
            "link_limit": current.link_limit,
            "close_after_days": current.close_after_days,
            "email_optional": current.email_optional,
            "reports_to_hide": current.reports_to_hide,
        }
    )
    if form.validate_on_submit():
        save_settings(
            CommentSettings(
                auto_approve_known=form.auto_approve_known.data,
                blocklist_words=parse_words(form.blocklist_words.data or ""),
                moderation_words=parse_words(form.moderation_words.data or ""),
                link_limit=form.link_limit.data,
                close_after_days=form.close_after_days.data,
                email_optional=form.email_optional.data,
                reports_to_hide=(
                    current.reports_to_hide
                    if form.reports_to_hide.data is None
                    else form.reports_to_hide.data
                ),
            )
        )
        flash(_("Comment settings saved."), "success")
        return redirect(url_for("moderation.settings"))
    return render_template("moderation/settings.html", form=form), 400 if form.errors else 200


@bp.post("/lockdown")
@editor_required
def switch_lockdown():
    """The dashboard's switch for a bad day (``lockdown``): hold every new comment, or
    close comments everywhere, until a time in the site's zone; or end it now. The
    audit log records who pressed it (the settings rows it writes)."""
    mode = request.form.get("mode", "")
    if mode == "off":
        lockdown.switch_off()
        flash(_("Comments are back to normal."), "success")
        return _back(url_for("admin.dashboard"))
    try:
        until = local_to_utc(datetime.fromisoformat(request.form.get("until", "").strip()))
        lockdown.switch_on(mode, until)
    except ValueError:
        flash(
            _(
                "Choose what to do and a time in the future when it ends "
                "(for example 2026-12-08 18:00)."
            ),
            "error",
        )
    else:
        flash(_("Lockdown on until the time you chose; it ends by itself."), "success")
    return _back(url_for("admin.dashboard"))
