"""Single-use links: the nonce of each link that has been used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime, utcnow


class UsedToken(db.Model):
    """A single-use link that has been used: its nonce, so it works once."""

    __tablename__ = "used_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30), default="")
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
