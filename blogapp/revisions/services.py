"""Revisions of posts and pages: storing one per save, keeping at most
REVISIONS_KEPT, the one autosave per item and user, the version a save was based
on, and reading them back as a diff.

Revisions are admin data. Nothing here writes a table readers see, so storing a
revision (an autosave above all) makes no new content version; the save of the
post or page it belongs to does that on its own (blogapp.content_version)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from flask import current_app
from sqlalchemy import delete, insert, select

from blogapp import clock
from blogapp.extensions import db
from blogapp.models import (
    CONTENT_FORMATS,
    FORMAT_MARKDOWN,
    REVISION_AUTOSAVE,
    REVISION_IMPORT,
    REVISION_SAVE,
    Page,
    Post,
    Revision,
    User,
)

Item = Post | Page


class StaleSave(ValueError):
    """A save based on a version that is no longer the latest: someone saved since.
    ``base`` is the revision the editor opened (None when it is gone), ``latest``
    the one saved since."""

    def __init__(self, base: Revision | None, latest: Revision) -> None:
        super().__init__(f"based on revision {base.id if base else '?'}, latest is {latest.id}")
        self.base = base
        self.latest = latest


def _owner(item: Item) -> dict[str, int]:
    return {"post_id": item.id} if isinstance(item, Post) else {"page_id": item.id}


def _of(item: Item):
    """The SQL condition for the revisions of ``item``."""
    if isinstance(item, Post):
        return Revision.post_id == item.id
    return Revision.page_id == item.id


def author_name(user: User | None) -> str:
    return user.public_name if user is not None else ""


def record(
    item: Item,
    *,
    author: User | None,
    kind: str = REVISION_SAVE,
    restored_from: Revision | None = None,
) -> Revision:
    """Store what ``item`` says now, in the open transaction (the caller commits).

    A real save also ends its author's autosave of the item (the save supersedes it)
    and drops the oldest saved revisions beyond REVISIONS_KEPT."""
    if item.id is None:
        db.session.flush()
    revision = Revision(
        **_owner(item),
        kind=kind,
        title=item.title,
        body=item.body,
        excerpt=getattr(item, "excerpt", ""),
        content_format=item.content_format,
        status=_status_of(item),
        author_id=author.id if author else None,
        author_name=author_name(author),
        created_at=clock.now(),
        restored_from_id=restored_from.id if restored_from else None,
    )
    db.session.add(revision)
    db.session.flush()
    if author is not None:
        db.session.execute(
            delete(Revision).where(
                _of(item), Revision.kind == REVISION_AUTOSAVE, Revision.author_id == author.id
            )
        )
    prune(item)
    return revision


def _status_of(item: Item) -> str:
    return item.display_status if isinstance(item, Post) else item.status


def prune(item: Item, keep: int | None = None) -> None:
    """Keep the newest ``keep`` saved revisions (REVISIONS_KEPT); autosaves are not
    counted, so they never push out a real save."""
    keep = int(current_app.config["REVISIONS_KEPT"] if keep is None else keep)
    newest = (
        select(Revision.id)
        .where(_of(item), Revision.kind != REVISION_AUTOSAVE)
        .order_by(Revision.id.desc())
        .limit(max(keep, 1))
    )
    db.session.execute(
        delete(Revision).where(
            _of(item), Revision.kind != REVISION_AUTOSAVE, Revision.id.not_in(newest)
        )
    )


@dataclass(frozen=True)
class Draft:
    """What an autosave sends: the editor's text as it stands."""

    title: str = ""
    body: str = ""
    excerpt: str = ""
    content_format: str = FORMAT_MARKDOWN
    status: str = ""

    @classmethod
    def from_form(cls, form) -> Draft:
        fmt = form.get("content_format", FORMAT_MARKDOWN)
        return cls(
            title=form.get("title", "")[:500],
            body=form.get("body", ""),
            excerpt=form.get("excerpt", "")[:5000],
            content_format=fmt if fmt in CONTENT_FORMATS else FORMAT_MARKDOWN,
            status=form.get("status", "")[:20],
        )


def autosave(item: Item, draft: Draft, *, author: User) -> Revision:
    """Keep ``draft`` as ``author``'s one autosave of ``item`` (replacing the last one)
    and commit. The item itself is not touched: readers see nothing change."""
    db.session.execute(
        delete(Revision).where(
            _of(item), Revision.kind == REVISION_AUTOSAVE, Revision.author_id == author.id
        )
    )
    revision = Revision(
        **_owner(item),
        kind=REVISION_AUTOSAVE,
        title=draft.title,
        body=draft.body,
        excerpt=draft.excerpt,
        content_format=draft.content_format,
        status=draft.status or _status_of(item),
        author_id=author.id,
        author_name=author_name(author),
        created_at=clock.now(),
    )
    db.session.add(revision)
    db.session.commit()
    return revision


