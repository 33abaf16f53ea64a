"""``/sitemap.xml`` and ``/robots.txt`` for search engines, and ``/favicon.ico``
that every browser asks for."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, url_for
from sqlalchemy import func, select

from blogapp import clock
from blogapp.extensions import db
from blogapp.models import Correction, Page, Post, PostStatus, post_categories
from blogapp.permalinks import post_url
from blogapp.posts.queries import sidebar
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


def sitemap_entries() -> list[tuple[str, str]]:
    """(absolute URL, W3C datetime) for the front page, every public post,
    every published page and every category that has public posts."""
    now = clock.now()
    posts = db.session.execute(
        select(Post.id, Post.slug, Post.published_at, Post.updated_at)
        .where(Post.public(now))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(SITEMAP_MAX_URLS - 1)
    ).all()
    pages = db.session.execute(
        select(Page.slug, Page.updated_at)
        .where(Page.status == PostStatus.PUBLISHED).order_by(Page.slug)
    ).all()
    newest_by_category = dict(
        db.session.execute(
            select(post_categories.c.category_id, func.max(Post.updated_at))
            .join(Post, Post.id == post_categories.c.post_id)
            .where(Post.public(now))
            .group_by(post_categories.c.category_id)
        ).all()
    )
    # A correction or update note changes its post's page; notes are few.
    noted = dict(db.session.execute(
        select(Correction.post_id, func.max(Correction.updated_at)).group_by(Correction.post_id)
    ).all())  # fmt: skip
    posts = [_Dated(p.slug, p.published_at, max(p.updated_at, noted.get(p.id, p.updated_at)))
             for p in posts]  # fmt: skip
    entries = []
    if posts:
        newest = max(max(p.published_at, p.updated_at) for p in posts)
        entries.append((absolute_url(url_for("posts.index")), _lastmod(newest)))
    else:
        entries.append((absolute_url(url_for("posts.index")), ""))
    for post in posts:
        entries.append((absolute_url(post_url(post)),
                        _lastmod(max(post.published_at, post.updated_at))))  # fmt: skip
    for page in pages:
        entries.append((absolute_url(url_for("posts.page", slug=page.slug)),
                        _lastmod(page.updated_at)))  # fmt: skip
    categories = sidebar().categories
    for node in categories:
        # A category's archive shows its subcategories' posts, so it changes with them.
        prefix = node.path + "/"
        dates = [newest_by_category[c.id] for c in categories
                 if (c.id == node.id or c.path.startswith(prefix)) and c.id in newest_by_category]
        if dates:
            entries.append((absolute_url(url_for("categories.detail", path=node.path)),
                            _lastmod(max(dates))))  # fmt: skip
    return entries[:SITEMAP_MAX_URLS]


def sitemap_alternates() -> dict[str, list[tuple[str, str]]]:
    """For each post with public translations, its hreflang alternates (itself included,
    and x-default), keyed by its absolute URL: one query for the whole site."""
    found = {}
    for versions in all_public_groups():
        links = language_alternates(versions)
        for _, href in links[:-1]:  # the last is x-default, one of the others again
            found[href] = links
    return found


@bp.route("/sitemap.xml")
def sitemap():
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:xhtml": XHTML_NS})
    alternates = sitemap_alternates()
    for loc, lastmod in sitemap_entries():
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = loc
        if lastmod:
            ET.SubElement(url, "lastmod").text = lastmod
        for hreflang, href in alternates.get(loc, ()):
            ET.SubElement(url, "xhtml:link", rel="alternate", hreflang=hreflang, href=href)
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/xml")


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
