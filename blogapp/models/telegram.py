"""What the Telegram channel was last sent about each post (blogapp/telegram)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime, utcnow


class TelegramMessage(db.Model):
    """The channel message that shows a post: where it is (``chat_id``,
    ``message_id``), whether it is a photo (the card, edited with
    ``editMessageCaption``, or ``editMessageMedia`` for a new card) or text
    (``editMessageText``), and a digest of the words it shows, so an edit that
    changes none of them sends nothing. No foreign key: a post deleted here must
    still have its message deleted there."""

    __tablename__ = "telegram_messages"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chat_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[int] = mapped_column(BigInteger)
    is_photo: Mapped[bool] = mapped_column(default=True)
    card: Mapped[str] = mapped_column(String(40), default="")  # the card it shows
    text_digest: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
