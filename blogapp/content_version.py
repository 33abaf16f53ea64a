"""The content versions: values that change whenever something readers can see
changes, and the one place that decides when that is and which pages it reaches.

A SQLAlchemy session hook watches every flush and every statement run through
the session. When a transaction writes a row readers can see (see
``_note_change``, ``_note_statement``), new versions are stored in one row of the
``settings`` table in that same transaction, just before it commits, so the change
and its new versions land together or not at all, for every worker and host. No
feature calls anything by hand.

The row holds three scopes:

- the **site** version: every reader-visible write but a comment's moves it (a post
  saved, a category renamed, a setting changed, a scheduled post going public);
- the **comments** version: moved by the site version and by every change to an
  approved comment anywhere (listings show comment counts, feeds show comments, the
  sidebar shows the latest ones);
- a **post's comments** version: moved by the site version and by a change to an
  approved comment of that post. The row keeps the last ``POSTS_KEPT`` posts whose
  comments changed, each with its version; every other post has its bucket's *floor*
  version (``FLOOR_BUCKETS`` buckets by post id), which moves whenever a post of that
  bucket falls out of that list, so a post's version never goes back to a value it had
  before, and a post falling out re-renders only the pages of its bucket's posts.

So approving a comment on post A moves A's version and the comments version, never
the site version: post B's thread and the site-wide sidebar parts (category counts,
archives) stay as kept. The first line of the row moves with every write, as
before; it also holds the time of the next scheduled post.

Caches key on versions instead of being forgotten: the page cache
(``blogapp.page_cache``) and the per-worker values kept by ``remembered()``
(sidebar, comment threads, post neighbours), each under the scope it reads. A
worker trusts the versions it last read for CONTENT_VERSION_CACHE_SECONDS (its own
commits update them at once), which bounds how late another worker notices a
change.

A scheduled post goes public with no write, so the row also holds the time of the
next scheduled post; once that time passes, the first request to notice stores new
versions. A setting that holds a time at which pages change by themselves
(``CHANGES_AT``: a comment lockdown's end) counts as such a time too."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList, TextClause

from blogapp.clock import now
from blogapp.database import listen_on_session, write_aside
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
# Posts whose comments changed lately, each with its own version in the row: about
# 2 KB. More would make every version write and read longer; fewer, that every post
# re-renders (once) more often.
POSTS_KEPT = 64
# A post that falls out of that list moves the floor of its bucket (post id modulo this)
# only: with comments approved all over a large site the list is always full, and one
# floor for every post would make each approval re-render every page (issue 35).
FLOOR_BUCKETS = 128

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
# A post's columns kept by the comment services: a write of only these changes that
# post's comments scope, not the site.
POST_COMMENT_FIELDS = frozenset({"comment_count"})
# A published post's columns (and links) that only its own page, the listings and its
# title's mentions show: a write of only these moves the site but not the structure
# (the sidebar's category counts and archives, and the comment threads, keep).
POST_CONTENT_FIELDS = frozenset(
    {
        "title",
        "content_format",
        "body",
        "body_html",
        "excerpt",
        "excerpt_html",
        "has_more",
        "search_text",
        "first_image_url",
        "featured_media_id",
        "featured_image_url",
        "featured_alt",
        "featured_caption",
        "share_card",
        "card_media_id",
        "source_line",
        "language",
        "sticky",
        "updated_at",
        "comment_count",
        "tags",
        "bylines",
    }
)
# Settings rows that only pages' heads show (the site's share card's name).
CONTENT_SETTINGS = frozenset({"site_card"})
# Rows that no sidebar count, archive or comment thread shows: their writes move the site
# but not the structure.
CONTENT_TABLES = frozenset(
    {
        Tag.__tablename__,
        post_tags.name,
        Redirect.__tablename__,
        Media.__tablename__,
        Correction.__tablename__,
        CorrectionVersion.__tablename__,
        PostTranslation.__tablename__,
        AuthorProfile.__tablename__,
        post_bylines.name,
        Reaction.__tablename__,
        Page.__tablename__,
    }
)

# The scopes a kept value or page can read (``scope_token``); a post's own is
# ``post_scope(post_id)``.
STRUCTURE = "structure"
SITE = "site"
EVERYTHING = "everything"

_PENDING = "blogapp_content_changed"
_NEW = "blogapp_new_versions"
_MEMORY = "blogapp.content_version"  # app.extensions: (Versions, trusted until)
_G_VERSION = "blogapp_content_version"
_KEPT = "blogapp.kept"
_WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)
T = TypeVar("T")
_MISSING = object()


def clock(app: Flask | None = None) -> float:
    """Seconds since the epoch, by the app's ``CLOCK`` as ``blogapp.clock.now`` reads it
    (tests move it), without the datetime: this runs several times on every kept page."""
    if app is None:
        if not has_app_context():
            return now().timestamp()
        app = current_app._get_current_object()
    return float(app.config["CLOCK"]())


# -- the stored versions ----------------------------------------------------------------


@dataclass(frozen=True)
class Versions:
    """The row as read: ``first`` moves with every write (and holds the next scheduled
    post's time), the scopes as described in the module's docstring."""

    first: str
    site: str
    comments: str
    floor: str
    structure: str
    posts: tuple[tuple[int, str], ...] = ()  # oldest first, each post once
    # How often a post of each bucket (id modulo FLOOR_BUCKETS) fell out of ``posts``
    # since ``floor`` was new; () while none has.
    fallen: tuple[int, ...] = ()

    def of_post(self, post_id: int) -> str:
        token = self._tokens.get(post_id)
        return token if token is not None else self._floor_of(post_id)

    @cached_property
    def _tokens(self) -> dict[int, str]:
        return dict(self.posts)

    @cached_property
    def scope_tokens(self) -> dict[tuple, str]:
        """A listing's scope token, worked out once per version (``scope_token``)."""
        return {}

    def _floor_of(self, post_id: int) -> str:
        times = self.fallen[post_id % FLOOR_BUCKETS] if self.fallen else 0
        return f"{self.floor}~{times}" if times else self.floor

    def stored(self) -> str:
        """``token|site|comments|floor|structure|post:token,…`` and `` moment`` when a
        scheduled post waits: what comes after the first space is still only that time,
        as a worker of the version before scopes reads it during a rolling restart. The
        floor field is ``floor~n.n.…`` (each bucket's count, base 36) once a post fell
        out: a worker of the version before buckets takes it whole as its one floor."""
        token, _, moment = self.first.partition(" ")
        log = ",".join(f"{pid}:{post_token}" for pid, post_token in self.posts)
        floor = self.floor
        if any(self.fallen):
            floor += "~" + ".".join(_base36(n) for n in self.fallen)
        head = "|".join((token, self.site, self.comments, floor, self.structure, log))
        return f"{head} {moment}" if moment else head

    @classmethod
    def parse(cls, value: str | None) -> Versions:
        head, _, moment = (value or INITIAL_VERSION).partition(" ")
        fields = head.split("|")
        first = f"{fields[0]} {moment}" if moment else fields[0]
        if len(fields) != 6:  # a row written before scopes: everything from its one value
            return cls(first, fields[0], fields[0], fields[0], fields[0])
        posts = []
        for item in fields[5].split(",") if fields[5] else ():
            pid, _, post_token = item.partition(":")
            if pid.isdigit() and post_token:
                posts.append((int(pid), post_token))
        floor, _, counts = fields[3].partition("~")
        try:
            fallen = tuple(int(n, 36) for n in counts.split(".")) if counts else ()
        except ValueError:
            fallen = (0,)  # not written by this code: taken whole as a floor, below
        if fallen and len(fallen) != FLOOR_BUCKETS:  # not written by this code: all anew
            floor, fallen = fields[3], ()
        return cls(first, fields[1], fields[2], floor, fields[4], tuple(posts), fallen)

    def after(self, changes: Changes, first: str, token: str) -> Versions:
        """The versions once ``changes`` commit: ``token`` is new, never seen before."""
        if changes.structure:
            return Versions(first, token, token, token, token)
        if changes.site:  # each post's comments as they were: the threads keep
            return replace(self, first=first, site=token, comments=token)
        kept = [(pid, t) for pid, t in self.posts if pid not in changes.posts]
        kept += [(pid, token) for pid in sorted(changes.posts)]
        fallen = list(self.fallen or (0,) * FLOOR_BUCKETS)
        if len(kept) > POSTS_KEPT:
            # A post that falls out must not go back to its bucket's old floor: that
            # bucket's count moves, and with it every post of the bucket outside the list.
            for pid, _ in kept[:-POSTS_KEPT]:
                fallen[pid % FLOOR_BUCKETS] += 1
            kept = kept[-POSTS_KEPT:]
        return Versions(
            first,
            self.site,
            token,
            self.floor,
            self.structure,
            tuple(kept),
            tuple(fallen) if any(fallen) else (),
        )


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


# -- what changed -------------------------------------------------------------------


@dataclass
class Changes:
    """What a transaction changed for readers: the structure (and so everything), the
    site's content but not its structure, or only the comments of some posts (by post,
    or by comment, looked up at commit)."""

    site: bool = False
    structure: bool = False
    posts: set[int] = field(default_factory=set)
    comment_ids: set[int] = field(default_factory=set)

    def everything(self) -> None:
        self.site = self.structure = True

    def content(self) -> None:
        self.site = True


def _changes(session: Session) -> Changes:
    found = session.info.get(_PENDING)
    if found is None:
        found = session.info[_PENDING] = Changes()
    return found


def _was_or_is(obj, attr: str, value) -> bool:
    history = get_history(obj, attr)
    return value in (*history.added, *history.unchanged, *history.deleted)


def _changed(obj, attrs: tuple[str, ...]) -> bool:
    return any(get_history(obj, attr).has_changes() for attr in attrs)


def _changed_fields(obj) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _values_of(history) -> list:
    return [v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None]


def _note_change(obj, kind: str, changes: Changes) -> None:
    """Record in ``changes`` what writing ``obj`` (kind: new, dirty or deleted) changes."""
    if isinstance(obj, Setting):
        if obj.key in CONTENT_SETTINGS:
            changes.content()
        elif obj.key != VERSION_KEY:
            changes.everything()
    elif isinstance(obj, Post | Page):
        # Drafts and pending posts show nowhere; a published one, even scheduled, does.
        if not _was_or_is(obj, "status", PostStatus.PUBLISHED):
            return
        fields = _changed_fields(obj) if kind == "dirty" and isinstance(obj, Post) else None
        if fields is not None and obj.id is not None and fields <= POST_COMMENT_FIELDS:
            changes.posts.add(obj.id)
        elif isinstance(obj, Page) or (
            fields is not None and fields <= POST_CONTENT_FIELDS and obj.is_public
        ):
            changes.content()
        else:
            changes.everything()
    elif isinstance(obj, User):
        if kind == "deleted" or (kind == "dirty" and _changed(obj, USER_PUBLIC_FIELDS)):
            changes.everything()
    elif isinstance(obj, Comment):
        if not _was_or_is(obj, "status", CommentStatus.APPROVED):
            return
        if kind == "dirty" and not _changed(obj, ("status", *COMMENT_PUBLIC_FIELDS)):
            return
        posts = _values_of(get_history(obj, "post_id"))
        if posts:
            changes.posts.update(posts)
        else:
            changes.everything()
    elif isinstance(obj, Category):
        changes.everything()
    elif isinstance(
        obj,
        Tag
        | Redirect
        | Media
        | Correction
        | CorrectionVersion
        | PostTranslation
        | AuthorProfile
        | Reaction,
    ):
        changes.content()


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    changes = _changes(session)
    for kind, objects in (
        ("new", session.new),
        ("dirty", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objects:
            if changes.structure:
                return
            _note_change(obj, kind, changes)


def _set_columns(statement) -> set[str] | None:
    """The column names an UPDATE sets, when they are plain to see; else None."""
    if getattr(statement, "_multi_values", None) or getattr(statement, "_ordered_values", None):
        return None
    values = getattr(statement, "_values", None)
    if not values:
        return None
    return {getattr(key, "key", key) for key in values}


def _ids_in_where(statement, column, parameters) -> set[int] | None:
    """The ids a statement's WHERE limits ``column`` to (``= :x`` or ``IN (...)``,
    alone or within an AND); None when that cannot be read off the statement."""
    clause = getattr(statement, "whereclause", None)
    if clause is None:
        return None
    parts = clause.clauses if _is_and(clause) else (clause,)
    params = parameters if isinstance(parameters, dict) else {}
    for part in parts:
        if not isinstance(part, BinaryExpression) or not isinstance(part.right, BindParameter):
            continue
        if not part.left.compare(column):
            continue
        value = params.get(part.right.key, part.right.effective_value)
        if part.operator is operators.eq and isinstance(value, int):
            return {value}
        if part.operator is operators.in_op and isinstance(value, list | tuple):
            if all(isinstance(v, int) for v in value):
                return set(value)
    return None


def _is_and(clause) -> bool:
    return isinstance(clause, BooleanClauseList) and clause.operator is operators.and_


def _note_statement(state, changes: Changes) -> None:
    """For statements run through the session rather than flushed objects."""
    statement = state.statement
    if isinstance(statement, TextClause):
        if _WRITE_SQL.match(statement.text):
            changes.everything()
        return
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in READER_TABLES:
        return
    if name == Setting.__tablename__ and state.execution_options.get("blogapp_version_write"):
        return
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters]
    if state.is_insert and name == User.__tablename__:
        return  # a new account shows nowhere yet
    if state.is_insert and name == Comment.__tablename__:
        rows = [row or {} for row in rows]
        approved = [row for row in rows if row.get("status") == CommentStatus.APPROVED]
        if any(not isinstance(row.get("post_id"), int) for row in approved):
            changes.everything()
        changes.posts.update(row["post_id"] for row in approved if "post_id" in row)
        return
    if state.is_update and name in (Comment.__tablename__, Post.__tablename__):
        columns = _set_columns(statement)
        if name == Comment.__tablename__ and columns and "post_id" not in columns:
            found = _ids_in_where(statement, Comment.__table__.c.id, state.parameters)
            if found is not None:
                changes.comment_ids.update(found)
                return
        if name == Post.__tablename__ and columns and columns <= POST_COMMENT_FIELDS:
            found = _ids_in_where(statement, Post.__table__.c.id, state.parameters)
            if found is not None:
                changes.posts.update(found)
                return
    if name in CONTENT_TABLES:
        changes.content()
    else:
        changes.everything()


def _do_orm_execute(state) -> None:
    changes = _changes(state.session)
    if not changes.structure:
        _note_statement(state, changes)


def _before_commit(session: Session) -> None:
    session.flush()  # the last flush happens after this hook: see what it writes now
    changes = session.info.pop(_PENDING, None)
    if changes is None or not (changes.site or changes.posts or changes.comment_ids):
        return
    if changes.comment_ids and not changes.structure:
        changes.posts.update(
            session.scalars(
                select(Comment.post_id).where(Comment.id.in_(sorted(changes.comment_ids)))
            )
        )
    session.info[_NEW] = _store_new_versions(session, changes)


def _after_commit(session: Session) -> None:
    versions = session.info.pop(_NEW, None)
    if versions is not None and has_app_context():
        _remember(versions)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NEW, None)


def _store_new_versions(session: Session, changes: Changes) -> Versions:
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
    token = secrets.token_hex(8)
    first = f"{token} {min(moments)}" if moments else token
    options = {"blogapp_version_write": True}
    # The row is read and written under its lock (PostgreSQL's FOR UPDATE; SQLite
    # holds its one write lock already), so two commits at once cannot lose a post.
    stored_value = session.scalar(
        select(Setting.value).where(Setting.key == VERSION_KEY).with_for_update(),
        execution_options=options,
    )
    if stored_value is None:
        changes.everything()  # no row yet: nothing kept can be trusted
    versions = Versions.parse(stored_value).after(changes, first, token)
    value = versions.stored()
    updated = session.execute(
        update(Setting).where(Setting.key == VERSION_KEY).values(value=value),
        execution_options=options,
    )
    if not updated.rowcount:
        # Two workers may create the row at once; the later one simply wins, and
        # either row says everything changed.
        session.execute(
            insert_for(session, Setting)
            .values(key=VERSION_KEY, value=value)
            .on_conflict_do_update(index_elements=[Setting.key], set_={"value": value}),
            execution_options=options,
        )
    return versions


def watch_content_changes() -> None:
    """Install the session hooks (once per process: ``db.session`` is shared)."""
    listen_on_session(
        {
            "after_flush": _after_flush,
            "do_orm_execute": _do_orm_execute,
            "before_commit": _before_commit,
            "after_commit": _after_commit,
            "after_rollback": _after_rollback,
        }
    )


# -- reading it ---------------------------------------------------------------------


def _remember(versions: Versions) -> None:
    app = current_app._get_current_object()
    ttl = float(app.config["CONTENT_VERSION_CACHE_SECONDS"])
    app.extensions[_MEMORY] = (versions, clock(app) + ttl)
    if has_request_context():
        setattr(g, _G_VERSION, versions)
        forget_stored_settings()  # this request's copy of the settings table


def _scheduled_post_due(versions: Versions) -> bool:
    _, _, next_publish = versions.first.partition(" ")
    # Not a number (a row no version of this code wrote): renewed, which rewrites it.
    return bool(next_publish) and (not next_publish.isdigit() or int(next_publish) <= clock())


def versions() -> Versions:
    """The content versions, the same for the rest of a request once read.

    From this worker's memory while it is trusted, else one primary-key query;
    renewed (one short write) once a scheduled post's time has passed."""
    ctx_g = g._get_current_object() if has_request_context() else None
    if ctx_g is not None and (found := ctx_g.get(_G_VERSION)) is not None:
        return found
    app = current_app._get_current_object()
    memory = app.extensions.get(_MEMORY)
    if memory is not None and memory[1] > clock(app) and not _scheduled_post_due(memory[0]):
        found = memory[0]
    else:
        found = Versions.parse(
            db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))
        )
        if _scheduled_post_due(found):
            found = _renew(found)
        _remember(found)
    if ctx_g is not None:
        setattr(ctx_g, _G_VERSION, found)
    return found


