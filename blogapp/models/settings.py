"""Run-time settings and redirects an admin keeps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime, utcnow


# What erasing a reader's data does to their comments: anonymize keeps the text
# under "Anonymous", delete removes it. The choice is the setting ``privacy.erasure``.
class ErasureMode(StrEnum):
    ANONYMIZE = "anonymize"
    DELETE = "delete"


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
