"""The blog's tables, as typed SQLAlchemy 2.x models.

Rendered HTML (``*_html``) is produced by ``blogapp.sanitize`` when content is
written; views never render Markdown or sanitize."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON, TypeDecorator

from blogapp.extensions import db


def utcnow() -> datetime:
    """Now in UTC, by the app's ``CLOCK`` when there is an app (tests move it)."""
    if has_app_context():
        return datetime.fromtimestamp(current_app.config["CLOCK"](), UTC)
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database.

    SQLite has no time zone type, so values are stored as naive UTC and made
    aware again when read; PostgreSQL uses ``timestamptz``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Roles, in increasing power. Editors run posts, categories and comments; admins also users.
ROLE_EDITOR = "editor"
ROLE_ADMIN = "admin"
ROLES = (ROLE_EDITOR, ROLE_ADMIN)

# Post statuses. "scheduled" is published_at in the future with status "published",
# as WordPress's "future": readers see it once its time comes, with no cron.
# Each status family is a StrEnum: a member equals, and is stored as, its plain string,
# so the String(20) columns hold the same values they always did.
class PostStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    PRIVATE = "private"


class CommentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


COMMENTS_OPEN = "open"
COMMENTS_MODERATED = "moderated"
COMMENTS_CLOSED = "closed"
COMMENT_MODES = (COMMENTS_OPEN, COMMENTS_MODERATED, COMMENTS_CLOSED)

FORMAT_MARKDOWN = "markdown"
FORMAT_HTML = "html"
CONTENT_FORMATS = (FORMAT_MARKDOWN, FORMAT_HTML)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    display_name: Mapped[str] = mapped_column(String(250), default="")
    role: Mapped[str] = mapped_column(String(20), default=ROLE_EDITOR)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on logout and password change; part of the session id so old cookies die.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    @property
    def public_name(self) -> str:
        """What a byline shows: the display name, else the login."""
        return self.display_name.strip() or self.login

    @property
    def is_active(self) -> bool:  # flask-login
        return self.is_active_account

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    # issue 19: the key of this login's LoginSession row (blogapp.auth.sessions), not stored.
    login_key = ""

    def get_id(self) -> str:  # flask-login: the session holds id, token and login together
        base = f"{self.id}:{self.session_token}"
        return f"{base}:{self.login_key}" if self.login_key else base


post_categories = Table(
    "post_categories",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_categories_category_post", "category_id", "post_id"),
)

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_tags_tag_post", "tag_id", "post_id"),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id], lazy="raise")


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # Every public listing filters on status and orders by date; id breaks ties.
        Index("ix_posts_status_published", "status", "published_at", "id"),
        Index("ix_posts_author_status_published", "author_id", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    content_format: Mapped[str] = mapped_column(String(10), default=FORMAT_MARKDOWN)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")  # the author's own, plain text
    excerpt_html: Mapped[str] = mapped_column(Text, default="")  # what listings show
    has_more: Mapped[bool] = mapped_column(Boolean, default=False)  # body goes past the excerpt
    search_text: Mapped[str] = mapped_column(Text, default="")  # title + body as plain text
    first_image_url: Mapped[str] = mapped_column(String(1000), default="")
    # The file name of its drawn share card (blogapp.cards), "" until one is drawn.
    share_card: Mapped[str] = mapped_column(String(40), default="", server_default="")
    source_line: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=PostStatus.DRAFT)
    language: Mapped[str] = mapped_column(String(10), default="en")
    comment_mode: Mapped[str] = mapped_column(String(10), default=COMMENTS_OPEN)
    sticky: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept in step by comment services, so listings need no count query per post.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    guid: Mapped[str] = mapped_column(String(500), default="")

    author: Mapped[User | None] = relationship(lazy="raise")
    categories: Mapped[list[Category]] = relationship(
        secondary=post_categories, lazy="raise", order_by=Category.name
    )
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, lazy="raise", order_by=Tag.name)

    @property
    def is_scheduled(self) -> bool:
        return self.status == PostStatus.PUBLISHED and self.published_at > utcnow()

    @property
    def display_status(self) -> str:
        return "scheduled" if self.is_scheduled else self.status

    @property
    def is_public(self) -> bool:
        return self.status == PostStatus.PUBLISHED and self.published_at <= utcnow()

    @classmethod
    def public(cls, now: datetime | None = None):
        """The SQL condition for posts a reader may see."""
        moment = utcnow() if now is None else now  # ``now`` may be a bindparam
        return and_(cls.status == PostStatus.PUBLISHED, cls.published_at <= moment)


