"""The spam filter's tables (``blogapp.comments.spam_filter``): how often each
feature was seen in comments a moderator called spam or approved, kept in the
database so every worker scores with the same counts, and each comment's score
as it was when the comment was written."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db


class SpamToken(db.Model):
    """A feature (a character n-gram of the text, or a signal such as the number
    of links) and in how many trained comments of each kind it appeared. The row
    ``TOTAL`` counts the trained comments themselves."""

    __tablename__ = "spam_filter_tokens"
    # On SQLite, the rows live in the primary key's own B-tree: one lookup per feature.
    __table_args__ = {"sqlite_with_rowid": False}

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    spam: Mapped[int] = mapped_column(Integer, default=0)
    ham: Mapped[int] = mapped_column(Integer, default=0)


class CommentSpamScore(db.Model):
    """A comment's score when it was written (None: the filter had not learned
    enough yet), the features that weighed most, the signals seen then (not
    derivable later: how fast the form came back), and what the filter was
    trained with from it ("spam", "ham" or ""), so a reversed decision can be
    un-learned exactly."""

    __tablename__ = "comment_spam_scores"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float | None] = mapped_column(Float)
    weighed: Mapped[str] = mapped_column(String(600), default="")
    signals: Mapped[str] = mapped_column(String(200), default="")
    trained: Mapped[str] = mapped_column(String(10), default="")
