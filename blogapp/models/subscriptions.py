"""Reply notifications: who asked to hear about replies, to what, and which
approved comments they are still to hear about."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow
from blogapp.models.posts import Post


class MailSubscriber(db.Model):
    """An address that asked for reply notifications. It gets mail only once it has
    confirmed (double opt-in), and stays confirmed."""

    __tablename__ = "mail_subscribers"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriptionScope(StrEnum):
    REPLIES = "replies"  # replies to the reader's own comment
    POST = "post"  # every new comment on the post


SUBSCRIBE_REPLIES = SubscriptionScope.REPLIES
SUBSCRIBE_POST = SubscriptionScope.POST
SUBSCRIPTION_SCOPES = tuple(SubscriptionScope)


class MailSubscription(db.Model):
    """One thing a subscriber follows, asked for with ``comment_id`` (their comment):
    it counts only while that comment is approved."""

    __tablename__ = "mail_subscriptions"
    __table_args__ = (
        Index("ix_mail_subscriptions_post_scope", "post_id", "scope"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("mail_subscribers.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(10), default=SUBSCRIBE_REPLIES)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscriber: Mapped[MailSubscriber] = relationship(lazy="raise")
    post: Mapped[Post] = relationship(lazy="raise")


class ReplyNotice(db.Model):
    """An approved comment a subscriber is to hear about; ``outbox_id`` is the digest
    that told them (empty until one is composed)."""

    __tablename__ = "reply_notices"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "comment_id", name="uq_reply_notices_subscriber_comment"),
        Index("ix_reply_notices_subscriber_outbox", "subscriber_id", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("mail_subscribers.id", ondelete="CASCADE")
    )
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("mail_subscriptions.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