class Page(db.Model):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    content_format: Mapped[str] = mapped_column(String(10), default=FORMAT_MARKDOWN)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=PostStatus.DRAFT)
    language: Mapped[str] = mapped_column(String(10), default="en")
    menu_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    author: Mapped[User | None] = relationship(lazy="raise")


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        Index("ix_comments_status_created", "status", "created_at"),
        Index("ix_comments_email_status", "author_email", "status"),
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
    # A reply from the fediverse (issue 18): its Note's id and its author's actor.
    remote_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    remote_actor: Mapped[str] = mapped_column(String(500), default="", server_default="")

    post: Mapped[Post] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(lazy="raise")


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
    # A reader's edit keeps the text as it was before (issue 15).
    previous_body: Mapped[str] = mapped_column(Text, default="", server_default="")

    actor: Mapped[User | None] = relationship(lazy="raise")


class Media(db.Model):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), unique=True)  # generated, never the client's
    thumb_filename: Mapped[str] = mapped_column(String(200), default="")
    original_name: Mapped[str] = mapped_column(String(300), default="")
    mime_type: Mapped[str] = mapped_column(String(50), default="")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    alt: Mapped[str] = mapped_column(String(500), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    credit: Mapped[str] = mapped_column(String(500), default="")
    source_url: Mapped[str] = mapped_column(String(1000), default="")  # e.g. the old WordPress URL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)


class Setting(db.Model):
    """Site settings an admin changes at run time (comment rules, word lists)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class Redirect(db.Model):
    """An old path that moved (a changed slug, an imported link) and where it went."""

    __tablename__ = "redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_path: Mapped[str] = mapped_column(String(1000), unique=True)
    new_path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThrottleHit(db.Model):
    """One counted attempt (a failed login, a comment) for ``blogapp.throttle``.

    ``key_digest`` is an HMAC of the counted key (an account name, a client address)
    under the SECRET_KEY: rows say whose attempts they count to no one without the key.
    A row is kept until ``expires_at``, the end of the longest window it counts in."""

    __tablename__ = "throttle_hits"
    __table_args__ = (
        Index("ix_throttle_hits_scope_key_created", "scope", "key_digest", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    key_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# Outbox statuses: queued (waiting, maybe for a retry), sending (claimed by a worker),
# sent, failed (gave up; last_error says why), cancelled (nothing left to say, e.g. every
# notice of a digest was unsubscribed before it went out).
class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


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


class MailSubscriber(db.Model):
    """An address that asked for reply notifications. It gets mail only once it has
    confirmed (double opt-in), and stays confirmed."""

    __tablename__ = "mail_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


SUBSCRIBE_REPLIES = "replies"  # replies to the reader's own comment
SUBSCRIBE_POST = "post"  # every new comment on the post
SUBSCRIPTION_SCOPES = (SUBSCRIBE_REPLIES, SUBSCRIBE_POST)


class MailSubscription(db.Model):
    """One thing a subscriber follows, asked for with ``comment_id`` (their comment):
    it counts only while that comment is approved."""

    __tablename__ = "mail_subscriptions"
    __table_args__ = (Index("ix_mail_subscriptions_post_scope", "post_id", "scope"),)

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
        UniqueConstraint("subscriber_id", "comment_id",
                         name="uq_reply_notices_subscriber_comment"),
        Index("ix_reply_notices_subscriber_outbox", "subscriber_id", "outbox_id"),
    )  # fmt: skip

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


class UsedToken(db.Model):
    """A single-use link that has been used: its nonce, so it works once."""

    __tablename__ = "used_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30), default="")
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TwoFactor(db.Model):
    """A user's TOTP secret (issue 19). ``confirmed_at`` is empty while enrolment waits
    for its first code; ``last_step`` is the newest 30-second step a code was accepted
    for, so a code seen once (shoulder-surfed, phished and replayed) is refused."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """One single-use recovery code, stored as a salted SHA-256 (the code itself has
    60 random bits: a slow hash would only slow down the owner); ``used_at`` is set
    by a conditional UPDATE, so two requests cannot both spend it."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# issue 17: the newsletter. A subscriber chooses a list (English, Khmer or both); an
# address is pending until it confirms (double opt-in), then confirmed, until it
# unsubscribes or the SMTP server refuses it for good (bouncing: no more mail).
NEWSLETTER_LISTS = ("en", "km", "both")


class NewsletterStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCING = "bouncing"


class NewsletterSubscriber(db.Model):
    """A reader following the blog by e-mail (blogapp.newsletter)."""

    __tablename__ = "newsletter_subscribers"
    __table_args__ = (Index("ix_newsletter_subscribers_status_lists", "status", "lists"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    lists: Mapped[str] = mapped_column(String(10), default="both")
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


# issue 16 (first half): the editor's desk. Every save of a post or page keeps a
# revision; an autosave is a revision too, one per item and user, never counted
# against REVISIONS_KEPT. Revisions are admin data: no reader page shows them, so
# writing one changes no content version (blogapp.content_version).
REVISION_SAVE = "save"
REVISION_AUTOSAVE = "autosave"
REVISION_RESTORE = "restore"
REVISION_IMPORT = "import"
REVISION_KINDS = (REVISION_SAVE, REVISION_AUTOSAVE, REVISION_RESTORE, REVISION_IMPORT)


class Revision(db.Model):
    """What a post or page said after one save (or autosave, restore, import)."""

    __tablename__ = "revisions"
    __table_args__ = (
        Index("ix_revisions_post_id_id", "post_id", "id"),
        Index("ix_revisions_page_id_id", "page_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default=REVISION_SAVE)
    title: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    content_format: Mapped[str] = mapped_column(String(10), default=FORMAT_MARKDOWN)
    status: Mapped[str] = mapped_column(String(20), default=PostStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text: the history still says who after an account is deleted.
    author_name: Mapped[str] = mapped_column(String(250), default="")
    restored_from_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_autosave(self) -> bool:
        return self.kind == REVISION_AUTOSAVE


class PreviewKey(db.Model):
    """The nonce every share-preview link of a post carries: deleting the row (or
    making a new nonce) revokes every link made before."""

    __tablename__ = "preview_keys"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# -- issue 16 (second half): corrections and linked translations ------------------------
# A correction or an update note on a published post. Its text is never rewritten in
# place without trace: every version, the first included, is a CorrectionVersion row.
CORRECTION = "correction"
UPDATE_NOTE = "update"
CORRECTION_KINDS = (CORRECTION, UPDATE_NOTE)


class Correction(db.Model):
    """A dated note shown at the top of a post, in ``noted_at`` order."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_post_noted", "post_id", "noted_at"),)

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


class PostTranslation(db.Model):
    """A post's place in a translation group: every post with the same ``group_id`` is
    a translation of the others (one per language)."""

    __tablename__ = "post_translations"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(Integer, index=True)


# issue 18: the blog as an ActivityPub actor (blogapp/fediverse). A follower is an
# account elsewhere following one of our actors ("blog" or an author's login); it is
# pending while FEDIVERSE_APPROVE_FOLLOWERS holds it, else accepted.
class FollowerStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"


class FediverseKey(db.Model):
    """The blog's RSA key pair for HTTP Signatures, made on first use (never in git)."""

    __tablename__ = "fediverse_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemoteActor(db.Model):
    """An account elsewhere, as its actor document said when last fetched: its public
    key (for verifying its signatures), its name and its inboxes."""

    __tablename__ = "fediverse_remote_actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    key_id: Mapped[str] = mapped_column(String(500), default="", index=True)
    public_key_pem: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(String(250), default="")
    handle: Mapped[str] = mapped_column(String(300), default="")  # user@host
    profile_url: Mapped[str] = mapped_column(String(500), default="")
    inbox: Mapped[str] = mapped_column(String(500), default="")
    shared_inbox: Mapped[str] = mapped_column(String(500), default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follower(db.Model):
    __tablename__ = "fediverse_followers"
    __table_args__ = (
        UniqueConstraint("target", "actor_uri", name="uq_fediverse_followers_target_actor"),
        Index("ix_fediverse_followers_target_status", "target", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(60))  # "blog" or an author's login
    actor_uri: Mapped[str] = mapped_column(String(500))
    inbox: Mapped[str] = mapped_column(String(500))  # the shared inbox when it has one
    follow_id: Mapped[str] = mapped_column(String(500), default="")  # their Follow's id
    status: Mapped[str] = mapped_column(String(20), default=FollowerStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FederatedPost(db.Model):
    """What followers were last told about a post: ``state`` "published" (a Create,
    then an Update per edit, ``revision`` counting them) or "deleted". No foreign
    key: a post deleted here must still be deleted there."""

    __tablename__ = "fediverse_posts"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(20), default="published")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    synced_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    author_login: Mapped[str] = mapped_column(String(60), default="")


class Reaction(db.Model):
    """A Like or an Announce (boost) of a post: counted, never shown as a comment."""

    __tablename__ = "fediverse_reactions"
    __table_args__ = (
        UniqueConstraint("kind", "actor_uri", "post_id", name="uq_fediverse_reactions"),
        Index("ix_fediverse_reactions_post_kind", "post_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "Like" or "Announce"
    actor_uri: Mapped[str] = mapped_column(String(500))
    activity_id: Mapped[str] = mapped_column(String(500), default="")
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- issue 19, second part: the audit log and per-login sessions ---------------------


class AuditEntry(db.Model):
    """One admin write: who (id and login, kept as text so the entry outlives the
    account), from where, by which request, what (table, row, the fields changed).
    Written by ``blogapp.audit``'s session hook in the transaction of the write.
    Append-only: no view updates or deletes it, and a trigger refuses both."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_created", "table_name", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives users
    actor_login: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    request: Mapped[str] = mapped_column(String(300), default="")  # "POST /admin/posts/3/edit"
    action: Mapped[str] = mapped_column(String(20))  # insert, update, delete, import, erase…
    table_name: Mapped[str] = mapped_column(String(60), default="")
    row_id: Mapped[str] = mapped_column(String(60), default="")
    label: Mapped[str] = mapped_column(String(200), default="")  # a title, a login, a key
    changes: Mapped[str] = mapped_column(Text, default="")  # field names, never values


class LoginSession(db.Model):
    """One login on one device ("where you're logged in"). Its ``key`` is part of the
    flask-login session id, so deleting the row ends that session and its remember-me
    cookie; ``last_seen_at`` is written at most once a minute. (blogapp.auth.sessions)"""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the session is revoked or ends; the row stays, so the device stays known.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A passkey (WebAuthn credential) a writer registered as a second factor: its
    id and public key (base64url), and the authenticator's signature counter, moved
    forward by a conditional UPDATE so a cloned authenticator's replay is refused."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(400), unique=True)
    public_key: Mapped[str] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
