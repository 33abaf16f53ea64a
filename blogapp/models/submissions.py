"""A reader's op-ed sent through the submission form (blogapp/submissions): the
pending post it became, and how to reach its writer, sealed with age to the editors'
public keys. Never in clear: only an editor's identity opens it, in memory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime, utcnow


class Submission(db.Model):
    """One per submitted post; deleted with the post (rejected) or when it is
    published (``blogapp.submissions.services``)."""

    __tablename__ = "submissions"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # The writer's contact details, age-encrypted to SUBMISSIONS_RECIPIENTS.
    sealed_contact: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
