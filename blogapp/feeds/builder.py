"""RSS 2.0 and Atom documents from posts, comments and corrections.

A feed is a ``Feed`` of ``Entry`` values rendered by two templates
(``templates/feeds/rss.xml`` and ``atom.xml``, autoescaped as XML), as WordPress
(``feed-rss2.php``), Hugo and jekyll-feed do. It was built with feedgen before;
feedgen brings lxml and builds a whole element tree, about 6 MB more at the peak
of every worker that serves a feed (against the workers' memory budget), for documents whose
shape never changes. The tests read every feed with feedparser, as a feed reader
would, and with the standard library's strict XML parser.

Links are absolute from SITE_URL; relative links inside post HTML are made
absolute too, since a feed reader has no page to resolve them against."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Protocol

from flask import Response, current_app, url_for
from flask_babel import gettext as _

from blogapp import clock
from blogapp.authors.services import join_plain
from blogapp.content import featured_figure, post_label
from blogapp.dates import format_date
from blogapp.mirrors.addresses import mirror_addresses
from blogapp.models import Comment, Post
from blogapp.permalinks import post_url
from blogapp.seo.meta import ATOM, RSS, absolute_url

# Sanitized HTML quotes every attribute with double quotes (bleach's serializer).
# The second branch is each later candidate of a srcset ("… 400w, /uploads/…").
_RELATIVE_LINK = re.compile(r'(\s(?:href|src|srcset)="|\d+w, )/(?!/)')
# Characters XML 1.0 does not allow anywhere, even escaped: one would make the whole
# feed unreadable, so they are dropped from every text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def absolute_links(fragment: str) -> str:
    # Most fragments (a comment without a link) hold neither mark the pattern needs: no
    # scan of their every character by it.
    if '="/' not in fragment and "w, /" not in fragment:
        return fragment
    site = current_app.config["SITE_URL"] + "/"
    return _RELATIVE_LINK.sub(lambda m: m.group(1) + site, fragment)


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


@dataclass
class Entry:
    id: str
    link: str
    title: str
    published: datetime
    updated: datetime
    content_html: str = ""
    summary_html: str = ""
    # An item keeps the guid WordPress gave it ("http://old.example/?p=12"), which is
    # not a link; otherwise the guid is the permalink.
    guid_is_permalink: bool = True
    author_name: str = ""
    author_uri: str = ""
    categories: list[str] = field(default_factory=list)
    comments_link: str = ""


@dataclass
class Feed:
    kind: str  # "rss" or "atom"
    title: str
    page_url: str
    self_url: str
    description: str
    language: str
    entries: list[Entry] = field(default_factory=list)
    updated: datetime | None = None
    # The site's other addresses (blogapp.mirrors): a reader's feed reader keeps
    # learning them after the main address is blocked.
    mirrors: list[str] = field(default_factory=list)


def new_feed(title: str, page_path: str, self_path: str, description: str, kind: str) -> Feed:
    return Feed(
        kind,
        title,
        absolute_url(page_path),
        absolute_url(self_path),
        description,
        current_app.config["SITE_LANGUAGE"],
        mirrors=mirror_addresses(),
    )


def post_entries(feed: Feed, posts: list[Post], noted: dict[int, datetime] | None = None) -> None:
    """Items for ``posts``; ``noted`` holds when each post's newest correction was made."""
    full = current_app.config["FEED_FULL_CONTENT"]
    noted = noted or {}
    for post in posts:
        link = absolute_url(post_url(post))
        names = [profile.name_in(post.language) for profile in post.bylines]
        figure = str(featured_figure(post))  # the featured image comes first
        feed.entries.append(
            Entry(
                id=post.guid or link,
                link=link,
                title=post_label(post, format_date(post.published_at)),
                published=post.published_at,
                updated=max(
                    post.updated_at, post.published_at, noted.get(post.id, post.published_at)
                ),
                summary_html=absolute_links(figure + post.excerpt_html),
                content_html=absolute_links(figure + post.body_html) if full else "",
                guid_is_permalink=not post.guid,
                author_name=join_plain(names),
                author_uri=absolute_url(url_for("posts.author", slug=post.bylines[0].slug))
                if post.bylines
                else "",
                categories=[c.name for c in post.categories] + [t.name for t in post.tags],
                comments_link=link + "#comments",
            )
        )


def comment_entries(feed: Feed, comments: list[Comment]) -> None:
    """Items for comments on any posts (each comment's ``post`` loaded)."""
    for comment in comments:
        post_title = post_label(comment.post, format_date(comment.post.published_at))
        feed.entries.append(
            _comment_entry(comment, post_title, absolute_url(post_url(comment.post)))
        )


def post_comment_entries(feed: Feed, post: FeedPost, comments: Iterable[FeedComment]) -> None:
    """Items for comments on ``post``: its title and address worked out once."""
    post_title = post_label(post, format_date(post.published_at))
    permalink = absolute_url(post_url(post))
    feed.entries.extend(_comment_entry(comment, post_title, permalink) for comment in comments)


class FeedPost(Protocol):
    """What a post's comments feed shows of the post: a ``Post``, or a row of these
    columns (``post_label`` and ``post_url`` read them)."""

    id: int
    title: str
    slug: str
    published_at: datetime
    excerpt_html: str
    body_html: str


class FeedComment(Protocol):
    """What a comment's item shows: a ``Comment``, or a row of these columns."""

    id: int
    author_name: str
    created_at: datetime
    body_html: str


def _comment_entry(comment: FeedComment, post_title: str, permalink: str) -> Entry:
    link = f"{permalink}#comment-{comment.id}"
    name = comment.author_name.strip() or _("Anonymous")
    return Entry(
        id=link,
        link=link,
        title=_("Comment on %(title)s by %(name)s", title=post_title, name=name),
        published=comment.created_at,
        updated=comment.created_at,
        content_html=absolute_links(comment.body_html),
        author_name=name,
    )


def rfc822(moment: datetime) -> str:
    return format_datetime(_utc(moment))


def rfc3339(moment: datetime) -> str:
    return _utc(moment).isoformat(timespec="seconds")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def feed_response(feed: Feed, newest: datetime | None) -> Response:
    # The feed changes when its newest item does; an empty feed is as new as now.
    feed.updated = newest or clock.now()
    template = current_app.jinja_env.get_template(f"feeds/{feed.kind}.xml")
    body = template.render(feed=feed, rfc822=rfc822, rfc3339=rfc3339, text=xml_text)
    return Response(body, content_type=f"{ATOM if feed.kind == 'atom' else RSS}; charset=utf-8")
