"""The outbox: every message the blog will send, written in the transaction of
what caused it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow


# Outbox statuses: queued (waiting, maybe for a retry), sending (claimed by a worker),
# sent, failed (gave up; last_error says why), cancelled (nothing left to say, e.g. every
# notice of a digest was unsubscribed before it went out).
class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


# What an outbox row is, which decides how the worker delivers it: every kind but
# ``activitypub`` (a signed POST to a fediverse inbox) is a mail.
class OutboxKind(StrEnum):
    COMMENT_HELD = "comment-held"  # a held comment, to the moderators
    REPLY_DIGEST = "reply-digest"
    SUBSCRIPTION_CONFIRM = "subscription-confirm"
    NEWSLETTER = "newsletter"  # a post mailed to a subscriber
    NEWSLETTER_CONFIRM = "newsletter-confirm"  # double opt-in, or the "manage" reminder
    NEWSLETTER_TEST = "newsletter-test"
    PASSWORD_RESET = "password-reset"
    NEW_DEVICE = "new-device"
    READER_EXPORT = "reader-export"
    READER_ERASE = "reader-erase"
    ACTIVITYPUB = "activitypub"
    SUBMISSION = "submission"  # an op-ed sent through the form, to the editors


class OutboxMessage(db.Model):
    """A message the blog will send, written in the transaction of what caused it and
    delivered afterwards by ``flask deliver`` (blogapp.mail.worker).

    ``idempotency_key`` is unique: writing the same cause twice queues one message,
    and the key is the mail's Message-ID, so a receiver can check it got it once."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's claim: due queued rows, and stale claims, oldest first.
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_kind_ref_status", "kind", "ref", "status"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(100), default="")  # what it is about: "comment:12"
    recipient: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    headers: Mapped[dict] = mapped_column(JSON, default=dict)  # extra mail headers
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # for kinds composed when sent
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
