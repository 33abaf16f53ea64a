"""Counted attempts for rate limits kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime


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
