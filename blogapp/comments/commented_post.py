"""What a comment's journey reads of its post.

A comment POST loads a narrow row of these columns instead of a whole ``Post`` (whose
loading costs more than the rest of the query); the post page loads the ``Post``.
Both have these attributes, so judging, storing and redirecting take either."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class CommentedPost(Protocol):
    id: int
    slug: str
    title: str
    status: str
    comment_mode: str
    published_at: datetime
    comment_count: int
