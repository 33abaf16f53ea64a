"""Posts and pages: what readers come for, and the switches each carries
(status, format, whether comments are open)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, defer, mapped_column, relationship

from blogapp.extensions import db
from blogapp.models.authors import AuthorProfile, post_bylines
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow
from blogapp.models.taxonomy import Category, Tag, post_categories, post_tags
from blogapp.models.users import User


# Post statuses. "scheduled" is published_at in the future with status "published",
# as WordPress's "future": readers see it once its time comes, with no cron.
# Each status family is a StrEnum: a member equals, and is stored as, its plain string,
# so the String(20) columns hold the same values they always did.
class PostStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    PRIVATE = "private"


# Whether a post takes comments: open (held only by the moderation rules), moderated
# (every comment held) or closed.
class CommentMode(StrEnum):
    OPEN = "open"
    MODERATED = "moderated"
    CLOSED = "closed"


# What a post's or page's ``body`` is written in.
class ContentFormat(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"


# The older names of the members above, so existing imports read as they did.
COMMENTS_OPEN = CommentMode.OPEN
COMMENTS_MODERATED = CommentMode.MODERATED
COMMENTS_CLOSED = CommentMode.CLOSED
COMMENT_MODES = tuple(CommentMode)

FORMAT_MARKDOWN = ContentFormat.MARKDOWN
FORMAT_HTML = ContentFormat.HTML
CONTENT_FORMATS = tuple(ContentFormat)


# A post's long text: its Markdown source, its HTML and its text for search.
LONG_TEXT = ("body", "body_html", "search_text")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # Every public listing filters on status and orders by date; id breaks ties.
        Index("ix_posts_status_published", "status", "published_at", "id"),
        Index("ix_posts_author_status_published", "author_id", "status", "published_at"),
        # The sitemap's newest change per category reads the public posts' dates from
        # here, not from each post's row (issue 35).
        Index("ix_posts_status_published_updated", "status", "published_at", "updated_at"),
        # The WordPress import asks which of a batch's GUIDs are here already.
        Index("ix_posts_guid", "guid"),
        NEVER_REUSED,
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
    # The featured image: a Media item with the post's own alt text and
    # caption; its address is copied here (and into first_image_url) on each save.
    featured_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL")
    )
    featured_image_url: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    featured_alt: Mapped[str] = mapped_column(String(500), default="", server_default="")
    featured_caption: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The file name of its drawn share card (blogapp.cards), "" until one is drawn.
    share_card: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # An upload the writer chose as the card instead of the drawn one (blogapp.cards).
    card_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
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
    # What readers see as "By A and B", in order; written by blogapp.authors.services.
    bylines: Mapped[list[AuthorProfile]] = relationship(
        secondary=post_bylines, lazy="raise", order_by=post_bylines.c.position, viewonly=True
    )

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

    @classmethod
    def long_text_left_out(cls, *shown: str) -> tuple:
        """Loader options for a page of many posts that leave out the long text it does
        not show (listings show the excerpt; the feed the HTML body; search results
        the search text), naming the columns it does show. They are most of a post's
        bytes, in SQLite's overflow pages: reading them for the front page's ten posts
        took SQLite 437 KB on the benchmark's site, 119 KB without."""
        return tuple(defer(getattr(cls, name)) for name in LONG_TEXT if name not in shown)


class Page(db.Model):
    __tablename__ = "pages"
    __table_args__ = (NEVER_REUSED,)

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
