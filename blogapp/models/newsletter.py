"""The newsletter: its subscribers, the posts it sent and to whom."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow


# A newsletter subscriber chooses a list (English, Khmer or both); an
# address is pending until it confirms (double opt-in), then confirmed, until it
# unsubscribes or the SMTP server refuses it for good (bouncing: no more mail).
class NewsletterList(StrEnum):
    ENGLISH = "en"
    KHMER = "km"
    BOTH = "both"


NEWSLETTER_LISTS = tuple(NewsletterList)


class NewsletterStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCING = "bouncing"


class NewsletterSubscriber(db.Model):
    """A reader following the blog by e-mail (blogapp.newsletter)."""

    __tablename__ = "newsletter_subscribers"
    __table_args__ = (
        Index("ix_newsletter_subscribers_status_lists", "status", "lists"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    lists: Mapped[str] = mapped_column(String(10), default=NewsletterList.BOTH)
    status: Mapped[str] = mapped_column(String(20), default=NewsletterStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NewsletterIssue(db.Model):
    """A post queued for the newsletter: once ``completed_at`` is set (every
    subscriber's mail queued), edits, corrections or a second publication never
    send it again."""

    __tablename__ = "newsletter_issues"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class NewsletterSend(db.Model):
    """One post queued for one subscriber; whether it went out is its outbox row's status."""

    __tablename__ = "newsletter_sends"
    __table_args__ = (
        UniqueConstraint("post_id", "subscriber_id", name="uq_newsletter_sends_post_subscriber"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"), index=True
    )
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
