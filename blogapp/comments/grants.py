"""What a browser may claim of the comments it sent, kept in its (signed cookie)
session: its held comments, shown to it alone (``section``), and those it may still
fix (``own_edits``).

A grant names a comment by its ``Comment.grant``, the id *and* the creation time,
never by the id alone: should a row ever be given an old id again (SQLite did that
before ``AUTOINCREMENT``; a restored backup could), it is not the row the grant
names. Grants in an older shape (bare ids) are ignored."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import session

from blogapp.models import Comment
from blogapp.models.base import EPOCH

Grant = tuple[int, int]


def granted(key: str) -> list[Grant]:
    """The grants kept under ``key``, oldest first; anything malformed is left out."""
    kept = session.get(key, [])
    if not isinstance(kept, list):
        return []
    return [
        (item[0], item[1])
        for item in kept
        if isinstance(item, list | tuple)
        and len(item) == 2
        and all(isinstance(part, int) and not isinstance(part, bool) for part in item)
    ]


def grant(key: str, comment: Comment, keep: int) -> None:
    """Keep ``comment``'s grant under ``key`` (the newest ``keep`` stay)."""
    session[key] = [list(g) for g in (granted(key) + [comment.grant])][-keep:]


def holds(grants: list[Grant], comment: Comment) -> bool:
    return comment.grant in grants


def grant_of(comment_id: int, created_at: datetime) -> Grant:
    """``Comment.grant`` of a comment read as a row of columns (the thread reads rows)."""
    return comment_id, (created_at - EPOCH) // timedelta(microseconds=1)
