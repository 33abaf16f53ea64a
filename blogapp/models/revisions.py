"""The editor's desk: every saved version of a post or page, and the keys of
share-preview links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow
from blogapp.models.posts import FORMAT_MARKDOWN, PostStatus


# The editor's desk. Every save of a post or page keeps a
# revision; an autosave is a revision too, one per item and user, never counted
# against REVISIONS_KEPT. Revisions are admin data: no reader page shows them, so
# writing one changes no content version (blogapp.content_version).
class RevisionKind(StrEnum):
    SAVE = "save"
    AUTOSAVE = "autosave"
    RESTORE = "restore"
    IMPORT = "import"


REVISION_SAVE = RevisionKind.SAVE
REVISION_AUTOSAVE = RevisionKind.AUTOSAVE
REVISION_RESTORE = RevisionKind.RESTORE
REVISION_IMPORT = RevisionKind.IMPORT
REVISION_KINDS = tuple(RevisionKind)


class Revision(db.Model):
    """What a post or page said after one save (or autosave, restore, import)."""

    __tablename__ = "revisions"
    __table_args__ = (
        Index("ix_revisions_post_id_id", "post_id", "id"),
        Index("ix_revisions_page_id_id", "page_id", "id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default=REVISION_SAVE)
    title: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    content_format: Mapped[str] = mapped_column(String(10), default=FORMAT_MARKDOWN)
    status: Mapped[str] = mapped_column(String(20), default=PostStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text: the history still says who after an account is deleted.
    author_name: Mapped[str] = mapped_column(String(250), default="")
    restored_from_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_autosave(self) -> bool:
        return self.kind == REVISION_AUTOSAVE


class PreviewKey(db.Model):
    """The nonce every share-preview link of a post carries: deleting the row (or
    making a new nonce) revokes every link made before."""

    __tablename__ = "preview_keys"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
