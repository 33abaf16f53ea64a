"""Feeds at WordPress's paths, so subscribers of a blog that moved keep them:
``/feed/`` (RSS 2.0), ``/feed/atom/``, ``/category/…/feed/``, ``/tag/…/feed/``,
``/author/…/feed/``, ``/comments/feed/`` and ``/YYYY/MM/DD/slug/feed/``. Each posts
feed takes ``?lang=en`` or ``?lang=km`` for one language's posts, a query
WordPress's own paths never use.

Only public posts and approved comments on public posts appear. Each feed is a
small constant number of queries: the items with their authors joined, then
their categories and tags."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import Blueprint, abort, current_app, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from blogapp import clock
from blogapp.authors.services import old_author_slug, profile_posts
from blogapp.categories.views import find_category, with_descendants
from blogapp.content import post_label
from blogapp.dates import format_date, to_local
from blogapp.extensions import db
from blogapp.feeds.builder import (
    comment_entries,
    feed_response,
    new_feed,
    post_comment_entries,
    post_entries,
)
from blogapp.interface_language import current_language, set_page_language, site_description
from blogapp.models import (
    AuthorProfile,
    Comment,
    CommentStatus,
    Correction,
    Post,
    post_categories,
    post_tags,
)
from blogapp.permalinks import post_url
from blogapp.post_queries import tag_by_slug
from blogapp.translations.services import ENDONYMS, listing_language

bp = Blueprint("feeds", __name__)


def newest_posts(*where) -> list[Post]:
    if (language := listing_language()) is not None:
        where = (*where, Post.language == language)
    return list(
        db.session.scalars(
            select(Post)
            # The bylines joined (a few rows a post), not a query of their own.
            .options(
                joinedload(Post.bylines),
                selectinload(Post.categories),
                selectinload(Post.tags),
                *Post.long_text_left_out("body_html"),  # full-text feeds show it
            )
            .where(Post.public(), *where)
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(current_app.config["FEED_ITEMS"])
        ).unique()
    )


def newest_comments(*where) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .join(Comment.post)
            .options(contains_eager(Comment.post))
            .where(Comment.status == CommentStatus.APPROVED, Post.public(), *where)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(current_app.config["FEED_ITEMS"])
        )
    )


def posts_feed(title: str, page_path: str, self_path: str, posts: list[Post], kind: str):
    if (language := listing_language()) is not None:
        title = f"{title} ({ENDONYMS[language]})"
        page_path, self_path = (f"{page_path}?lang={language}", f"{self_path}?lang={language}")
    feed = new_feed(title, page_path, self_path, site_description(), kind)
    if language is not None:
        feed.language = language
    # A correction or update note makes its post's item newer (one query for them all).
    noted = latest_notes([p.id for p in posts])
    post_entries(feed, posts, noted)
    newest = max(
        (max(p.published_at, p.updated_at, noted.get(p.id, p.published_at)) for p in posts),
        default=None,
    )
    return feed_response(feed, newest)


def latest_notes(post_ids: list[int]) -> dict:
    """post id -> when its newest correction was added or changed."""
    if not post_ids:
        return {}
    return dict(
        db.session.execute(
            select(Correction.post_id, func.max(Correction.updated_at))
            .where(Correction.post_id.in_(post_ids))
            .group_by(Correction.post_id)
        ).all()
    )


def _site_title(suffix: str = "") -> str:
    name = current_app.config["SITE_NAME"]
    return f"{name} » {suffix}" if suffix else name


@bp.route("/feed/rss2/")  # WordPress's other name for it
@bp.route("/feed/")  # registered first, so url_for builds this one
def posts_rss():
    return posts_feed(
        _site_title(), url_for("posts.index"), url_for("feeds.posts_rss"), newest_posts(), "rss"
    )


@bp.route("/feed/atom/")
def posts_atom():
    return posts_feed(
        _site_title(), url_for("posts.index"), url_for("feeds.posts_atom"), newest_posts(), "atom"
    )


@bp.route("/category/<path:path>/feed/")
def category(path: str):
    node = find_category(path)
    in_category = select(post_categories.c.post_id).where(
        post_categories.c.category_id.in_(with_descendants(node))
    )
    return posts_feed(
        _site_title(_("%(name)s Category", name=node.name)),
        url_for("categories.detail", path=node.path),
        url_for("feeds.category", path=node.path),
        newest_posts(Post.id.in_(in_category)),
        "rss",
    )


@bp.route("/tag/<slug>/feed/")
def tag(slug: str):
    found = tag_by_slug(slug)
    tagged = select(post_tags.c.post_id).where(post_tags.c.tag_id == found.id)
    return posts_feed(
        _site_title(_("%(name)s Tag", name=found.name)),
        url_for("posts.tag", slug=slug),
        url_for("feeds.tag", slug=slug),
        newest_posts(Post.id.in_(tagged)),
        "rss",
    )


@bp.route("/author/<slug>/feed/")
def author(slug: str):
    """An author's feed (blogapp.authors); an old login's feed moves to its profile's."""
    profile = db.session.scalar(select(AuthorProfile).where(AuthorProfile.slug == slug))
    if profile is None:
        moved = old_author_slug(slug)
        if moved is None:
            abort(404)
        return redirect(url_for("feeds.author", slug=moved), 301)
    return posts_feed(
        _site_title(_("Posts by %(name)s", name=profile.name_in(current_language()))),
        url_for("posts.author", slug=slug),
        url_for("feeds.author", slug=slug),
        newest_posts(profile_posts(profile.id)),
        "rss",
    )


