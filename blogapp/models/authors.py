"""Author profiles: the people a byline names, who need not have an account
(guest writers, pen names), and the ordered bylines of each post.

A profile may be linked to an account (``user_id``); that link, the pen-name flag
and an unconfirmed submitter's state are for the admin only: no public page, feed
or JSON-LD reads them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow
from blogapp.models.media import Media
from blogapp.models.users import User

# A post's bylines, in order: ``position`` 0 is named first.
post_bylines = Table(
    "post_bylines",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "author_id",
        ForeignKey("author_profiles.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("position", Integer, nullable=False, default=0),
)


class AuthorProfile(db.Model):
    __tablename__ = "author_profiles"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    # The name in the site's language; ``names`` holds it in the others ({"km": "…"}).
    # Empty stays empty: an imported post whose author had no name shows no byline name.
    name: Mapped[str] = mapped_column(String(250), default="")
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    bio: Mapped[str] = mapped_column(Text, default="")  # plain text, short
    affiliation: Mapped[str] = mapped_column(String(250), default="")
    disclosure: Mapped[str] = mapped_column(String(500), default="")
    same_as: Mapped[str] = mapped_column(Text, default="")  # one https URL a line
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    # Admin only: the account this profile belongs to, if any.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_pen_name: Mapped[bool] = mapped_column(Boolean, default=False)
    # Named by a reader through the submission form, not yet checked by an editor:
    # cleared when a post bylined with it is published (blogapp.submissions).
    is_unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The WordPress login, or Co-Authors Plus's guest-author slug, it was imported from.
    wp_login: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    photo: Mapped[Media | None] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(lazy="raise")

    def name_in(self, language: str | None = None) -> str:
        """What a byline shows in ``language``: the name in it, else the site
        language's, else the slug (as a login stood in for an empty display name)."""
        return (self.names or {}).get(language or "", "").strip() or self.name or self.slug

    @property
    def links(self) -> list[str]:
        return [line.strip() for line in self.same_as.splitlines() if line.strip()]