def current_version() -> str:
    """The version that moves with every change readers can see."""
    return versions().first


def post_scope(post_id: int) -> tuple[str, int]:
    """The scope of one post's page besides parts: the site and the post's comments."""
    return ("post", post_id)


def thread_scope(post_id: int) -> tuple[str, int]:
    """The scope of one post's comment thread: the structure (settings, names, the
    post's address) and the post's comments, not other posts' content."""
    return ("thread", post_id)


def shows_comments_of(post_id: int | None) -> None:
    """Said wherever a page shows a post's comments or their count (its comment section,
    the count in a listing's byline). Besides the site and the parts filled in on each hit
    (``blogapp.page_cache.part``), a page that says it shows the comments of those posts
    and no others, so the page cache keeps it until one of them changes; a page that says
    nothing depends on every comment. A post not saved yet (a preview) makes the page
    depend on every comment."""
    if not has_request_context():
        return
    if post_id is None:
        g.page_shows_all_comments = True
    else:
        g.setdefault("page_comment_posts", set()).add(post_id)


def page_comments_scope() -> str | tuple:
    """The scope of the page being rendered, from what it said (``shows_comments_of``)."""
    posts = g.get("page_comment_posts")
    if not posts or g.get("page_shows_all_comments"):
        return EVERYTHING
    return ("posts", tuple(sorted(posts)))


