"""What the server fetched, once, about an address a post shows on a line of its own
(blogapp/link_previews): a link card's title, description and picture, or a YouTube
video's still. Keyed by the address, not by the post: two posts linking the same page
share one fetch. Holds nothing about a reader: only addresses writers put in posts
and what those pages say about themselves."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime, utcnow
from blogapp.models.media import Media


class PreviewStatus(StrEnum):
    CARD = "card"  # something to show: a title, or a picture
    PLAIN = "plain"  # fetched, nothing to show (refused, 404, not HTML, too large): a plain link


class LinkPreview(db.Model):
    """``key`` is the SHA-256 of the address (addresses can be longer than an index
    allows); ``url`` the address itself. ``media`` is the picture, stored and
    re-encoded as an upload is (Media keeps its ``source_url``)."""

    __tablename__ = "link_previews"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=PreviewStatus.PLAIN)
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(String(1000), default="")
    site_name: Mapped[str] = mapped_column(String(200), default="")
    media_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("media.id", ondelete="SET NULL"), index=True
    )
    error: Mapped[str] = mapped_column(String(300), default="")  # why there is no card
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    media: Mapped[Media | None] = relationship(lazy="joined")
