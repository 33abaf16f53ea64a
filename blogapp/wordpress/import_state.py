"""What the steps of one import share: the report, the line being read, the old
site's hosts, and lookups of what the database already holds.

Lookups that grow with the site's vocabulary (authors, categories, tags) are read
once and kept up to date as the steps add rows. Those that grow with its content
(posts, pages, attachments) are not kept: each batch of items asks the database about
its own WordPress ids, GUIDs and slugs (a few queries a batch), and only the keys of
the batches in flight, prepared but not stored yet, are held here, so the import's
memory stays the same however large the file."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import distinct, func, select

from blogapp.extensions import db
from blogapp.models import Category, Media, Page, Post, Tag, User
from blogapp.wordpress.import_report import ImportReport
from blogapp.wordpress.wxr_fields import chunks, clean_slug
from blogapp.wordpress.wxr_reader import WxrItem

# What ImportState.post_match answers for a post earlier in this same file.
IN_THIS_FILE = -1
GUID_LENGTH = 500  # Post.guid's column; a GUID is stored (and looked up) cut to it


@dataclass
class _Claims:
    """The keys of one batch's new posts and pages, held until the batch is stored."""

    post_wp_ids: set[int] = field(default_factory=set)
    post_guids: set[str] = field(default_factory=set)
    post_slugs: set[str] = field(default_factory=set)
    page_wp_ids: set[int] = field(default_factory=set)
    page_slugs: set[str] = field(default_factory=set)


class TakenSlugs:
    """The slugs of one table that are taken, for ``unique_slug``: those of the
    batches in flight, else the database's (asked for the batch's wanted slugs at
    once, then one query for each other candidate)."""

    def __init__(self, state: ImportState, model: type[Post] | type[Page], attr: str) -> None:
        self.state, self.model, self.attr = state, model, attr
        self.known: dict[str, bool] = {}  # the database's answers, for this batch only

    def _in_flight(self, slug: str) -> bool:
        return any(slug in getattr(claims, self.attr) for claims in self.state.in_flight)

    def look_up(self, slugs: Iterable[str]) -> None:
        self.known = dict.fromkeys(slugs, False)
        for chunk in chunks(sorted(self.known)):
            for slug in db.session.scalars(
                select(self.model.slug).where(self.model.slug.in_(chunk))
            ):
                self.known[slug] = True

    def __contains__(self, slug: str) -> bool:
        if self._in_flight(slug):
            return True
        if slug not in self.known:
            self.known[slug] = (
                db.session.scalar(select(self.model.id).where(self.model.slug == slug)) is not None
            )
        return self.known[slug]

    def add(self, slug: str) -> None:
        getattr(self.state.in_flight[-1], self.attr).add(slug)


