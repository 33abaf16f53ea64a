"""Reader comments and the moderation trail each one leaves."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blogapp.extensions import db
from blogapp.models.base import EPOCH, NEVER_REUSED, UTCDateTime, utcnow
from blogapp.models.posts import Post
from blogapp.models.users import User


class CommentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        Index("ix_comments_status_created", "status", "created_at"),
        Index("ix_comments_email_status", "author_email", "status"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int] = mapped_column(Integer, default=0)  # 0 for top level
    author_name: Mapped[str] = mapped_column(String(250), default="")
    author_email: Mapped[str] = mapped_column(String(254), default="")
    author_url: Mapped[str] = mapped_column(String(500), default="")
    author_ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=CommentStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # A reply from the fediverse: its Note's id and its author's actor.
    remote_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    remote_actor: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Sent with a valid commenter key (blogapp.comments.keys): "known on this browser".
    known_browser: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The reader asked to be recognised on their browser: mailed a link once approved.
    wants_key: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    post: Mapped[Post] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(lazy="raise")

    @property
    def grant(self) -> tuple[int, int]:
        """How a browser's session or a signed link names this comment: its id and its
        creation time in microseconds, which a row given this id again would not share."""
        return self.id, (self.created_at - EPOCH) // timedelta(microseconds=1)


class ModerationEvent(db.Model):
    """Who did what to a comment, and when: the audit log."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    # Kept as text so the log still answers after a comment is deleted permanently.
    comment_summary: Mapped[str] = mapped_column(String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_login: Mapped[str] = mapped_column(String(60), default="")
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A reader's edit keeps the text as it was before, so moderators see what changed.
    previous_body: Mapped[str] = mapped_column(Text, default="", server_default="")

    actor: Mapped[User | None] = relationship(lazy="raise")
