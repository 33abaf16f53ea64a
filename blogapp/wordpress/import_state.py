"""What the steps of one import share: the report, the line being read, the old
site's hosts, and lookups of what the database already holds (one query each), which
the steps keep up to date as they add rows, so no row costs a query to find."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Category, Media, Page, Post, Tag, User
from blogapp.wordpress.import_report import ImportReport

# In posts_by_wp and posts_by_guid: the post is earlier in this same file, not stored yet.
IN_THIS_FILE = -1


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
    # posts and pages
    posts_by_wp: dict[int, int] = field(default_factory=dict)
    posts_by_guid: dict[str, int] = field(default_factory=dict)
    post_slugs: set[str] = field(default_factory=set)
    page_wp_ids: set[int] = field(default_factory=set)
    page_slugs: set[str] = field(default_factory=set)
    translation_groups: dict[str, list[int]] = field(default_factory=dict)  # -> WordPress ids
    date_mismatches: int = 0  # posts whose old URL's day is not their day here
    # media
    media_wp_ids: set[int] = field(default_factory=set)
    media_by_url: dict[str, tuple[int, str]] = field(default_factory=dict)  # -> (id, filename)
    media_by_rel: dict[str, tuple[int, str]] = field(default_factory=dict)  # path in uploads
    # Attachments an import without --uploads recorded with their old address.
    remote_media_by_wp: dict[int, int] = field(default_factory=dict)

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
        for post_id, wp_id, guid, slug in s.execute(
            select(Post.id, Post.wp_id, Post.guid, Post.slug)
        ):
            if wp_id is not None:
                self.posts_by_wp[wp_id] = post_id
            if guid:
                self.posts_by_guid[guid] = post_id
            self.post_slugs.add(slug)
        self.page_wp_ids = set(s.scalars(select(Page.wp_id).where(Page.wp_id.is_not(None))))
        self.page_slugs = set(s.scalars(select(Page.slug)))
        self.media_wp_ids = set(s.scalars(select(Media.wp_id).where(Media.wp_id.is_not(None))))
        self.media_by_url = {
            url: (media_id, name)
            for media_id, name, url in s.execute(
                select(Media.id, Media.filename, Media.source_url).where(Media.source_url != "")
            )
        }
        self.remote_media_by_wp = dict(
            s.execute(
                select(Media.wp_id, Media.id).where(
                    Media.wp_id.is_not(None), Media.filename.startswith("remote-")
                )
            ).all()
        )
