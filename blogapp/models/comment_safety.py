"""What keeps commenters safe (issue 33): the keys that let a browser's comments be
recognised, and readers' reports of a comment."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow


class CommenterKey(db.Model):
    """A browser's commenter key, given when its reader confirmed ``email`` through a
    mailed link. Only a hash of the key is kept: the key itself lives in the
    browser's cookie, so a stolen database recognises nobody."""

    __tablename__ = "commenter_keys"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportReason(StrEnum):
    PERSONAL = "personal"  # personal information (doxxing)
    THREAT = "threat"
    SPAM = "spam"
    OTHER = "other"


REPORT_REASONS = tuple(ReportReason)


class CommentReport(db.Model):
    """A reader's report of an approved comment. ``reporter_digest`` is a keyed hash
    of the reporter's client address and the comment, so reports from one reader
    count once; it is blanked with the other addresses (``COMMENT_IP_RETENTION_DAYS``).
    Nothing else about the reporter is kept."""

    __tablename__ = "comment_reports"
    __table_args__ = (
        UniqueConstraint("comment_id", "reporter_digest", name="uq_comment_reports_reporter"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    reporter_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set when a moderator acts on the comment: the report is dealt with.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
