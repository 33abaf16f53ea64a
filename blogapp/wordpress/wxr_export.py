"""Writing everything as a WordPress export (WXR 1.2), streamed to disk.

The file is written as WordPress's own exporter writes it (wp-admin/includes/
export.php): the ``wp:``, ``content:``, ``excerpt:``, ``dc:`` and ``wfw:`` prefixes
declared once on ``<rss>``, the same element order and line layout, CDATA where it
uses CDATA, categories before their children and comments inside their post. So
all three of wordpress-importer's parsers read it, including the XMLParser and
regex ones that go by element names and lines rather than namespaces. The text
is written here, not by an XML library that would pick its own prefixes. Post
meta keys starting ``_blogapp_`` carry what WordPress has no field for
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
from typing import TextIO
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from flask import current_app
from sqlalchemy import select

from blogapp import clock
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.models import (
    COMMENTS_CLOSED,
    FORMAT_MARKDOWN,
    AuthorProfile,
    Category,
    Comment,
    CommentStatus,
    Media,
    Page,
    Post,
    PostStatus,
    Tag,
    User,
    post_bylines,
    post_categories,
    post_tags,
)
from blogapp.sanitize import strip_invisible
from blogapp.wordpress.wxr_meta import (
    CAP_PREFIX,
    CAP_TAXONOMY,
    GUEST_AUTHOR,
    META_COMMENT_MODE,
    META_CREDIT,
    META_FORMAT,
    META_LANGUAGE,
    META_MARKDOWN,
    META_PEN_NAME,
    META_SOURCE_LINE,
)
from blogapp.wordpress.wxr_reader import CONTENT_NS, DC_NS

WP_NS = "http://wordpress.org/export/1.2/"
EXCERPT_NS = "http://wordpress.org/export/1.2/excerpt/"
WFW_NS = "http://wellformedweb.org/CommentAPI/"
NSMAP = {"excerpt": EXCERPT_NS, "content": CONTENT_NS, "wfw": WFW_NS, "dc": DC_NS, "wp": WP_NS}
CHUNK = 500  # posts read per query (their comments come in one more)
COMMENT_APPROVED_VALUE = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.TRASH: "trash",
}


def _xml_text(value: str) -> str:
    """Text XML 1.0 can hold: control characters other than tab and newlines dropped."""
    return "".join(ch for ch in strip_invisible(value or "") if ch >= " " or ch in "\t\n\r")


def _cdata(value: str | int) -> str:
    """A CDATA section, as WordPress writes one; a "]]>" in the text ends one section
    and starts the next, since CDATA cannot hold it."""
    return "<![CDATA[" + _xml_text(str(value)).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _field(tag: str, value: str | int = "", cdata: bool = False, **attrs: str) -> str:
    """``<tag attr="…">value</tag>``, the value in CDATA or escaped."""
    body = _cdata(value) if cdata else escape(_xml_text(str(value)))
    attributes = "".join(f" {name}={quoteattr(_xml_text(v))}" for name, v in attrs.items())
    return f"<{tag}{attributes}>{body}</{tag}>"


def _rss_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC))  # "Mon, 02 Mar 2026 08:00:00 +0000"


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
        with open(partial, "w", encoding="utf-8", newline="\n") as out:
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


HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<!-- A WordPress eXtended RSS file (WXR 1.2) written by blogapp's flask export-wxr. -->
<!-- WordPress reads it with Tools > Import > WordPress; blogapp with flask import-wxr. -->
<rss version="2.0"
\txmlns:excerpt="{excerpt}"
\txmlns:content="{content}"
\txmlns:wfw="{wfw}"
\txmlns:dc="{dc}"
\txmlns:wp="{wp}"
>

<channel>
"""


def _write(out: TextIO) -> Counter[str]:
    config = current_app.config
    site = config["SITE_URL"]
    counts: Counter[str] = Counter()
    out.write(HEADER.format(**NSMAP))
    head = [
        _field("title", config["SITE_NAME"]),
        _field("link", site),
        _field("description", config["SITE_DESCRIPTION"]),
        _field("pubDate", _rss_date(clock.now())),
        _field("language", config.get("SITE_LANGUAGE", "en")),
        _field("wp:wxr_version", "1.2"),
        _field("wp:base_site_url", site),
        _field("wp:base_blog_url", site),
    ]
    out.write("".join(f"\t{line}\n" for line in head) + "\n")
    logins = _write_authors(out, counts)
    _write_terms(out, counts)
    out.write(f"\n\t{_field('generator', 'blogapp')}\n\n")
    post_space = IdSpace(_wp_ids(Post.wp_id, Page.wp_id, Media.wp_id))
    comment_space = IdSpace(_wp_ids(Comment.wp_id))
    bylines = _byline_logins(logins)
    _write_posts(out, site, logins, post_space, comment_space, counts, bylines)
    _write_pages(out, site, logins, post_space, counts)
    _write_media(out, site, post_space, counts)
    _write_guest_authors(out, site, bylines, post_space, counts)
    out.write("</channel>\n</rss>\n")
    return counts


