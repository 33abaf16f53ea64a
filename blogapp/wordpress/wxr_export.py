"""Writing everything as a WordPress export (WXR 1.2), streamed to disk.

The layout follows WordPress's own exporter (text in CDATA sections, categories
before their children, comments inside their post) so WordPress's importer reads
it; post meta keys starting ``_blogapp_`` carry what WordPress has no field for
(Markdown source, language, source line, moderated comments, image credit), so our
importer restores a post exactly. Ids: a row imported from WordPress keeps its
WordPress id, so old ``/?p=ID`` links survive a round trip; other rows use their
own id unless that is taken, then a fresh one."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from lxml import etree
from sqlalchemy import select

from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.models import (
    COMMENT_APPROVED,
    COMMENT_PENDING,
    COMMENT_SPAM,
    COMMENT_TRASH,
    COMMENTS_CLOSED,
    FORMAT_MARKDOWN,
    POST_PUBLISHED,
    Category,
    Comment,
    Media,
    Page,
    Post,
    Tag,
    User,
    post_categories,
    post_tags,
    utcnow,
)
from blogapp.sanitize import strip_invisible
from blogapp.wordpress.wxr_import import (
    META_COMMENT_MODE,
    META_CREDIT,
    META_FORMAT,
    META_LANGUAGE,
    META_MARKDOWN,
    META_SOURCE_LINE,
)
from blogapp.wordpress.wxr_reader import CONTENT_NS, DC_NS

WP_NS = "http://wordpress.org/export/1.2/"
EXCERPT_NS = "http://wordpress.org/export/1.2/excerpt/"
WFW_NS = "http://wellformedweb.org/CommentAPI/"
NSMAP = {"excerpt": EXCERPT_NS, "content": CONTENT_NS, "wfw": WFW_NS, "dc": DC_NS, "wp": WP_NS}
CHUNK = 500  # posts read per query (their comments come in one more)
COMMENT_APPROVED_VALUE = {
    COMMENT_APPROVED: "1", COMMENT_PENDING: "0", COMMENT_SPAM: "spam", COMMENT_TRASH: "trash",
}  # fmt: skip


def _wp(name: str) -> str:
    return f"{{{WP_NS}}}{name}"


def _xml_text(value: str) -> str:
    """Text XML 1.0 can hold: control characters other than tab and newlines dropped."""
    return "".join(ch for ch in strip_invisible(value or "") if ch >= " " or ch in "\t\n\r")


def _sub(parent, tag: str, value: str | int = "", cdata: bool = False, **attrs):
    """Append a child element, its text in a CDATA section as WordPress writes it
    (text holding "]]>", which CDATA cannot, goes in as ordinary escaped text)."""
    child = etree.SubElement(parent, tag, **attrs)
    text = _xml_text(str(value))
    child.text = etree.CDATA(text) if cdata and "]]>" not in text else text
    return child


def _date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _local(value: datetime) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S")


def _slug(slug: str) -> str:
    """As WordPress stores a Unicode slug: percent-encoded, lower-case hex."""
    return quote(slug, safe="-_.~").lower() if not slug.isascii() else slug


class IdSpace:
    """WordPress ids for rows: their wp_id, else their own id unless taken, else fresh."""

    def __init__(self, reserved: Iterable[int]) -> None:
        self.used = set(reserved)
        self.next_free = max(self.used, default=0) + 1

    def assign(self, wp_id: int | None, own_id: int) -> int:
        if wp_id is not None:
            return wp_id
        wanted = own_id if own_id not in self.used else None
        if wanted is None:
            while self.next_free in self.used:
                self.next_free += 1
            wanted = self.next_free
        self.used.add(wanted)
        self.next_free = max(self.next_free, wanted + 1)
        return wanted


def export_wxr(path: str | Path) -> Counter[str]:
    """Write the WXR file (atomically: to ``PATH.part``, then renamed) and return counts."""
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as out:
            counts = _write(out)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _wp_ids(*columns) -> set[int]:
    ids: set[int] = set()
    for column in columns:
        ids.update(db.session.scalars(select(column).where(column.is_not(None))))
    return ids


def _write(out) -> Counter[str]:
    config = current_app.config
    site = config["SITE_URL"]
    counts: Counter[str] = Counter()
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("rss", version="2.0", nsmap=NSMAP):
            with xf.element("channel"):
                head = etree.Element("head")
                _sub(head, "title", config["SITE_NAME"])
                _sub(head, "link", site)
                _sub(head, "description", config["SITE_DESCRIPTION"])
                _sub(head, "pubDate", format_datetime(utcnow(), usegmt=True))
                _sub(head, "language", config.get("SITE_LANGUAGE", "en"))
                _sub(head, _wp("wxr_version"), "1.2")
                _sub(head, _wp("base_site_url"), site)
                _sub(head, _wp("base_blog_url"), site)
                _sub(head, "generator", "blogapp")
                for child in head:
                    xf.write(child)

                logins = _write_authors(xf, counts)
                _write_terms(xf, counts)
                post_space = IdSpace(_wp_ids(Post.wp_id, Page.wp_id, Media.wp_id))
                comment_space = IdSpace(_wp_ids(Comment.wp_id))
                _write_posts(xf, site, logins, post_space, comment_space, counts)
                _write_pages(xf, site, logins, post_space, counts)
                _write_media(xf, site, post_space, counts)
    return counts


def _write_authors(xf, counts: Counter[str]) -> dict[int, str]:
    space = IdSpace(_wp_ids(User.wp_id))
    logins = {}
    for user in db.session.scalars(select(User).order_by(User.id)):
        logins[user.id] = user.login
        author = etree.Element(_wp("author"))
        _sub(author, _wp("author_id"), space.assign(user.wp_id, user.id))
        _sub(author, _wp("author_login"), user.login, cdata=True)
        _sub(author, _wp("author_email"), user.email, cdata=True)
        _sub(author, _wp("author_display_name"), user.display_name, cdata=True)
        _sub(author, _wp("author_first_name"), "", cdata=True)
        _sub(author, _wp("author_last_name"), "", cdata=True)
        xf.write(author)
        counts["authors"] += 1
    return logins


def _write_terms(xf, counts: Counter[str]) -> None:
    space = IdSpace(_wp_ids(Category.wp_id, Tag.wp_id))
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))
    by_id = {c.id: c for c in categories}
    children = defaultdict(list)
    for c in categories:
        parent = c.parent_id if c.parent_id in by_id else None
        children[parent].append(c)
    ordered: list[Category] = []
    stack = list(reversed(children[None]))
    seen: set[int] = set()
    while stack:  # parents before children, as WordPress's importer needs them
        c = stack.pop()
        if c.id in seen:
            continue
        seen.add(c.id)
        ordered.append(c)
        stack.extend(reversed(children[c.id]))
    for c in ordered:
        element = etree.Element(_wp("category"))
        _sub(element, _wp("term_id"), space.assign(c.wp_id, c.id))
        _sub(element, _wp("category_nicename"), _slug(c.slug), cdata=True)
        parent = by_id.get(c.parent_id) if c.parent_id else None
        _sub(element, _wp("category_parent"), _slug(parent.slug) if parent else "", cdata=True)
        _sub(element, _wp("cat_name"), c.name, cdata=True)
        if c.description:
            _sub(element, _wp("category_description"), c.description, cdata=True)
        xf.write(element)
        counts["categories"] += 1
    for t in db.session.scalars(select(Tag).order_by(Tag.id)):
        element = etree.Element(_wp("tag"))
        _sub(element, _wp("term_id"), space.assign(t.wp_id, t.id))
        _sub(element, _wp("tag_slug"), _slug(t.slug), cdata=True)
        _sub(element, _wp("tag_name"), t.name, cdata=True)
        xf.write(element)
        counts["tags"] += 1


def _item(kind: str, wp_id: int, title: str, link: str, guid: str, creator: str,
          content: str, excerpt: str, created: datetime, modified: datetime, slug: str,
          status: str, comment_status: str = "closed", menu_order: int = 0):  # fmt: skip
    item = etree.Element("item")
    _sub(item, "title", title, cdata=True)
    _sub(item, "link", link)
    _sub(item, "pubDate", format_datetime(created.astimezone(UTC), usegmt=True))
    _sub(item, f"{{{DC_NS}}}creator", creator, cdata=True)
    _sub(item, "guid", guid, isPermaLink="false")
    _sub(item, "description", "")
    _sub(item, f"{{{CONTENT_NS}}}encoded", content, cdata=True)
    _sub(item, f"{{{EXCERPT_NS}}}encoded", excerpt, cdata=True)
    _sub(item, _wp("post_id"), wp_id)
    _sub(item, _wp("post_date"), _local(created), cdata=True)
    _sub(item, _wp("post_date_gmt"), _date(created), cdata=True)
    _sub(item, _wp("post_modified"), _local(modified), cdata=True)
    _sub(item, _wp("post_modified_gmt"), _date(modified), cdata=True)
    _sub(item, _wp("comment_status"), comment_status, cdata=True)
    _sub(item, _wp("ping_status"), "closed", cdata=True)
    _sub(item, _wp("post_name"), _slug(slug), cdata=True)
    _sub(item, _wp("status"), status, cdata=True)
    _sub(item, _wp("post_parent"), 0)
    _sub(item, _wp("menu_order"), menu_order)
    _sub(item, _wp("post_type"), kind, cdata=True)
    _sub(item, _wp("post_password"), "", cdata=True)
    return item


def _meta(item, key: str, value: str) -> None:
    meta = etree.SubElement(item, _wp("postmeta"))
    _sub(meta, _wp("meta_key"), key, cdata=True)
    _sub(meta, _wp("meta_value"), value, cdata=True)


def _wp_status(status: str, published_at: datetime, now: datetime) -> str:
    if status == POST_PUBLISHED:
        return "future" if published_at > now else "publish"
    return status


def _write_posts(xf, site: str, logins: dict[int, str], space: IdSpace,
                 comment_space: IdSpace, counts: Counter[str]) -> None:  # fmt: skip
    terms_c = {c.id: c for c in db.session.scalars(select(Category))}
    terms_t = {t.id: t for t in db.session.scalars(select(Tag))}
    now = utcnow()
    last_id = 0
    while True:
        posts = list(
            db.session.scalars(select(Post).where(Post.id > last_id).order_by(Post.id).limit(CHUNK))
        )
        if not posts:
            break
        last_id = posts[-1].id
        ids = [p.id for p in posts]
        cats, tags, comments = defaultdict(list), defaultdict(list), defaultdict(list)
        for post_id, cat_id in db.session.execute(
            select(post_categories.c.post_id, post_categories.c.category_id)
            .where(post_categories.c.post_id.in_(ids))
        ):  # fmt: skip
            cats[post_id].append(terms_c[cat_id])
        for post_id, tag_id in db.session.execute(
            select(post_tags.c.post_id, post_tags.c.tag_id).where(post_tags.c.post_id.in_(ids))
        ):
            tags[post_id].append(terms_t[tag_id])
        for comment in db.session.scalars(
            select(Comment).where(Comment.post_id.in_(ids)).order_by(Comment.id)
        ):
            comments[comment.post_id].append(comment)
        for post in posts:
            xf.write(_post_item(post, site, logins, space, comment_space, cats[post.id],
                                tags[post.id], comments[post.id], now))  # fmt: skip
            counts["posts"] += 1
            counts["comments"] += len(comments[post.id])
        db.session.expunge_all()


def _post_item(post: Post, site: str, logins, space: IdSpace, comment_space: IdSpace,
               cats, tags, comments, now: datetime):  # fmt: skip
    wp_id = space.assign(post.wp_id, post.id)
    local = to_local(post.published_at)
    link = f"{site}/{local:%Y/%m/%d}/{quote(post.slug)}/"
    markdown = post.content_format == FORMAT_MARKDOWN
    item = _item(
        "post", wp_id, post.title, link, post.guid or f"{site}/?p={wp_id}",
        logins.get(post.author_id, ""), post.body_html if markdown else post.body,
        post.excerpt, post.published_at, post.updated_at, post.slug,
        _wp_status(post.status, post.published_at, now),
        "closed" if post.comment_mode == COMMENTS_CLOSED else "open",
    )  # fmt: skip
    if post.sticky:
        _sub(item, _wp("is_sticky"), 1)
    for c in cats:
        _sub(item, "category", c.name, cdata=True, domain="category", nicename=_slug(c.slug))
    for t in tags:
        _sub(item, "category", t.name, cdata=True, domain="post_tag", nicename=_slug(t.slug))
    _meta(item, META_FORMAT, post.content_format)
    if markdown:
        _meta(item, META_MARKDOWN, post.body)
    _meta(item, META_LANGUAGE, post.language)
    _meta(item, META_COMMENT_MODE, post.comment_mode)
    if post.source_line:
        _meta(item, META_SOURCE_LINE, post.source_line)
    ids = {c.id: comment_space.assign(c.wp_id, c.id) for c in comments}
    for c in comments:
        element = etree.SubElement(item, _wp("comment"))
        _sub(element, _wp("comment_id"), ids[c.id])
        _sub(element, _wp("comment_author"), c.author_name, cdata=True)
        _sub(element, _wp("comment_author_email"), c.author_email, cdata=True)
        _sub(element, _wp("comment_author_url"), c.author_url)
        _sub(element, _wp("comment_author_IP"), c.author_ip, cdata=True)
        _sub(element, _wp("comment_date"), _local(c.created_at), cdata=True)
        _sub(element, _wp("comment_date_gmt"), _date(c.created_at), cdata=True)
        _sub(element, _wp("comment_content"), c.body, cdata=True)
        _sub(element, _wp("comment_approved"), COMMENT_APPROVED_VALUE.get(c.status, "0"),
             cdata=True)  # fmt: skip
        _sub(element, _wp("comment_type"), "comment", cdata=True)
        _sub(element, _wp("comment_parent"), ids.get(c.parent_id, 0) if c.parent_id else 0)
        _sub(element, _wp("comment_user_id"), 0)
    return item


def _write_pages(xf, site: str, logins, space: IdSpace, counts: Counter[str]) -> None:
    for page in db.session.scalars(select(Page).order_by(Page.id)):
        wp_id = space.assign(page.wp_id, page.id)
        markdown = page.content_format == FORMAT_MARKDOWN
        item = _item(
            "page", wp_id, page.title, f"{site}/{quote(page.slug)}/", f"{site}/?page_id={wp_id}",
            logins.get(page.author_id, ""), page.body_html if markdown else page.body, "",
            page.created_at, page.updated_at, page.slug,
            "publish" if page.status == POST_PUBLISHED else page.status,
            menu_order=page.menu_order,
        )  # fmt: skip
        _meta(item, META_FORMAT, page.content_format)
        if markdown:
            _meta(item, META_MARKDOWN, page.body)
        _meta(item, META_LANGUAGE, page.language)
        xf.write(item)
        counts["pages"] += 1


def _write_media(xf, site: str, space: IdSpace, counts: Counter[str]) -> None:
    for media in db.session.scalars(select(Media).order_by(Media.id)):
        wp_id = space.assign(media.wp_id, media.id)
        local = not media.filename.startswith("remote-")
        url = f"{site}/uploads/{media.filename}" if local else media.source_url
        item = _item(
            "attachment", wp_id, media.original_name or media.filename, url, url, "", "",
            media.caption, media.created_at, media.created_at,
            Path(media.original_name or media.filename).stem.lower(), "inherit",
        )  # fmt: skip
        _sub(item, _wp("attachment_url"), url, cdata=True)
        if local:
            _meta(item, "_wp_attached_file", media.filename)
        if media.alt:
            _meta(item, "_wp_attachment_image_alt", media.alt)
        if media.credit:
            _meta(item, META_CREDIT, media.credit)
        xf.write(item)
        counts["media"] += 1