def comments_feed(title: str, page_path: str, self_path: str, comments: list[Comment]):
    feed = new_feed(title, page_path, self_path, site_description(), "rss")
    comment_entries(feed, comments)
    return feed_response(feed, max((c.created_at for c in comments), default=None))


class _FeedComment(NamedTuple):
    """A comment's item (``FeedComment``), taken from a row of ``_POST_COMMENTS_FEED``."""

    id: int
    author_name: str
    created_at: datetime
    body_html: str


# A post's comments feed in one query, built once (a request binds its values): the post,
# found public by its slug, as a row of what the feed shows of it (its label, address and
# language; no Post object, nor its Markdown, to load), joined with its newest approved
# comments. The join is an outer one, so a post without comments still gives its row.
_POST_COMMENTS_FEED = (
    select(
        Post.id,
        Post.title,
        Post.slug,
        Post.published_at,
        Post.language,
        Post.excerpt_html,
        Post.body_html,
        Comment.id.label("comment_id"),
        Comment.author_name,
        Comment.created_at,
        Comment.body_html.label("comment_html"),
    )
    .outerjoin(Comment, and_(Comment.post_id == Post.id, Comment.status == CommentStatus.APPROVED))
    .where(
        Post.slug == bindparam("slug"),
        Post.public(bindparam("now", type_=Post.published_at.type)),
    )
    .order_by(Comment.created_at.desc(), Comment.id.desc())
    .limit(bindparam("items", type_=Integer))
)


@bp.route("/comments/feed/")
def comments_rss():
    return comments_feed(
        _site_title(_("Comments")),
        url_for("posts.index"),
        url_for("feeds.comments_rss"),
        newest_comments(),
    )


@bp.route("/<int:year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/<slug>/feed/")
def post_comments(year: int, month: int, day: int, slug: str):
    rows = db.session.execute(
        _POST_COMMENTS_FEED,
        {"slug": slug, "now": clock.now(), "items": current_app.config["FEED_ITEMS"]},
    ).all()
    if not rows:
        abort(404)
    post = rows[0]
    local = to_local(post.published_at)
    if (year, month, day) != (local.year, local.month, local.day):
        return redirect(post_url(post) + "feed/", 301)
    set_page_language(post.language)  # a post's comments feed speaks the post's language
    page_path = post_url(post)
    title = post_label(post, format_date(post.published_at))
    comments = [
        _FeedComment(r.comment_id, r.author_name, r.created_at, r.comment_html)
        for r in rows
        if r.comment_id is not None
    ]
    feed = new_feed(
        _site_title(_("Comments on %(title)s", title=title)),
        page_path,
        page_path + "feed/",
        site_description(),
        "rss",
    )
    post_comment_entries(feed, post, comments)
    return feed_response(feed, max((c.created_at for c in comments), default=None))