def history(item: Item) -> list[Revision]:
    """Every kept revision of ``item``, newest first (one query)."""
    return list(db.session.scalars(select(Revision).where(_of(item)).order_by(Revision.id.desc())))


def latest_saved(item: Item) -> Revision | None:
    return db.session.scalar(
        select(Revision)
        .where(_of(item), Revision.kind != REVISION_AUTOSAVE)
        .order_by(Revision.id.desc())
        .limit(1)
    )


def newer_autosave(item: Item) -> Revision | None:
    """The newest autosave of ``item`` made after its last save, if any."""
    latest = latest_saved(item)
    stmt = select(Revision).where(_of(item), Revision.kind == REVISION_AUTOSAVE)
    if latest is not None:
        stmt = stmt.where(Revision.id > latest.id)
    return db.session.scalar(stmt.order_by(Revision.id.desc()).limit(1))


def revision_of(item: Item, revision_id: int) -> Revision | None:
    return db.session.scalar(select(Revision).where(_of(item), Revision.id == revision_id))


def parse_based_on(value) -> int | None:
    """The editor's hidden ``based_on``: a revision id, 0 for "none yet", or None when
    the form did not say (then no check is made)."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def check_based_on(item: Item, based_on: int | None) -> None:
    """Refuse (StaleSave) a save of ``item`` based on anything but its latest saved
    revision. The item's row is locked first (PostgreSQL; SQLite writers queue
    anyway), so two saves based on the same version cannot both pass."""
    if based_on is None or item.id is None:
        return
    model = type(item)
    db.session.execute(select(model.id).where(model.id == item.id).with_for_update())
    latest = latest_saved(item)
    if latest is None or latest.id == based_on:
        return
    raise StaleSave(revision_of(item, based_on) if based_on else None, latest)


def store_imported(posts: list[Post], pages: list[Page]) -> None:
    """One revision per imported post and page, in one INSERT (the import's speed)."""
    now = clock.now()
    rows = [
        {
            "post_id": p.id if isinstance(p, Post) else None,
            "page_id": p.id if isinstance(p, Page) else None,
            "kind": REVISION_IMPORT,
            "title": p.title,
            "body": p.body,
            "excerpt": getattr(p, "excerpt", ""),
            "content_format": p.content_format,
            "status": p.status,
            "author_id": p.author_id,
            "author_name": "WordPress import",
            "restored_from_id": None,
            "created_at": now,
        }
        for p in [*posts, *pages]
    ]
    if rows:
        db.session.execute(insert(Revision), rows)


# -- diffs ------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
CONTEXT_LINES = 2


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: ``kind`` same, del, ins, changed or gap (lines left out);
    ``parts`` (op, text) with op same, del or ins, escaped by the template."""

    kind: str
    parts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FieldDiff:
    label: str
    changed: bool
    lines: tuple[DiffLine, ...]


def _words(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(b[j1:j2])))
    return tuple(parts)


def diff_text(old: str, new: str) -> tuple[DiffLine, ...]:
    """Line by line, words marked inside changed lines; long unchanged runs shortened
    to CONTEXT_LINES either side of a change."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = a[i1:i2]
            head = CONTEXT_LINES if n > 0 else 0
            tail = CONTEXT_LINES if n < len(opcodes) - 1 else 0
            if len(same) <= head + tail:
                lines += [DiffLine("same", (("same", line),)) for line in same]
                continue
            lines += [DiffLine("same", (("same", line),)) for line in same[:head]]
            left_out = len(same) - head - tail
            lines.append(DiffLine("gap", (("same", f"{left_out} unchanged lines"),)))
            lines += [DiffLine("same", (("same", line),)) for line in same[len(same) - tail :]]
        elif tag == "replace" and i2 - i1 == j2 - j1:
            lines += [
                DiffLine("changed", _words(x, y)) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)
            ]
        else:
            lines += [DiffLine("del", (("del", line),)) for line in a[i1:i2]]
            lines += [DiffLine("ins", (("ins", line),)) for line in b[j1:j2]]
    return tuple(lines)


def _value(obj, attr: str) -> str:
    found = obj.get(attr) if isinstance(obj, Mapping) else getattr(obj, attr, "")
    return str(found or "")


def compare(old, new) -> list[FieldDiff]:
    """Title, excerpt, format, status and body of two revisions (or a post, or a
    form's data as a mapping), oldest first."""
    found = []
    for label, attr in (
        ("Title", "title"),
        ("Excerpt", "excerpt"),
        ("Format", "content_format"),
        ("Status", "status"),
        ("Content", "body"),
    ):
        before, after = _value(old, attr), _value(new, attr)
        if attr == "body":
            lines = diff_text(before, after) if before != after else ()
        else:
            lines = (DiffLine("changed", _words(before, after)),) if before != after else ()
        found.append(FieldDiff(label, before != after, lines))
    return found
