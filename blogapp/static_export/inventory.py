"""What the copy holds, read from the database in a fixed handful of queries whatever
the size of the site: every public post with its categories and tags, the archives
built from them, and a *stamp* for each page (a hash of everything that page shows),
so an incremental run renders only the pages whose stamp moved.

The archives are cut into pages here with the same order and page size as
``public_posts`` (newest first, then highest id), so a listing's stamp names exactly
the posts its page shows. A stamp errs on the side of change: the site's own code and
templates, its settings, and every category, tag, author name and page title are in
the stamp of every page (they show in the navigation and in every summary)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, url_for
from sqlalchemy import select

from blogapp.categories.views import with_descendants
from blogapp.comments.rules import comments_closed
from blogapp.comments.settings import load_settings
from blogapp.content_version import VERSION_KEY
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.feeds.corrections import PER_PAGE as NOTES_PER_PAGE
from blogapp.models import (
    AuthorProfile,
    Category,
    Comment,
    CommentStatus,
    Correction,
    CorrectionVersion,
    Page,
    Post,
    PostStatus,
    PostTranslation,
    Redirect,
    Setting,
    Tag,
    User,
    post_bylines,
    post_categories,
    post_tags,
)
from blogapp.permalinks import post_url
from blogapp.post_queries import sidebar
from blogapp.seo.views import sitemap_files


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    slug: str
    title: str
    published_at: datetime
    updated_at: datetime
    comment_count: int
    comment_mode: str
    author_id: int | None
    language: str


@dataclass
class Item:
    """One unit of rendering: a URL of the site, the stamp of what it shows, and for a
    post page the id of its post (its comment pages are rendered with it)."""

    url: str  # as url_for builds it (percent-encoded)
    kind: str  # "html", "xml" or "text"
    stamp: str
    post_id: int | None = None
    always: bool = False  # rendered on every run (site-wide pages, few)
    moved_to: str | None = None  # a "redirect" item: the path its old URL moved to
    # A listing page: its page number, the posts it shows and whether a page follows.
    listing: tuple[int, tuple[int, ...], bool] | None = None


@dataclass
class Inventory:
    posts: list[PostRow]  # newest first, as every listing orders them
    terms: dict[int, frozenset[tuple[str, int]]]  # post id -> {("c", id), ("t", id)}
    post_paths: dict[str, int]  # a post's URL path -> its id
    items: list[Item] = field(default_factory=list)
    members: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # term -> post ids
    # post id -> the stamp of its summary on listing pages (the site's stamp with it)
    summary_stamps: dict[int, str] = field(default_factory=dict)
    site: str = ""  # what every page may show besides its own content (``site_stamp``)


def code_stamp(app: Flask) -> str:
    """The code, templates and static files that render the pages: a change to any of
    them (an upgrade) makes every page render again."""
    root = Path(app.root_path).parent
    sha = hashlib.sha256()
    for folder, pattern in (("blogapp", "*.py"), ("templates", "*"), ("static", "*")):
        for path in sorted((root / folder).rglob(pattern)):
            if path.is_file():
                sha.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def config_stamp(app: Flask) -> str:
    """Every plain setting except secrets: they name the site, size its pages, and so on."""
    plain = (str, int, float, bool, type(None))
    values = sorted(
        (name, repr(value))
        for name, value in app.config.items()
        if isinstance(value, plain) and "SECRET" not in name and "PASSWORD" not in name
    )
    return digest(values)


def _rows(stmt) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(stmt)]


def site_stamp(extra: Iterable[object]) -> str:
    """What every page may show besides its own content."""
    return digest(
        code_stamp(current_app),
        config_stamp(current_app),
        *extra,
        # Not the content version itself: it moves with every change, even a new post.
        _rows(
            select(Setting.key, Setting.value)
            .where(Setting.key != VERSION_KEY)
            .order_by(Setting.key)
        ),
        _rows(
            select(
                Category.id, Category.name, Category.slug, Category.parent_id, Category.description
            ).order_by(Category.id)
        ),
        _rows(select(Tag.id, Tag.name, Tag.slug).order_by(Tag.id)),
        _rows(select(User.id, User.login, User.display_name).order_by(User.id)),
        # Bylines and author pages (blogapp.authors): every post page names its authors.
        _rows(
            select(
                AuthorProfile.id,
                AuthorProfile.slug,
                AuthorProfile.name,
                AuthorProfile.names,
                AuthorProfile.bio,
                AuthorProfile.affiliation,
                AuthorProfile.disclosure,
                AuthorProfile.same_as,
                AuthorProfile.photo_id,
            ).order_by(AuthorProfile.id)
        ),
        _rows(select(post_bylines).order_by(post_bylines.c.post_id, post_bylines.c.position)),
        _rows(
            select(Page.id, Page.slug, Page.title, Page.status, Page.updated_at).order_by(Page.id)
        ),
    )


def _comment_stamps() -> dict[int, str]:
    """post id -> a hash of its approved comments as the thread shows them."""
    found: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        select(
            Comment.post_id,
            Comment.id,
            Comment.parent_id,
            Comment.author_name,
            Comment.author_url,
            Comment.body_html,
            Comment.created_at,
            Comment.user_id,
        )
        .where(Comment.status == CommentStatus.APPROVED)
        .order_by(Comment.id)
    ):
        found[row[0]].append(tuple(row[1:]))
    return {post_id: digest(rows) for post_id, rows in found.items()}


def _extras_stamps() -> dict[int, str]:
    """post id -> a hash of its correction notes (every version)."""
    found: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        select(
            Correction.post_id,
            Correction.id,
            Correction.kind,
            Correction.body_html,
            Correction.noted_at,
            Correction.updated_at,
            CorrectionVersion.id,
            CorrectionVersion.body_html,
            CorrectionVersion.created_at,
        )
        .join(CorrectionVersion, CorrectionVersion.correction_id == Correction.id)
        .order_by(Correction.id, CorrectionVersion.id)
    ):
        found[row[0]].append(tuple(row[1:]))
    return {post_id: digest(rows) for post_id, rows in found.items()}


def _translation_groups() -> dict[int, int]:
    rows = db.session.execute(select(PostTranslation.post_id, PostTranslation.group_id))
    return {post_id: group_id for post_id, group_id in rows}


def load_inventory(*, extra_stamp: Iterable[object] = ()) -> Inventory:
    """Every page of the copy with its stamp. Call inside a request context whose
    URL is the site's (``url_for`` builds the paths the site links)."""
    config = current_app.config
    per_page = config["POSTS_PER_PAGE"]
    feed_items = config["FEED_ITEMS"]
    site = site_stamp(extra_stamp)
    posts = [
        PostRow(*row)
        for row in db.session.execute(
            select(
                Post.id,
                Post.slug,
                Post.title,
                Post.published_at,
                Post.updated_at,
                Post.comment_count,
                Post.comment_mode,
                Post.author_id,
                Post.language,
            )
            .where(Post.public())
            .order_by(Post.published_at.desc(), Post.id.desc())
        )
    ]
    public_ids = {p.id for p in posts}
    terms: dict[int, set[tuple[str, int]]] = {p.id: set() for p in posts}
    for kind, table, column in (
        ("c", post_categories, post_categories.c.category_id),
        ("t", post_tags, post_tags.c.tag_id),
    ):
        for post_id, term_id in db.session.execute(select(table.c.post_id, column)):
            if post_id in public_ids:
                terms[post_id].add((kind, term_id))
    comments = _comment_stamps()
    extras = _extras_stamps()
    groups = _translation_groups()
    settings = load_settings()

    summary = {
        p.id: digest(
            p.slug,
            p.title,
            p.published_at,
            p.updated_at,
            p.comment_count,
            p.author_id,
            p.language,
            sorted(terms[p.id]),
        )
        for p in posts
    }
    inventory = Inventory(
        posts=posts,
        terms={k: frozenset(v) for k, v in terms.items()},
        post_paths={},
        summary_stamps={i: digest(site, s) for i, s in summary.items()},
        site=site,
    )
    items = inventory.items

    def listing(endpoint: str, args: dict, ids: list[int], *, feed: str | None = None) -> None:
        pages = max(1, -(-len(ids) // per_page))
        for number in range(1, pages + 1):
            shown = ids[(number - 1) * per_page : number * per_page]
            url = url_for(endpoint, **args, **({"page": number} if number > 1 else {}))
            stamp = digest(site, url, [summary[i] for i in shown], number < pages)
            items.append(Item(url, "html", stamp, listing=(number, tuple(shown), number < pages)))
        if feed is not None:
            url = url_for(feed, **args)
            newest = [summary[i] for i in ids[:feed_items]]
            items.append(Item(url, "xml", digest(site, url, newest)))

    all_ids = [p.id for p in posts]
    listing("posts.index", {}, all_ids)

    members: dict[tuple[str, int], list[int]] = defaultdict(list)
    for p in posts:  # newest first, so each list is in listing order
        for term in terms[p.id]:
            members[term].append(p.id)
    inventory.members = dict(members)
    order = {p.id: i for i, p in enumerate(posts)}
    for node in sidebar().categories:
        inside = {post_id for c in with_descendants(node) for post_id in members.get(("c", c), ())}
        ids = sorted(inside, key=order.__getitem__)
        listing("categories.detail", {"path": node.path}, ids, feed="feeds.category")
    for tag_id, slug in db.session.execute(select(Tag.id, Tag.slug).order_by(Tag.id)):
        listing("posts.tag", {"slug": slug}, members.get(("t", tag_id), []), feed="feeds.tag")
    by_author: dict[int, list[int]] = defaultdict(list)
    public_ids = {p.id for p in posts}
    for post_id, profile_id in db.session.execute(
        select(post_bylines.c.post_id, post_bylines.c.author_id)
    ):
        if post_id in public_ids:
            by_author[profile_id].append(post_id)
    # Only the authors of public posts: the copy must not list every profile.
    for profile_id, slug in db.session.execute(
        select(AuthorProfile.id, AuthorProfile.slug).order_by(AuthorProfile.id)
    ):
        if profile_id in by_author:
            ids = sorted(by_author[profile_id], key=order.__getitem__)
            listing("posts.author", {"slug": slug}, ids, feed="feeds.author")
    dates: dict[tuple, list[int]] = defaultdict(list)
    for p in posts:
        local = to_local(p.published_at)
        for key in ((local.year,), (local.year, local.month), (local.year, local.month, local.day)):
            dates[key].append(p.id)
    for key, ids in sorted(dates.items()):
        listing("posts.archive", dict(zip(("year", "month", "day"), key, strict=False)), ids)

    by_id = {p.id: p for p in posts}
    for index, p in enumerate(posts):
        url = post_url(p)
        inventory.post_paths[url] = p.id
        newer = posts[index - 1].id if index > 0 else None
        older = posts[index + 1].id if index + 1 < len(posts) else None
        versions = (
            sorted(summary[i] for i, g in groups.items() if g == groups.get(p.id) and i in by_id)
            if p.id in groups
            else []
        )
        closed = comments_closed(p, settings)  # type: ignore[arg-type]
        page_stamp = digest(
            site,
            url,
            summary[p.id],
            comments.get(p.id),
            extras.get(p.id),
            versions,
            closed,
            summary.get(newer),
            summary.get(older),
        )
        items.append(Item(url, "html", page_stamp, post_id=p.id))
        items.append(Item(url + "feed/", "xml", digest(site, summary[p.id], comments.get(p.id))))

    for url in (
        url_for("feeds.posts_rss"),
        url_for("feeds.posts_atom"),
        url_for("feeds.comments_rss"),
        url_for("corrections.feed"),
    ):
        items.append(Item(url, "xml", "", always=True))
    items.append(Item(url_for("seo.sitemap"), "xml", "", always=True))
    items += [Item(url, "xml", "", always=True) for url in sitemap_files()]
    items.append(Item(url_for("seo.robots"), "text", "", always=True))
    items.append(Item(url_for("privacy.policy"), "html", "", always=True))
    corrections = db.session.scalar(
        select(db.func.count()).select_from(Correction).join(Post).where(Post.public())
    )
    for number in range(1, max(1, -(-corrections // NOTES_PER_PAGE)) + 1):
        args = {"page": number} if number > 1 else {}
        items.append(Item(url_for("corrections.index", **args), "html", "", always=True))
    for (slug,) in db.session.execute(
        select(Page.slug).where(Page.status == PostStatus.PUBLISHED).order_by(Page.slug)
    ):
        items.append(Item(url_for("posts.page", slug=slug), "html", "", always=True))
    # Old links that moved (a changed slug, an imported blog's URLs) keep working: each
    # becomes a page that sends the browser on (``redirect`` items, made by the export).
    redirects = db.session.execute(
        select(Redirect.old_path, Redirect.new_path).order_by(Redirect.old_path)
    ).all()
    taken = {urlsplit(item.url).path for item in items} if redirects else set()
    for old, new in redirects:
        url = quote(old, safe="/")
        if url.endswith("/") and "?" not in old and url not in taken:
            items.append(Item(url, "redirect", digest(site, url, new), moved_to=new))
    return inventory
