"""The content version: one value that changes whenever anything readers can see
changes, and the one place that decides when that is.

A SQLAlchemy session hook watches every flush and every statement run through
the session. When a transaction writes a row readers can see (see
``_changes_readers_content``), a new version is stored in the ``settings`` table
in that same transaction, just before it commits, so the change and its new
version land together or not at all, for every worker and host. No feature
calls anything by hand.

Caches key on the version instead of being forgotten: the page cache
(``blogapp.page_cache``) and the per-worker values kept by ``remembered()``
(sidebar, comment threads, post neighbours). A worker trusts the version it
last read for CONTENT_VERSION_CACHE_SECONDS (its own commits update it at
once), which bounds how late another worker notices a change.

A scheduled post goes public with no write, so the version also holds the time
of the next scheduled post; once that time passes, the first request to notice
stores a new version. A setting that holds a time at which pages change by
themselves (``CHANGES_AT``: a comment lockdown's end) counts as such a time too."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.sql.elements import TextClause

from blogapp.clock import now
from blogapp.database import write_transaction
from blogapp.extensions import db
from blogapp.models import (
    AuthorProfile,
    Category,
    Comment,
    CommentStatus,
    Correction,
    CorrectionVersion,
    Media,
    Page,
    Post,
    PostStatus,
    PostTranslation,
    Reaction,
    Redirect,
    Setting,
    Tag,
    User,
    post_bylines,
    post_categories,
    post_tags,
)
from blogapp.site_settings import forget_stored_settings
from blogapp.upsert import insert_for

VERSION_KEY = "content_version"
# Settings rows holding a time (seconds since the epoch) at which readers' pages change
# with no write: the end of a comment lockdown (blogapp.comments.lockdown).
CHANGES_AT = frozenset({"comments.lockdown_until"})
INITIAL_VERSION = "initial"

# Tables whose every write changes what readers see.
READER_TABLES = frozenset(
    {
        Post.__tablename__,
        Page.__tablename__,
        Category.__tablename__,
        Tag.__tablename__,
        Redirect.__tablename__,
        Media.__tablename__,
        Setting.__tablename__,
        Comment.__tablename__,
        post_categories.name,
        post_tags.name,
        User.__tablename__,
        # Reader pages show these: notes atop posts, their earlier texts, and translation links.
        Correction.__tablename__,
        CorrectionVersion.__tablename__,
        PostTranslation.__tablename__,
        # Bylines and author pages (blogapp.authors).
        AuthorProfile.__tablename__,
        post_bylines.name,
        # Likes and boosts from the fediverse, counted under each post.
        Reaction.__tablename__,
    }
)
# The columns of a user that pages show (bylines, author archives).
USER_PUBLIC_FIELDS = ("login", "display_name")
COMMENT_PUBLIC_FIELDS = ("author_name", "author_url", "body_html", "parent_id", "post_id")

_PENDING = "blogapp_content_changed"
_MEMORY = "blogapp.content_version"  # app.extensions: (value, trusted until)
_G_VERSION = "blogapp_content_version"
_KEPT = "blogapp.kept"
_WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)
T = TypeVar("T")
_MISSING = object()


def clock(app: Flask | None = None) -> float:
    """Seconds since the epoch, by ``blogapp.clock`` (which tests move)."""
    return now(app=app).timestamp()


# -- what changed -------------------------------------------------------------------


def _was_or_is(obj, attr: str, value) -> bool:
    history = get_history(obj, attr)
    return value in (*history.added, *history.unchanged, *history.deleted)


def _changed(obj, attrs: tuple[str, ...]) -> bool:
    return any(get_history(obj, attr).has_changes() for attr in attrs)


def _changes_readers_content(obj, kind: str) -> bool:
    """Whether writing ``obj`` (kind: new, dirty or deleted) changes a public page."""
    if isinstance(obj, Setting):
        return obj.key != VERSION_KEY
    if isinstance(obj, Post | Page):
        # Drafts and pending posts show nowhere; a published one, even scheduled, does.
        return _was_or_is(obj, "status", PostStatus.PUBLISHED)
    if isinstance(obj, User):
        return kind == "deleted" or (kind == "dirty" and _changed(obj, USER_PUBLIC_FIELDS))
    if isinstance(obj, Comment):
        if not _was_or_is(obj, "status", CommentStatus.APPROVED):
            return False
        return kind != "dirty" or _changed(obj, ("status", *COMMENT_PUBLIC_FIELDS))
    return isinstance(
        obj,
        Category
        | Tag
        | Redirect
        | Media
        | Correction
        | CorrectionVersion
        | PostTranslation
        | AuthorProfile
        | Reaction,
    )


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if session.info.get(_PENDING):
        return
    for kind, objects in (
        ("new", session.new),
        ("dirty", session.dirty),
        ("deleted", session.deleted),
    ):
        if any(_changes_readers_content(obj, kind) for obj in objects):
            session.info[_PENDING] = True
            return


def _statement_changes_content(state) -> bool:
    """For statements run through the session rather than flushed objects."""
    statement = state.statement
    if isinstance(statement, TextClause):
        return bool(_WRITE_SQL.match(statement.text))
    if not (state.is_insert or state.is_update or state.is_delete):
        return False
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in READER_TABLES:
        return False
    if name == Setting.__tablename__ and state.execution_options.get("blogapp_version_write"):
        return False
    if state.is_insert and name in (Comment.__tablename__, User.__tablename__):
        # A held comment and a new account show nowhere yet.
        rows = state.parameters if isinstance(state.parameters, list) else [state.parameters]
        if name == User.__tablename__:
            return False
        return any((row or {}).get("status") == CommentStatus.APPROVED for row in rows)
    return True


def _do_orm_execute(state) -> None:
    if not state.session.info.get(_PENDING) and _statement_changes_content(state):
        state.session.info[_PENDING] = True


def _before_commit(session: Session) -> None:
    session.flush()  # the last flush happens after this hook: see what it writes now
    if session.info.pop(_PENDING, False):
        session.info["blogapp_new_version"] = _store_new_version(session)


def _after_commit(session: Session) -> None:
    value = session.info.pop("blogapp_new_version", None)
    if value is not None and has_app_context():
        _remember(value)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("blogapp_new_version", None)


def _store_new_version(session: Session) -> str:
    next_publish = session.scalar(
        select(func.min(Post.published_at)).where(
            Post.status == PostStatus.PUBLISHED, Post.published_at > now()
        )
    )
    moments = [int(next_publish.timestamp())] if next_publish is not None else []
    moment = int(now().timestamp())
    for stored in session.scalars(select(Setting.value).where(Setting.key.in_(CHANGES_AT))):
        if stored.isdigit() and int(stored) > moment:
            moments.append(int(stored))
    value = secrets.token_hex(8)
    if moments:
        value += f" {min(moments)}"
    options = {"blogapp_version_write": True}
    updated = session.execute(
        update(Setting).where(Setting.key == VERSION_KEY).values(value=value),
        execution_options=options,
    )
    if not updated.rowcount:
        # Two workers may create the row at once; the later one simply wins.
        session.execute(
            insert_for(session, Setting)
            .values(key=VERSION_KEY, value=value)
            .on_conflict_do_update(index_elements=[Setting.key], set_={"value": value}),
            execution_options=options,
        )
    return value


def watch_content_changes() -> None:
    """Install the session hooks (once per process: ``db.session`` is shared)."""
    for name, hook in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
        ("before_commit", _before_commit),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)


# -- reading it ---------------------------------------------------------------------


def _remember(value: str) -> None:
    app = current_app._get_current_object()
    ttl = float(app.config["CONTENT_VERSION_CACHE_SECONDS"])
    app.extensions[_MEMORY] = (value, clock(app) + ttl)
    if has_request_context():
        setattr(g, _G_VERSION, value)
        forget_stored_settings()  # this request's copy of the settings table


def _scheduled_post_due(value: str) -> bool:
    _, _, next_publish = value.partition(" ")
    return bool(next_publish) and int(next_publish) <= clock()


def current_version() -> str:
    """The content version, the same for the rest of a request once read.

    From this worker's memory while it is trusted, else one primary-key query;
    renewed (one short write) once a scheduled post's time has passed."""
    if has_request_context() and (found := g.get(_G_VERSION)) is not None:
        return found
    app = current_app._get_current_object()
    memory = app.extensions.get(_MEMORY)
    if memory is not None and memory[1] > clock(app) and not _scheduled_post_due(memory[0]):
        value = memory[0]
    else:
        value = db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))
        value = value or INITIAL_VERSION
        if _scheduled_post_due(value):
            value = _renew(value)
        _remember(value)
    if has_request_context():
        setattr(g, _G_VERSION, value)
    return value