def _write_authors(out: TextIO, counts: Counter[str]) -> dict[int, str]:
    space = IdSpace(_wp_ids(User.wp_id))
    logins = {}
    for user in db.session.scalars(select(User).order_by(User.id)):
        logins[user.id] = user.login
        fields = "".join(
            [  # one line per author, as WordPress (and its regex parser) has it
                _field("wp:author_id", space.assign(user.wp_id, user.id)),
                _field("wp:author_login", user.login, cdata=True),
                _field("wp:author_email", user.email, cdata=True),
                _field("wp:author_display_name", user.display_name, cdata=True),
                _field("wp:author_first_name", "", cdata=True),
                _field("wp:author_last_name", "", cdata=True),
            ]
        )
        out.write(f"\t<wp:author>{fields}</wp:author>\n")
        counts["authors"] += 1
    return logins


def _block(tag: str, lines: list[str], indent: str = "\t") -> str:
    inner = "".join(f"{indent}\t{line}\n" for line in lines)
    return f"{indent}<{tag}>\n{inner}{indent}</{tag}>\n"


def _write_terms(out: TextIO, counts: Counter[str]) -> None:
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
        parent = by_id.get(c.parent_id) if c.parent_id else None
        lines = [
            _field("wp:term_id", space.assign(c.wp_id, c.id)),
            _field("wp:category_nicename", _slug(c.slug), cdata=True),
            _field("wp:category_parent", _slug(parent.slug) if parent else "", cdata=True),
            _field("wp:cat_name", c.name, cdata=True),
        ]
        if c.description:
            lines.append(_field("wp:category_description", c.description, cdata=True))
        out.write(_block("wp:category", lines))
        counts["categories"] += 1
    for t in db.session.scalars(select(Tag).order_by(Tag.id)):
        lines = [
            _field("wp:term_id", space.assign(t.wp_id, t.id)),
            _field("wp:tag_slug", _slug(t.slug), cdata=True),
            _field("wp:tag_name", t.name, cdata=True),
        ]
        out.write(_block("wp:tag", lines))
        counts["tags"] += 1


def _item(
    kind: str,
    wp_id: int,
    title: str,
    link: str,
    guid: str,
    creator: str,
    content: str,
    excerpt: str,
    created: datetime,
    modified: datetime,
    slug: str,
    status: str,
    comment_status: str = "closed",
    menu_order: int = 0,
    sticky: bool = False,
) -> list[str]:
    """An item's fields up to ``wp:is_sticky``, in WordPress's order; the caller adds
    the attachment URL, terms, meta and comments after them, in that order."""
    return [
        _field("title", title, cdata=True),
        _field("link", link),
        _field("pubDate", _rss_date(created)),
        _field("dc:creator", creator, cdata=True),
        _field("guid", guid, isPermaLink="false"),
        _field("description"),
        _field("content:encoded", content, cdata=True),
        _field("excerpt:encoded", excerpt, cdata=True),
        _field("wp:post_id", wp_id),
        _field("wp:post_date", _local(created), cdata=True),
        _field("wp:post_date_gmt", _date(created), cdata=True),
        _field("wp:post_modified", _local(modified), cdata=True),
        _field("wp:post_modified_gmt", _date(modified), cdata=True),
        _field("wp:comment_status", comment_status, cdata=True),
        _field("wp:ping_status", "closed", cdata=True),
        _field("wp:post_name", _slug(slug), cdata=True),
        _field("wp:status", status, cdata=True),
        _field("wp:post_parent", 0),
        _field("wp:menu_order", menu_order),
        _field("wp:post_type", kind, cdata=True),
        _field("wp:post_password", "", cdata=True),
        _field("wp:is_sticky", int(sticky)),
    ]


