"""Linked translations: posts that say the same thing in other languages.

Posts sharing a ``PostTranslation.group_id`` are translations of one another, at
most one per language. Each public version names every public sibling with
``<link rel="alternate" hreflang>`` (plus ``x-default``), shows a language switch
written in each language's own script, and the sitemap lists the same alternates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context, request
from sqlalchemy import delete, func, select, update

from blogapp.extensions import db
from blogapp.interface_language import ENDONYMS
from blogapp.models import Post, PostTranslation


class LinkRefused(ValueError):
    """The two posts cannot be linked; ``str(error)`` says why, for the editor."""


@dataclass(frozen=True)
class Version:
    """One language version of a post, enough to link to it."""

    id: int
    title: str
    slug: str
    published_at: datetime
    language: str

    @property
    def language_name(self) -> str:
        return ENDONYMS.get(self.language, self.language)


def known_languages() -> tuple[str, ...]:
    return tuple(ENDONYMS)


def listing_language() -> str | None:
    """``?lang=km`` on a listing or a feed: the language asked for, when it is one of ours."""
    wanted = request.args.get("lang", "") if has_request_context() else ""
    return wanted if wanted in ENDONYMS else None


def _group_of(post_id: int) -> int | None:
    return db.session.scalar(
        select(PostTranslation.group_id).where(PostTranslation.post_id == post_id)
    )


def group_members(post_id: int) -> list[Post]:
    """Every post linked with ``post_id``, itself included (admin: any status)."""
    group = _group_of(post_id)
    if group is None:
        return []
    return list(
        db.session.scalars(
            select(Post)
            .join(PostTranslation, PostTranslation.post_id == Post.id)
            .where(PostTranslation.group_id == group)
            .order_by(Post.language, Post.id)
        )
    )


def link(post: Post, other: Post) -> None:
    """Make ``other`` (and whatever it is linked with) a translation of ``post``.

    Two groups become one; a language may appear once in it (the caller commits)."""
    if other.id == post.id:
        raise LinkRefused("A post cannot be its own translation.")
    mine = group_members(post.id) or [post]
    theirs = group_members(other.id) or [other]
    if any(p.id == other.id for p in mine):
        raise LinkRefused("These posts are already linked.")
    languages = [p.language for p in (*mine, *theirs)]
    clash = sorted({lang for lang in languages if languages.count(lang) > 1})
    if clash:
        names = ", ".join(ENDONYMS.get(c, c) for c in clash)
        raise LinkRefused(f"Each language can have one version: both have {names}.")
    group = min(p.id for p in (*mine, *theirs))
    ids = [p.id for p in (*mine, *theirs)]
    existing = set(
        db.session.scalars(select(PostTranslation.post_id).where(PostTranslation.post_id.in_(ids)))
    )
    if existing:
        db.session.execute(
            update(PostTranslation)
            .where(PostTranslation.post_id.in_(existing))
            .values(group_id=group)
        )
    db.session.add_all(PostTranslation(post_id=i, group_id=group) for i in ids if i not in existing)


def unlink(post: Post) -> None:
    """Take ``post`` out of its group; a group left with one post is no group."""
    group = _group_of(post.id)
    if group is None:
        return
    db.session.execute(delete(PostTranslation).where(PostTranslation.post_id == post.id))
    left = db.session.scalar(
        select(func.count()).select_from(PostTranslation).where(PostTranslation.group_id == group)
    )
    if left == 1:
        db.session.execute(delete(PostTranslation).where(PostTranslation.group_id == group))


_COLUMNS = (Post.id, Post.title, Post.slug, Post.published_at, Post.language)


def versions_of(found: list[Version]) -> list[Version]:
    """A post's public versions, or none when no other version is public (drafts)."""
    return found if len(found) > 1 else []


def all_public_groups() -> list[list[Version]]:
    """Every translation group's public versions, for the sitemap: one query."""
    rows = db.session.execute(
        select(PostTranslation.group_id, *_COLUMNS)
        .join(Post, Post.id == PostTranslation.post_id)
        .where(Post.public())
        .order_by(PostTranslation.group_id, Post.language, Post.id)
    ).all()
    groups: dict[int, list[Version]] = {}
    for row in rows:
        groups.setdefault(row.group_id, []).append(Version(*row[1:]))
    return [g for g in groups.values() if len(g) > 1]


def default_version(versions: list[Version]) -> Version:
    """``x-default``: the version in the site's own language, else the first published."""
    site = current_app.config["SITE_LANGUAGE"]
    return next(
        (v for v in versions if v.language == site),
        min(versions, key=lambda v: (v.published_at, v.id)),
    )
