"""``/sitemap.xml`` and ``/robots.txt`` for search engines, and ``/favicon.ico``
that every browser asks for."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import Blueprint, Response, abort, current_app, url_for
from sqlalchemy import func, select

from blogapp import clock
from blogapp.extensions import db
from blogapp.models import Correction, Page, Post, PostStatus, post_categories
from blogapp.permalinks import post_url
from blogapp.post_queries import sidebar
from blogapp.seo.meta import absolute_url, language_alternates, page_meta
from blogapp.translations.services import all_public_groups

bp = Blueprint("seo", __name__)
bp.add_app_template_global(page_meta)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
SITEMAP_MAX_URLS = 50_000  # the protocol's limit for one sitemap file


class _Dated(NamedTuple):
    slug: str
    published_at: datetime
    updated_at: datetime


def _lastmod(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _dated_posts(offset: int, limit: int) -> list[_Dated]:
    """One slice of the public posts, newest first, each dated by its newest change
    (a correction or update note changes its post's page): one query."""
    noted = (
        select(func.max(Correction.updated_at))
        .where(Correction.post_id == Post.id)
        .correlate(Post)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Post.slug, Post.published_at, Post.updated_at, noted.label("noted"))
        .where(Post.public(clock.now()))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        _Dated(p.slug, p.published_at, max(p.updated_at, p.noted or p.updated_at)) for p in rows
    ]


def _post_entries(posts: list[_Dated]) -> list[tuple[str, str]]:
    return [
        (absolute_url(post_url(post)), _lastmod(max(post.published_at, post.updated_at)))
        for post in posts
    ]


def _other_entries(front_lastmod: str) -> list[tuple[str, str]]:
    """The front page, every published page and every category with public posts."""
    now = clock.now()
    pages = db.session.execute(
        select(Page.slug, Page.updated_at)
        .where(Page.status == PostStatus.PUBLISHED)
        .order_by(Page.slug)
    ).all()
    # The public posts' dates come from the (status, published_at, updated_at) index,
    # not from each post's row; materialized, so SQLite does not turn the join around
    # to walk the link table in category order and read every linked post's row (its
    # statistics say every post is public): 1.5 s against 0.1 s at 100,000 posts.
    public = (
        select(Post.id, Post.updated_at)
        .where(Post.public(now))
        .cte("public_posts")
        .prefix_with("MATERIALIZED", dialect="sqlite")
    )
    newest_by_category = dict(
        db.session.execute(
            select(post_categories.c.category_id, func.max(public.c.updated_at))
            .join(public, public.c.id == post_categories.c.post_id)
            .group_by(post_categories.c.category_id)
        ).all()
    )
    entries = [(absolute_url(url_for("posts.index")), front_lastmod)]
    for page in pages:
        entries.append(
            (absolute_url(url_for("posts.page", slug=page.slug)), _lastmod(page.updated_at))
        )
    categories = sidebar().categories
    for node in categories:
        # A category's archive shows its subcategories' posts, so it changes with them.
        prefix = node.path + "/"
        dates = [
            newest_by_category[c.id]
            for c in categories
            if (c.id == node.id or c.path.startswith(prefix)) and c.id in newest_by_category
        ]
        if dates:
            entries.append(
                (absolute_url(url_for("categories.detail", path=node.path)), _lastmod(max(dates)))
            )
    return entries


def urls_per_file() -> int:
    return max(1, min(int(current_app.config["SITEMAP_URLS_PER_FILE"]), SITEMAP_MAX_URLS))


def public_post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post).where(Post.public(clock.now())))


def sitemap_entries(
    posts: list[_Dated] | None = None, others: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """(absolute URL, W3C datetime) for the front page, every public post,
    every published page and every category that has public posts: the whole
    site in one file (``/sitemap.xml`` on a site that fits in one)."""
    posts = _dated_posts(0, SITEMAP_MAX_URLS - 1) if posts is None else posts
    newest = max((max(p.published_at, p.updated_at) for p in posts), default=None)
    others = _other_entries("") if others is None else others
    front = [(others[0][0], _lastmod(newest))]
    return (front + _post_entries(posts) + others[1:])[:SITEMAP_MAX_URLS]


def sitemap_alternates() -> dict[str, list[tuple[str, str]]]:
    """For each post with public translations, its hreflang alternates (itself included,
    and x-default), keyed by its absolute URL: one query for the whole site."""
    found = {}
    for versions in all_public_groups():
        links = language_alternates(versions)
        for _, href in links[:-1]:  # the last is x-default, one of the others again
            found[href] = links
    return found


def _urlset(entries: list[tuple[str, str]]) -> Response:
    from xml.etree import ElementTree as ET  # only sitemaps: not held by every worker

    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS})
    alternates = sitemap_alternates()
    for loc, lastmod in entries:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = loc
        if lastmod:
            ET.SubElement(url, "lastmod").text = lastmod
        for hreflang, href in alternates.get(loc, ()):
            ET.SubElement(url, "xhtml:link", rel="alternate", hreflang=hreflang, href=href)
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/xml")


def _index_files(posts: int, per_file: int) -> list[str]:
    return [
        url_for("seo.sitemap_pages"),
        *(url_for("seo.sitemap_posts", number=n) for n in range(1, -(-posts // per_file) + 1)),
    ]


def sitemap_files() -> list[str]:
    """The files ``/sitemap.xml`` points at, if it is an index (for the static copy)."""
    per_file = urls_per_file()
    posts = public_post_count()
    if posts + len(_other_entries("")) <= per_file:
        return []
    return _index_files(posts, per_file)


@bp.route("/sitemap.xml")
def sitemap():
    """The whole site in one file while it fits in ``SITEMAP_URLS_PER_FILE`` URLs;
    past that, a sitemap index of ``/sitemap-pages.xml`` (front page, pages,
    categories) and ``/sitemap-posts-N.xml`` (that many posts each, newest first).
    Every file costs the same few queries, however large the site."""
    per_file = urls_per_file()
    others = _other_entries("")
    posts = public_post_count()
    if posts + len(others) <= per_file:
        return _urlset(sitemap_entries(_dated_posts(0, posts), others))
    from xml.etree import ElementTree as ET  # only sitemaps: not held by every worker

    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for path in _index_files(posts, per_file):
        ET.SubElement(ET.SubElement(index, "sitemap"), "loc").text = absolute_url(path)
    body = ET.tostring(index, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/xml")


@bp.route("/sitemap-pages.xml")
def sitemap_pages():
    newest = db.session.execute(
        select(func.max(Post.published_at), func.max(Post.updated_at)).where(
            Post.public(clock.now())
        )
    ).one()
    dates = [d for d in newest if d is not None]
    return _urlset(_other_entries(_lastmod(max(dates)) if dates else ""))


@bp.route("/sitemap-posts-<int:number>.xml")
def sitemap_posts(number: int):
    per_file = urls_per_file()
    posts = _dated_posts((number - 1) * per_file, per_file) if number >= 1 else []
    if not posts:
        abort(404)
    return _urlset(_post_entries(posts))


@bp.route("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /login",
        "Disallow: /wp-admin/",
        "",
        f"Sitemap: {absolute_url(url_for('seo.sitemap'))}",
        "",
    ]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.route("/favicon.ico")
def favicon():
    # Browsers ask for /favicon.ico whatever a page links; the file lives in static/.
    return current_app.send_static_file("favicon.ico")
