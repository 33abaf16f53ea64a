"""Linked translations: which posts say the same thing in another language."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db


class PostTranslation(db.Model):
    """A post's place in a translation group: every post with the same ``group_id`` is
    a translation of the others (one per language)."""

    __tablename__ = "post_translations"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(Integer, index=True)