def scope_token(scope: str | tuple[str, int], found: Versions | None = None) -> str:
    """The version of ``scope`` now: ``SITE``, ``EVERYTHING`` or ``post_scope(id)``;
    of ``found`` when the caller has read the versions already."""
    if found is None:
        found = versions()
    if scope == SITE:
        return found.site
    if scope == EVERYTHING:
        return f"{found.site}.{found.comments}"
    if scope == STRUCTURE:
        return found.structure
    if scope[0] == "thread":
        return f"{found.structure}.{found.of_post(scope[1])}"
    if scope[0] == "posts":  # a listing, looked up on each of its hits
        token = found.scope_tokens.get(scope)
        if token is None:
            token = found.site + "." + ",".join(found.of_post(pid) for pid in scope[1])
            if len(found.scope_tokens) < 10_000:
                found.scope_tokens[scope] = token
        return token
    return f"{found.site}.{found.of_post(scope[1])}"


def _renew(seen: Versions) -> Versions:
    """Store new versions now that a scheduled post is public, aside from the caller's
    transaction (a read never commits it); ``seen`` if that cannot be done at once
    (the next read tries again)."""
    found = write_aside(lambda own: _store_new_versions(own, Changes(site=True, structure=True)))
    return seen if found is None else found


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
    scope: str | tuple[str, int] = EVERYTHING,
    maxsize: int = 2000,
    sizeof: Callable[[Any], int] | None = None,
) -> T:
    """``build()`` once per version of ``scope`` and ``key`` in this worker.

    ``scope`` is what the value reads: ``SITE`` when no comment shows in it,
    ``post_scope(id)`` when only that post's comments do, else ``EVERYTHING``.
    ``maxsize`` counts entries, or units of ``sizeof`` (bytes for text) when given;
    values of older versions simply fall out as the least recently used."""
    app = current_app._get_current_object()
    if not app.config["KEEP_RENDERED"]:
        return build()
    kept: _Kept = app.extensions.setdefault(_KEPT, _Kept())
    full_key = (scope_token(scope), key)
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