@dataclass
class ImportState:
    uploads: Path | None  # the old site's wp-content/uploads, resolved, if given
    report: ImportReport = field(default_factory=ImportReport)
    line: int | None = None  # of the record being imported, for error messages
    hosts: set[str] = field(default_factory=set)  # the old site's, from its base URLs
    stored_files: list[str] = field(default_factory=list)  # removed again on rollback

    # authors
    users_by_login: dict[str, int] = field(default_factory=dict)
    users_by_wp: dict[int, int] = field(default_factory=dict)
    # bylines: a WordPress login or a guest author's login -> author profile id
    profiles_by_login: dict[str, int] = field(default_factory=dict)
    # categories and tags
    cats_by_slug: dict[str, int] = field(default_factory=dict)
    cats_by_wp: dict[int, int] = field(default_factory=dict)
    tags_by_slug: dict[str, int] = field(default_factory=dict)
    tags_by_wp: dict[int, int] = field(default_factory=dict)
    # posts and pages: rows with a larger id than these were added by this import
    # (ids are never reused); the rest is asked of the database per batch.
    posts_before: int = 0
    media_before: int = 0
    in_flight: deque[_Claims] = field(default_factory=deque)  # oldest first
    post_slugs: TakenSlugs = field(init=False)
    page_slugs: TakenSlugs = field(init=False)
    _posts_by_wp: dict[int, int] = field(default_factory=dict)  # this batch's, found stored
    _posts_by_guid: dict[str, int] = field(default_factory=dict)
    _pages_stored: set[int] = field(default_factory=set)
    translation_groups: dict[str, list[int]] = field(default_factory=dict)  # -> WordPress ids
    date_mismatches: int = 0  # posts whose old URL's day is not their day here
    # media
    media_by_rel: dict[str, tuple[int, str]] = field(default_factory=dict)  # path in uploads
    media_urls: int = 0  # distinct old addresses of media rows (names remote rows)

    def __post_init__(self) -> None:
        self.post_slugs = TakenSlugs(self, Post, "post_slugs")
        self.page_slugs = TakenSlugs(self, Page, "page_slugs")

    def load(self) -> None:
        """Fill the lookups from the database."""
        s = db.session
        self.users_by_login = dict(s.execute(select(User.login, User.id)).all())
        self.users_by_wp = dict(
            s.execute(select(User.wp_id, User.id).where(User.wp_id.is_not(None))).all()
        )
        self.cats_by_slug = dict(s.execute(select(Category.slug, Category.id)).all())
        self.cats_by_wp = dict(
            s.execute(select(Category.wp_id, Category.id).where(Category.wp_id.is_not(None))).all()
        )
        self.tags_by_slug = dict(s.execute(select(Tag.slug, Tag.id)).all())
        self.tags_by_wp = dict(
            s.execute(select(Tag.wp_id, Tag.id).where(Tag.wp_id.is_not(None))).all()
        )
        self.posts_before = s.scalar(select(func.max(Post.id))) or 0
        self.media_before = s.scalar(select(func.max(Media.id))) or 0
        self.media_urls = (
            s.scalar(select(func.count(distinct(Media.source_url))).where(Media.source_url != ""))
            or 0
        )

    # Batches: each asks the database about its own items, and holds the keys of its
    # new posts and pages until it is stored.

    def begin_batch(self, items: list[WxrItem]) -> None:
        """Before a batch's items are prepared: look up the posts and pages they may be."""
        self.in_flight.append(_Claims())
        posts = [i for i in items if (i.post_type or "post") == "post"]
        pages = [i for i in items if i.post_type == "page"]
        s = db.session
        self._posts_by_wp, self._posts_by_guid, self._pages_stored = {}, {}, set()
        for chunk in chunks(sorted({i.wp_id for i in posts if i.wp_id is not None})):
            self._posts_by_wp.update(
                s.execute(select(Post.wp_id, Post.id).where(Post.wp_id.in_(chunk))).all()
            )
        for chunk in chunks(sorted({i.guid[:GUID_LENGTH] for i in posts if i.guid})):
            # Several rows with one GUID: the newest answers, as when they were all kept.
            self._posts_by_guid.update(
                s.execute(
                    select(Post.guid, Post.id).where(Post.guid.in_(chunk)).order_by(Post.id)
                ).all()
            )
        for chunk in chunks(sorted({i.wp_id for i in pages if i.wp_id is not None})):
            self._pages_stored.update(s.scalars(select(Page.wp_id).where(Page.wp_id.in_(chunk))))
        self.post_slugs.look_up({clean_slug(i.post_name) for i in posts} - {""})
        self.page_slugs.look_up({clean_slug(i.post_name) for i in pages} - {""})

    def end_batch(self) -> None:
        """Once the oldest batch in flight is stored: the database knows its keys now."""
        self.in_flight.popleft()

    def post_match(self, item: WxrItem) -> int | None:
        """The id of the post an earlier import made of ``item``, IN_THIS_FILE when
        the file had it before, else None: by WordPress id, else by GUID."""
        found = None
        if item.wp_id is not None:
            if any(item.wp_id in c.post_wp_ids for c in self.in_flight):
                return IN_THIS_FILE
            found = self._posts_by_wp.get(item.wp_id)
        if found is None and item.guid:
            if any(item.guid in c.post_guids for c in self.in_flight):
                return IN_THIS_FILE
            found = self._posts_by_guid.get(item.guid[:GUID_LENGTH])
        if found is not None and found > self.posts_before:
            return IN_THIS_FILE
        return found

    def claim_post(self, item: WxrItem) -> None:
        """``item`` becomes a new post: a second copy of it in the file is skipped."""
        claims = self.in_flight[-1]
        if item.wp_id is not None:
            claims.post_wp_ids.add(item.wp_id)
        if item.guid:
            claims.post_guids.add(item.guid)

    def page_imported(self, wp_id: int) -> bool:
        """Whether an earlier import, or this file before, brought in the page."""
        return wp_id in self._pages_stored or any(wp_id in c.page_wp_ids for c in self.in_flight)

    def claim_page(self, wp_id: int) -> None:
        self.in_flight[-1].page_wp_ids.add(wp_id)

    def media_imported(self, wp_id: int) -> bool:
        """Whether a media row holds attachment ``wp_id`` (rows are written at once)."""
        return db.session.scalar(select(Media.id).where(Media.wp_id == wp_id)) is not None

    def remote_media(self, wp_id: int) -> int | None:
        """The row an earlier import without --uploads recorded attachment ``wp_id``
        with (its old address), if any."""
        return db.session.scalar(
            select(Media.id).where(
                Media.wp_id == wp_id,
                Media.filename.startswith("remote-"),
                Media.id <= self.media_before,
            )
        )
