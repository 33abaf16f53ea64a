"""How long a commenter's address is kept: ``COMMENT_IP_RETENTION_DAYS``.

A leaked IP address can put a reader who comments on Cambodian politics at risk, so it
is kept only as long as moderation needs it (spam rules, spotting one person behind
many names): by default 30 days, then ``flask prune`` erases it, together with the
browser's user-agent string stored beside it. With 0 days neither is stored at all;
the spam rules still see the address while judging the comment, and then it is gone.

The moderation log quotes a comment's author and first words, so that it still says
what a comment was once a moderator deleted it for good. Such a line is past the reach
of the author's erasure (no comment is left to find it by), so it keeps the quote for
the same period, then ``flask prune`` blanks it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update

from blogapp import clock
from blogapp.extensions import db
from blogapp.models import Comment, ModerationEvent
from blogapp.reader_data import ip_retention_days

DELETED_SUMMARY = "(a comment deleted for good; its author and words are no longer kept)"


def retention_days() -> int:
    return ip_retention_days()


def keeps_addresses() -> bool:
    return retention_days() > 0


def erase_old_addresses() -> int:
    """Blank the address and user agent of every comment older than the retention
    period (with 0 days: every comment, say the imported ones); how many. Commits."""
    cutoff = clock.now() - timedelta(days=retention_days())
    expired = (Comment.created_at < cutoff, or_(Comment.author_ip != "", Comment.user_agent != ""))
    # Looked for first: an UPDATE of comments moves the content version (and renders
    # public pages anew) even when it changes no row, and this runs every hour.
    if db.session.scalar(select(Comment.id).where(*expired).limit(1)) is None:
        db.session.rollback()
        return 0
    erased = db.session.execute(
        update(Comment)
        .where(*expired)
        .values(author_ip="", user_agent="")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return erased


def erase_old_deleted_quotes() -> int:
    """Blank the quoted author and words of moderation-log lines about comments deleted
    for good, once older than the retention period; how many. Commits."""
    cutoff = clock.now() - timedelta(days=retention_days())
    blanked = db.session.execute(
        update(ModerationEvent)
        .where(
            ModerationEvent.comment_id.is_(None),
            ModerationEvent.created_at < cutoff,
            or_(
                ModerationEvent.comment_summary != DELETED_SUMMARY,
                ModerationEvent.previous_body != "",
            ),
        )
        .values(comment_summary=DELETED_SUMMARY, previous_body="")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return blanked
