"""Previous/next and related posts for a post page, in one query.

Older and newer neighbours by date, and up to RELATED_LIMIT public posts that
share the most categories or tags (newest first among equals), are fetched as
one UNION ALL, so the post page stays within its query budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, literal_column, or_, select, union_all

from blogapp.content_version import SITE, remembered
from blogapp.extensions import db
from blogapp.models import Post, post_categories, post_tags
from blogapp.post_queries import PostTerms

RELATED_LIMIT = 4


@dataclass(frozen=True, slots=True)
class Neighbour:
    """Enough of a post to link to it: ``post_url`` and ``label`` accept it."""

    id: int
    title: str
    slug: str
    published_at: datetime
    excerpt_html: str
    language: str
    body_html: str = ""


@dataclass(frozen=True, slots=True)
class Neighbours:
    previous: Neighbour | None = None  # older
    next: Neighbour | None = None  # newer
    related: list[Neighbour] = field(default_factory=list)


_COLUMNS = (Post.id, Post.title, Post.slug, Post.published_at, Post.excerpt_html, Post.language)
_NO_SCORE = literal_column("0").label("score")


def _part(kind: str, stmt):
    sub = stmt.subquery()
    return select(
        literal_column(f"'{kind}'").label("kind"),
        sub.c.id,
        sub.c.title,
        sub.c.slug,
        sub.c.published_at,
        sub.c.excerpt_html,
        sub.c.language,
        sub.c.score,
    )


KEEP = 2000  # posts whose neighbours each worker keeps


def post_neighbours(post: Post, terms: PostTerms) -> Neighbours:
    """Older and newer posts, and posts sharing ``terms`` (the post's categories and
    tags). Each worker keeps them per content version: ranking the related posts
    reads many rows, and they change only when the content does."""
    return remembered(
        "neighbours", post.id, lambda: _query_neighbours(post, terms), scope=SITE, maxsize=KEEP
    )


def keep_neighbours(post_id: int, neighbours: Neighbours) -> None:
    """Give this worker a post's neighbours found another way (the static export ranks
    them for every post at once), so its page runs no query for them."""
    # Under the same scope as post_neighbours: under another the page never finds it.
    remembered("neighbours", post_id, lambda: neighbours, scope=SITE, maxsize=KEEP)


def _query_neighbours(post: Post, terms: PostTerms) -> Neighbours:
    older = or_(
        Post.published_at < post.published_at,
        and_(Post.published_at == post.published_at, Post.id < post.id),
    )
    newer = or_(
        Post.published_at > post.published_at,
        and_(Post.published_at == post.published_at, Post.id > post.id),
    )
    parts = [
        _part(
            "previous",
            select(*_COLUMNS, _NO_SCORE)
            .where(Post.public(), older)
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(1),
        ),
        _part(
            "next",
            select(*_COLUMNS, _NO_SCORE)
            .where(Post.public(), newer)
            .order_by(Post.published_at.asc(), Post.id.asc())
            .limit(1),
        ),
    ]
    category_ids = [c.id for c in terms.categories]
    tag_ids = [t.id for t in terms.tags]
    if category_ids or tag_ids:
        shared = union_all(
            select(post_categories.c.post_id.label("post_id")).where(
                post_categories.c.category_id.in_(category_ids or [-1])
            ),
            select(post_tags.c.post_id.label("post_id")).where(
                post_tags.c.tag_id.in_(tag_ids or [-1])
            ),
        ).subquery()
        ranked = (
            select(shared.c.post_id, func.count().label("shared"))
            .where(shared.c.post_id != post.id)
            .group_by(shared.c.post_id)
            .subquery()
        )
        related = (
            select(*_COLUMNS, ranked.c.shared.label("score"))
            .join(ranked, ranked.c.post_id == Post.id)
            .where(Post.public())
            .order_by(ranked.c.shared.desc(), Post.published_at.desc(), Post.id.desc())
            .limit(RELATED_LIMIT)
        )
        parts.append(_part("related", related))
    found: dict[str, list[Neighbour]] = {"previous": [], "next": [], "related": []}
    # UNION ALL promises no order, so the related posts are sorted here.
    rows = sorted(
        db.session.execute(union_all(*parts)),
        key=lambda r: (-r.score, -r.published_at.timestamp(), -r.id),
    )
    for row in rows:
        # The excerpt only labels a post without a title (post_label): each worker keeps
        # KEEP of these, and excerpts would make them about three times larger.
        excerpt = "" if row.title.strip() else row.excerpt_html
        found[row.kind].append(
            Neighbour(row.id, row.title, row.slug, row.published_at, excerpt, row.language)
        )
    return Neighbours(
        previous=next(iter(found["previous"]), None),
        next=next(iter(found["next"]), None),
        related=found["related"],
    )