def _renew(seen: str) -> str:
    """Store a new version now that a scheduled post is public; ``seen`` if the write
    cannot be made right now (the next request tries again)."""
    session = db.session
    if session().in_transaction():
        session.commit()
    try:
        with write_transaction():
            value = _store_new_version(session)
            session.commit()
            return value
    except OperationalError:
        session.rollback()
        return seen


# -- values kept per version ----------------------------------------------------------


class _Kept:
    """One LRU store per kind of value, safe across a worker's threads."""

    def __init__(self) -> None:
        self.stores: dict[str, LRUCache] = {}
        self.lock = threading.Lock()


def remembered(
    kind: str,
    key: Hashable,
    build: Callable[[], T],
    *,
    maxsize: int = 2000,
    sizeof: Callable[[Any], int] | None = None,
) -> T:
    """``build()`` once per content version and ``key`` in this worker.

    ``maxsize`` counts entries, or units of ``sizeof`` (bytes for text) when given;
    values of older versions simply fall out as the least recently used."""
    app = current_app._get_current_object()
    if not app.config["KEEP_RENDERED"]:
        return build()
    kept: _Kept = app.extensions.setdefault(_KEPT, _Kept())
    full_key = (current_version(), key)
    with kept.lock:
        store = kept.stores.get(kind)
        if store is None:
            store = kept.stores[kind] = LRUCache(maxsize, getsizeof=sizeof)
        found = store.get(full_key, _MISSING)
    if found is not _MISSING:
        return found
    value = build()
    with kept.lock:
        try:
            store[full_key] = value
        except ValueError:  # larger than the whole store: computed each time
            pass
    return value
