"""Readers report a comment: a doxxing, a threat, spam.

A report keeps its reason, its time and a keyed hash of the reporter's client
address together with the comment (``reporter_digest``), so that one reader's
reports of one comment count once, and hashes of one reader's reports of two
comments cannot be matched. Nothing else about the reporter is kept, and the hash
is blanked with the other addresses after ``COMMENT_IP_RETENTION_DAYS``
(``forget_reporters``); with 0 days none is stored and every report counts.

Each report reaches the moderators' queue (the comment is marked "reported") and,
when ``COMMENT_NOTIFY_EMAILS`` is set, their mail, through the outbox. Reports from
``reports_to_hide`` readers hide the comment (back to pending) until a moderator
looks; the moderation log records it. A moderator's action on the comment settles
its reports."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from blogapp import clock
from blogapp.comments import notify, services
from blogapp.comments.settings import load_settings
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.mail.outbox import enqueue, site_url
from blogapp.models import Comment, CommentReport, CommentStatus, Post, ReportReason
from blogapp.reader_data import ip_retention_days
from blogapp.upsert import insert_for

KIND = "comment-report"
REASONS = {
    ReportReason.PERSONAL: _l("It reveals personal information about someone"),
    ReportReason.THREAT: _l("It threatens someone"),
    ReportReason.SPAM: _l("It is spam"),
    ReportReason.OTHER: _l("Something else a moderator should see"),
}
# Short names for the moderators' queue and mail.
REASON_NAMES = {
    ReportReason.PERSONAL: "personal information",
    ReportReason.THREAT: "threat",
    ReportReason.SPAM: "spam",
    ReportReason.OTHER: "other",
}


def reportable(comment_id: int) -> Comment | None:
    """The approved comment on a public post that a reader may report, or None."""
    return db.session.scalar(
        select(Comment)
        .join(Post, Post.id == Comment.post_id)
        .where(
            Comment.id == comment_id,
            Comment.status == CommentStatus.APPROVED,
            Post.public(clock.now()),
        )
    )


def reporter_digest(comment_id: int, address: str) -> str | None:
    """The keyed hash that tells one reporter of this comment from another; None
    when addresses are not kept at all."""
    if ip_retention_days() == 0 or not address:
        return None
    secret = current_app.secret_key.encode()
    return hmac.new(secret, f"report\0{comment_id}\0{address}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Reported:
    counted: bool  # False: this reader had reported it already
    hidden: bool  # this report hid the comment


def report(comment: Comment, reason: str, address: str) -> Reported:
    """Record a reader's report of ``comment`` (commits): the moderators' mail, and
    the comment hidden once enough readers reported it."""
    digest = reporter_digest(comment.id, address)
    threshold = load_settings().reports_to_hide

    def record() -> Reported:
        added = db.session.execute(
            insert_for(db.session, CommentReport.__table__)
            .values(
                comment_id=comment.id, reason=reason, reporter_digest=digest, created_at=clock.now()
            )
            .on_conflict_do_nothing(index_elements=["comment_id", "reporter_digest"])
            .returning(CommentReport.id)
        ).first()
        if added is None:  # inserted nothing: there is nothing to undo
            return Reported(counted=False, hidden=False)
        readers = (
            db.session.scalar(
                select(func.count())
                .select_from(CommentReport)
                .where(CommentReport.comment_id == comment.id, CommentReport.resolved_at.is_(None))
            )
            or 0
        )
        _mail_moderators(comment, reason, readers, added.id)
        hidden = False
        if threshold and readers >= threshold:
            fresh = db.session.get(Comment, comment.id)
            hidden = fresh is not None and services.hide_reported(fresh, readers)
        return Reported(counted=True, hidden=hidden)

    return commit_write(record)


def _mail_moderators(comment: Comment, reason: str, readers: int, report_id: int) -> None:
    if not notify.enabled():
        return
    site = current_app.config["SITE_NAME"]
    queue = site_url("moderation.comments", status="reported")
    text = (
        f"A reader reported comment #{comment.id} as: {REASON_NAMES[reason]}.\n"
        f"Readers who reported it so far: {readers}.\n\n"
        f"{services.summarize(comment)}\n\nSee the reported comments: {queue}\n"
    )
    for index, address in enumerate(notify.recipients()):
        enqueue(
            key=f"report.{report_id}.{index}",
            kind=KIND,
            recipient=address,
            subject=f"[{site}] A comment was reported",
            text=text,
            ref=f"comment:{comment.id}",
        )


def open_reports(comment_ids: list[int]) -> dict[int, Counter]:
    """The unsettled reports of each listed comment, by reason (one query)."""
    found: dict[int, Counter] = {}
    if comment_ids:
        for comment_id, reason, n in db.session.execute(
            select(CommentReport.comment_id, CommentReport.reason, func.count())
            .where(CommentReport.comment_id.in_(comment_ids), CommentReport.resolved_at.is_(None))
            .group_by(CommentReport.comment_id, CommentReport.reason)
        ):
            found.setdefault(comment_id, Counter())[REASON_NAMES.get(reason, reason)] = n
    return found


def reported_ids():
    """A subquery of the comments with unsettled reports (the queue's "Reported" tab)."""
    return select(CommentReport.comment_id).where(CommentReport.resolved_at.is_(None))


def forget_reporters() -> int:
    """Blank the reporters' hashes older than the address retention (commits)."""
    cutoff = clock.now() - timedelta(days=ip_retention_days())
    blanked = db.session.execute(
        update(CommentReport)
        .where(CommentReport.created_at < cutoff, CommentReport.reporter_digest.is_not(None))
        .values(reporter_digest=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return blanked
