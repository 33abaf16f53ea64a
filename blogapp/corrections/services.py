"""Corrections and update notes on published posts.

A note is added to a public post, dated when it is added, and shown at the top of
the post. Changing it keeps what it said: every text a note has had is a
``CorrectionVersion`` row, the first included, and the post shows that it was
edited and what it said before. Nothing here is ever deleted by an editor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from blogapp import clock
from blogapp.content import render_body
from blogapp.extensions import db
from blogapp.models import (
    CORRECTION_KINDS,
    FORMAT_MARKDOWN,
    Correction,
    CorrectionVersion,
    Post,
    User,
)

MAX_NOTE_LENGTH = 5000
KIND_LABELS = {"correction": "Correction", "update": "Update"}


class NoteRefused(ValueError):
    """The note cannot be stored; ``str(error)`` says why, for the editor."""


@dataclass(frozen=True)
class EarlierText:
    body_html: str
    written_at: datetime


@dataclass(frozen=True)
class Note:
    """A correction as a post page shows it: kept per content version, not an ORM row."""

    id: int
    post_id: int
    kind: str
    label: str
    body_html: str
    noted_at: datetime
    updated_at: datetime
    earlier: tuple[EarlierText, ...]  # oldest first; empty when never edited


def _checked(kind: str, body: str) -> tuple[str, str]:
    body = (body or "").strip()
    if kind not in CORRECTION_KINDS:
        raise NoteRefused("Choose whether this is a correction or an update.")
    if not body:
        raise NoteRefused("Write what was wrong and what is right now.")
    if len(body) > MAX_NOTE_LENGTH:
        raise NoteRefused(f"A note is at most {MAX_NOTE_LENGTH:,} characters.")
    return kind, body


def add_note(post: Post, kind: str, body: str, author: User | None) -> Correction:
    """Add a dated note to a public post (the caller commits)."""
    if not post.is_public:
        raise NoteRefused("Only a published post can carry a correction; edit a draft instead.")
    kind, body = _checked(kind, body)
    now = clock.now()
    note = Correction(
        post_id=post.id,
        kind=kind,
        body=body,
        body_html=render_body(body, FORMAT_MARKDOWN),
        noted_at=now,
        updated_at=now,
        author_id=getattr(author, "id", None),
    )
    db.session.add(note)
    db.session.flush()
    _keep_version(note, author, now)
    return note


def change_note(note: Correction, kind: str, body: str, author: User | None) -> bool:
    """Change a note's text, keeping the old one; False when nothing changed."""
    kind, body = _checked(kind, body)
    if (kind, body) == (note.kind, note.body):
        return False
    now = clock.now()
    note.kind, note.body = kind, body
    note.body_html = render_body(body, FORMAT_MARKDOWN)
    note.updated_at = now
    _keep_version(note, author, now)
    return True


def _keep_version(note: Correction, author: User | None, when: datetime) -> None:
    db.session.add(
        CorrectionVersion(
            correction_id=note.id,
            kind=note.kind,
            body=note.body,
            body_html=note.body_html,
            created_at=when,
            author_id=getattr(author, "id", None),
        )
    )


@dataclass(frozen=True)
class NoteRow:
    """One version of one note, as the post page's query reads it."""

    id: int
    post_id: int
    kind: str
    body_html: str
    noted_at: datetime
    updated_at: datetime
    version_html: str
    version_at: datetime


def build_notes(rows) -> list[Note]:
    """Notes from their version rows (ordered by note, then version): the newest version
    is the text shown, the others are what the note said before."""
    by_id: dict[int, list[NoteRow]] = {}
    for row in rows:
        by_id.setdefault(row.id, []).append(row)
    notes = []
    for versions in by_id.values():
        last = versions[-1]
        earlier = tuple(EarlierText(v.version_html, v.version_at) for v in versions[:-1])
        notes.append(
            Note(
                last.id,
                last.post_id,
                last.kind,
                KIND_LABELS[last.kind],
                last.body_html,
                last.noted_at,
                last.updated_at,
                earlier,
            )
        )
    return notes


def last_noted(notes: list[Note]) -> datetime | None:
    """When the newest note was added or changed: a post's own "modified" moves with it."""
    return max((n.updated_at for n in notes), default=None)
