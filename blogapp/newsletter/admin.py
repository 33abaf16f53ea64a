"""The Subscribers screen at ``/admin/subscribers`` (admins): the newsletter's
readers per list and status, a search by address, the last posts sent with how
many mails went out, failed or bounced, and the CSV export, the one way addresses
leave the server (asked for by an admin, never cached). Also "Send a test to me"
on a post's editing screen (editors): the newsletter mail of the post as it is
saved, to the editor's own address."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from blogapp.admin.blueprint import bp
from blogapp.arguments import page_arg
from blogapp.auth.permissions import admin_required, editor_required
from blogapp.clock import now
from blogapp.csv_cells import csv_cell
from blogapp.extensions import db
from blogapp.mail.link_request import is_address, one_per_address
from blogapp.mail.outbox import enqueue, mail_enabled
from blogapp.models import (
    NewsletterIssue,
    NewsletterSend,
    NewsletterStatus,
    NewsletterSubscriber,
    OutboxMessage,
    OutboxStatus,
    Post,
)
from blogapp.newsletter.services import compose_post
from blogapp.posts.admin import _load_post

PER_PAGE = 50
RECENT_ISSUES = 10
CSV_COLUMNS = ("email", "lists", "status", "created_at", "confirmed_at")


def _filtered(status: str, query: str):
    stmt = select(NewsletterSubscriber)
    if status:
        stmt = stmt.where(NewsletterSubscriber.status == status)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(NewsletterSubscriber.email.ilike(pattern, escape="\\"))
    return stmt.order_by(NewsletterSubscriber.created_at.desc(), NewsletterSubscriber.id.desc())


def _arguments() -> tuple[str, str]:
    status = request.args.get("status", "")
    query = request.args.get("q", "").strip()
    if status and status not in tuple(NewsletterStatus):
        abort(404)
    return status, query[:254]


def list_counts() -> dict[str, int]:
    """Confirmed readers of each list: English ones take "en" or "both", Khmer ones
    "km" or "both"."""
    by_choice = dict(
        db.session.execute(
            select(NewsletterSubscriber.lists, func.count())
            .where(NewsletterSubscriber.status == NewsletterStatus.CONFIRMED)
            .group_by(NewsletterSubscriber.lists)
        ).all()
    )
    both = by_choice.get("both", 0)
    return {"en": by_choice.get("en", 0) + both, "km": by_choice.get("km", 0) + both, "both": both}


def recent_issues() -> list[dict]:
    """The last posts sent, each with its mails by outbox status; "bounced" are the
    failed ones whose address is now bouncing."""
    issues = db.session.execute(
        select(NewsletterIssue, Post.title)
        .join(Post, Post.id == NewsletterIssue.post_id)
        .order_by(NewsletterIssue.queued_at.desc(), NewsletterIssue.post_id.desc())
        .limit(RECENT_ISSUES)
    ).all()
    ids = [issue.post_id for issue, _ in issues]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    rows = (
        db.session.execute(
            select(
                NewsletterSend.post_id,
                OutboxMessage.status,
                NewsletterSubscriber.status,
                func.count(),
            )
            .join(OutboxMessage, OutboxMessage.id == NewsletterSend.outbox_id)
            .join(NewsletterSubscriber, NewsletterSubscriber.id == NewsletterSend.subscriber_id)
            .where(NewsletterSend.post_id.in_(ids))
            .group_by(NewsletterSend.post_id, OutboxMessage.status, NewsletterSubscriber.status)
        ).all()
        if ids
        else []
    )
    for post_id, status, subscriber_status, count in rows:
        bounced = status == OutboxStatus.FAILED and subscriber_status == NewsletterStatus.BOUNCING
        name = "bounced" if bounced else status
        counts[post_id][name] = counts[post_id].get(name, 0) + count
    return [
        {
            "title": title,
            "queued_at": issue.queued_at,
            "recipients": issue.recipients,
            "counts": counts[issue.post_id],
        }
        for issue, title in issues
    ]


@bp.get("/subscribers")
@admin_required
def subscribers():
    status, query = _arguments()
    statuses = dict(
        db.session.execute(
            select(NewsletterSubscriber.status, func.count()).group_by(NewsletterSubscriber.status)
        ).all()
    )
    page = db.paginate(
        _filtered(status, query), page=page_arg(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "admin/subscribers.html",
        page=page,
        status=status,
        query=query,
        statuses=statuses,
        all_statuses=tuple(NewsletterStatus),
        lists=list_counts(),
        issues=recent_issues(),
    )


@bp.get("/subscribers.csv")
@admin_required
def export_subscribers():
    status, query = _arguments()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in db.session.scalars(_filtered(status, query)):
        writer.writerow([csv_cell(getattr(row, name)) for name in CSV_COLUMNS])
    # Like every admin page, never cached (the admin blueprint's private, no-store).
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="newsletter-subscribers.csv"'},
    )


@bp.post("/posts/<int:post_id>/newsletter-test")
@editor_required
def newsletter_test(post_id: int):
    post = _load_post(post_id)
    back = redirect(url_for("admin.edit_post", post_id=post.id))
    if not mail_enabled():
        flash(_("This site sends no mail: set BLOGAPP_MAIL_SERVER first."), "error")
        return back
    if not current_user.email:
        flash(_("Your account has no e-mail address to send the test to."), "error")
        return back
    content = compose_post(post)
    moment = now()
    enqueue(
        key=f"newsletter-test.{post.id}.{current_user.id}.{int(moment.timestamp())}",
        kind="newsletter-test",
        recipient=current_user.email,
        subject=f"[Test] {content['subject']}",
        text=content["text"] + "\n-- \nA test of the newsletter mail, sent to you only.\n",
        html=content["html"] + "<hr><p>A test of the newsletter mail, sent to you only.</p>",
        ref=f"post:{post.id}",
    )
    db.session.commit()
    flash(
        _(
            "A test is queued for %(email)s; the worker sends it on its next pass.",
            email=current_user.email,
        ),
        "success",
    )
    return back


# Column names of an address in the exports people bring: Ghost's members CSV
# ("email", with "subscribed_to_emails"), WordPress.com/Jetpack's subscribers CSV
# ("email_address" or "Email"), and a plain list.
EMAIL_COLUMNS = ("email", "email_address", "e-mail", "mail")
IMPORT_MAX_ROWS = 100_000


def read_import(data: bytes) -> tuple[list[str], int]:
    """The addresses of an uploaded CSV, and how many rows were skipped (not an
    address, or unsubscribed in Ghost); ValueError with a plain message otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The file is not UTF-8 text; export it again as CSV (UTF-8).") from None
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(rows, [])]
    column = next((header.index(name) for name in EMAIL_COLUMNS if name in header), None)
    if column is None:
        raise ValueError("No e-mail column: the first row must name one (email, email_address).")
    opted = header.index("subscribed_to_emails") if "subscribed_to_emails" in header else None
    found, skipped = [], 0
    for n, row in enumerate(rows):
        if n >= IMPORT_MAX_ROWS:
            raise ValueError(f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it.")
        email = row[column].strip() if column < len(row) else ""
        unsubscribed = (
            opted is not None
            and opted < len(row)
            and row[opted].strip().lower() in ("false", "0", "no")
        )
        if unsubscribed or not is_address(email):
            skipped += 1
            continue
        found.append(one_per_address(email))
    return list(dict.fromkeys(found)), skipped


@bp.post("/subscribers/import")
@admin_required
def import_subscribers():
    from blogapp.models import NEWSLETTER_LISTS
    from blogapp.newsletter.services import import_confirmed

    back = redirect(url_for("admin.subscribers"))
    upload = request.files.get("file")
    lists = request.form.get("lists", "")
    if lists not in NEWSLETTER_LISTS:
        flash(_("Choose the list the imported readers get: English, ខ្មែរ or both."), "error")
        return back
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file to import."), "error")
        return back
    try:
        emails, skipped = read_import(upload.read())
    except ValueError as error:
        flash(str(error), "error")
        return back
    added = import_confirmed(emails, lists)
    flash(
        _(
            "%(added)s subscribers added; %(already)s were already on the list; %(skipped)s "
            "rows skipped (no valid address, or unsubscribed).",
            added=added,
            already=len(emails) - added,
            skipped=skipped,
        ),
        "success",
    )
    return back