def _term(domain: str, name: str, slug: str) -> str:
    # Attributes in this order and quoting: the regex parser matches them literally.
    nicename = escape(_slug(slug), {'"': "&quot;"})
    return f'<category domain="{domain}" nicename="{nicename}">{_cdata(name)}</category>'


def _meta(key: str, value: str) -> list[str]:
    return [
        "<wp:postmeta>",
        _field("wp:meta_key", key, cdata=True),
        _field("wp:meta_value", value, cdata=True),
        "</wp:postmeta>",
    ]


def _wp_status(status: str, published_at: datetime, now: datetime) -> str:
    if status == PostStatus.PUBLISHED:
        return "future" if published_at > now else "publish"
    return status


def _byline_logins(logins: dict[int, str]) -> dict[int, tuple[AuthorProfile, str]]:
    """Each profile and the login its byline term names (Co-Authors Plus's shape): an
    account's own profile by the account's login, any other by its own."""
    found = {}
    for profile in db.session.scalars(select(AuthorProfile).order_by(AuthorProfile.id)):
        own = profile.user_id is not None and not profile.is_pen_name
        login = logins.get(profile.user_id, "") if own else ""
        found[profile.id] = (profile, login or profile.wp_login or profile.slug)
    return found


def _write_guest_authors(
    out: TextIO, site: str, bylines, space: IdSpace, counts: Counter[str]
) -> None:
    """Profiles that are not an account's own, as Co-Authors Plus guest authors."""
    accounts = dict(db.session.execute(select(User.id, User.login)).all())
    for profile, login in bylines.values():
        if profile.user_id is not None and not profile.is_pen_name:
            continue
        wp_id = space.assign(None, max(space.used, default=0) + 1)
        created = profile.created_at
        lines = _item(
            GUEST_AUTHOR,
            wp_id,
            profile.name,
            f"{site}/author/{quote(profile.slug)}/",
            f"{site}/?post_type={GUEST_AUTHOR}&p={wp_id}",
            "",
            "",
            "",
            created,
            created,
            CAP_PREFIX + profile.slug,
            "publish",
        )
        lines.append(_term(CAP_TAXONOMY, login, CAP_PREFIX + profile.slug))
        for key, value in (
            ("cap-display_name", profile.name),
            ("cap-user_login", login),
            ("cap-description", profile.bio),
            ("cap-website", profile.same_as),
            ("cap-linked_account", accounts.get(profile.user_id, "")),
        ):
            if value:
                lines += _meta(key, value)
        if profile.is_pen_name:
            lines += _meta(META_PEN_NAME, "1")
        _write_item(out, lines)
        counts["guest authors"] += 1


def _write_posts(
    out: TextIO,
    site: str,
    logins: dict[int, str],
    space: IdSpace,
    comment_space: IdSpace,
    counts: Counter[str],
    bylines: dict[int, tuple[AuthorProfile, str]],
) -> None:
    terms_c = {c.id: c for c in db.session.scalars(select(Category))}
    terms_t = {t.id: t for t in db.session.scalars(select(Tag))}
    now = clock.now()
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
        names = defaultdict(list)
        for post_id, profile_id in db.session.execute(
            select(post_bylines.c.post_id, post_bylines.c.author_id)
            .where(post_bylines.c.post_id.in_(ids))
            .order_by(post_bylines.c.position)
        ):
            profile, login = bylines[profile_id]
            names[post_id].append(_term(CAP_TAXONOMY, login, CAP_PREFIX + profile.slug))
        for post_id, cat_id in db.session.execute(
            select(post_categories.c.post_id, post_categories.c.category_id).where(
                post_categories.c.post_id.in_(ids)
            )
        ):
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
            out.write(
                _post_item(
                    post,
                    site,
                    logins,
                    space,
                    comment_space,
                    cats[post.id],
                    tags[post.id],
                    comments[post.id],
                    now,
                    names[post.id],
                )
            )
            counts["posts"] += 1
            counts["comments"] += len(comments[post.id])
        db.session.expunge_all()


