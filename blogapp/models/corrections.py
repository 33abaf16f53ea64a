"""Corrections and update notes on published posts, with every version of each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow
from blogapp.models.posts import Post


# A correction or an update note on a published post. Its text is never rewritten in
# place without trace: every version, the first included, is a CorrectionVersion row.
class CorrectionKind(StrEnum):
    CORRECTION = "correction"
    UPDATE = "update"


CORRECTION = CorrectionKind.CORRECTION
UPDATE_NOTE = CorrectionKind.UPDATE
CORRECTION_KINDS = tuple(CorrectionKind)


class Correction(db.Model):
    """A dated note shown at the top of a post, in ``noted_at`` order."""

    __tablename__ = "corrections"
    __table_args__ = (
        Index("ix_corrections_post_noted", "post_id", "noted_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default=CORRECTION)
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, as written
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitized when written
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    post: Mapped[Post] = relationship(lazy="raise")


class CorrectionVersion(db.Model):
    """One version of a correction's text: the history readers can ask to see."""

    __tablename__ = "correction_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(
        ForeignKey("corrections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=CORRECTION)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