def _post_item(
    post: Post,
    site: str,
    logins,
    space: IdSpace,
    comment_space: IdSpace,
    cats,
    tags,
    comments,
    now: datetime,
    byline_terms=(),
) -> str:
    wp_id = space.assign(post.wp_id, post.id)
    local = to_local(post.published_at)
    link = f"{site}/{local:%Y/%m/%d}/{quote(post.slug)}/"
    markdown = post.content_format == FORMAT_MARKDOWN
    lines = _item(
        "post",
        wp_id,
        post.title,
        link,
        post.guid or f"{site}/?p={wp_id}",
        logins.get(post.author_id, ""),
        post.body_html if markdown else post.body,
        post.excerpt,
        post.published_at,
        post.updated_at,
        post.slug,
        _wp_status(post.status, post.published_at, now),
        "closed" if post.comment_mode == COMMENTS_CLOSED else "open",
        sticky=post.sticky,
    )
    lines += [_term("category", c.name, c.slug) for c in cats]
    lines += [_term("post_tag", t.name, t.slug) for t in tags]
    lines += list(byline_terms)  # Co-Authors Plus's terms: the bylines in order
    lines += _meta(META_FORMAT, post.content_format)
    if markdown:
        lines += _meta(META_MARKDOWN, post.body)
    lines += _meta(META_LANGUAGE, post.language)
    lines += _meta(META_COMMENT_MODE, post.comment_mode)
    if post.source_line:
        lines += _meta(META_SOURCE_LINE, post.source_line)
    text = "".join(f"\t\t{line}\n" for line in lines)
    ids = {c.id: comment_space.assign(c.wp_id, c.id) for c in comments}
    for c in comments:
        text += _block(
            "wp:comment",
            [
                _field("wp:comment_id", ids[c.id]),
                _field("wp:comment_author", c.author_name, cdata=True),
                _field("wp:comment_author_email", c.author_email, cdata=True),
                _field("wp:comment_author_url", c.author_url),
                _field("wp:comment_author_IP", c.author_ip, cdata=True),
                _field("wp:comment_date", _local(c.created_at), cdata=True),
                _field("wp:comment_date_gmt", _date(c.created_at), cdata=True),
                _field("wp:comment_content", c.body, cdata=True),
                # Every status travels, spam and trash too (WordPress's exporter leaves
                # spam out; moving a blog should not lose what was judged).
                _field(
                    "wp:comment_approved", COMMENT_APPROVED_VALUE.get(c.status, "0"), cdata=True
                ),
                _field("wp:comment_type", "comment", cdata=True),
                _field("wp:comment_parent", ids.get(c.parent_id, 0) if c.parent_id else 0),
                _field("wp:comment_user_id", 0),
            ],
            indent="\t\t",
        )
    return f"\t<item>\n{text}\t</item>\n"


def _write_item(out: TextIO, lines: list[str]) -> None:
    out.write("\t<item>\n" + "".join(f"\t\t{line}\n" for line in lines) + "\t</item>\n")


def _write_pages(out: TextIO, site: str, logins, space: IdSpace, counts: Counter[str]) -> None:
    for page in db.session.scalars(select(Page).order_by(Page.id)):
        wp_id = space.assign(page.wp_id, page.id)
        markdown = page.content_format == FORMAT_MARKDOWN
        lines = _item(
            "page",
            wp_id,
            page.title,
            f"{site}/{quote(page.slug)}/",
            f"{site}/?page_id={wp_id}",
            logins.get(page.author_id, ""),
            page.body_html if markdown else page.body,
            "",
            page.created_at,
            page.updated_at,
            page.slug,
            "publish" if page.status == PostStatus.PUBLISHED else page.status,
            menu_order=page.menu_order,
        )
        lines += _meta(META_FORMAT, page.content_format)
        if markdown:
            lines += _meta(META_MARKDOWN, page.body)
        lines += _meta(META_LANGUAGE, page.language)
        _write_item(out, lines)
        counts["pages"] += 1


def _write_media(out: TextIO, site: str, space: IdSpace, counts: Counter[str]) -> None:
    for media in db.session.scalars(select(Media).order_by(Media.id)):
        wp_id = space.assign(media.wp_id, media.id)
        local = not media.filename.startswith("remote-")
        url = f"{site}/uploads/{media.filename}" if local else media.source_url
        lines = _item(
            "attachment",
            wp_id,
            media.original_name or media.filename,
            url,
            url,
            "",
            "",
            media.caption,
            media.created_at,
            media.created_at,
            Path(media.original_name or media.filename).stem.lower(),
            "inherit",
        )
        lines.append(_field("wp:attachment_url", url, cdata=True))
        if local:
            lines += _meta("_wp_attached_file", media.filename)
        if media.alt:
            lines += _meta("_wp_attachment_image_alt", media.alt)
        if media.credit:
            lines += _meta(META_CREDIT, media.credit)
        _write_item(out, lines)
        counts["media"] += 1
