"""RSS 2.0 and Atom documents, built with feedgen from posts and comments.

Links are absolute from SITE_URL; relative links inside post HTML are made
absolute too, since a feed reader has no page to resolve them against."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Response, current_app, url_for

from blogapp.content import post_label
from blogapp.dates import format_date
from blogapp.models import Comment, Post, utcnow
from blogapp.permalinks import post_url
from blogapp.seo.meta import ATOM, RSS, absolute_url

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

# Sanitized HTML quotes every attribute with double quotes (bleach's serializer).
# The second branch is each later candidate of a srcset ("… 400w, /uploads/…").
_RELATIVE_LINK = re.compile(r'(\s(?:href|src|srcset)="|\d+w, )/(?!/)')


def absolute_links(fragment: str) -> str:
    return _RELATIVE_LINK.sub(lambda m: m.group(1) + current_app.config["SITE_URL"] + "/",
                              fragment)  # fmt: skip


def new_feed(title: str, page_path: str, self_path: str, description: str,
             kind: str) -> FeedGenerator:  # fmt: skip
    # Imported on first use: feedgen brings lxml and dateutil, which a worker that
    # serves no feed never needs.
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.load_extension("dc")
    self_url = absolute_url(self_path)
    feed.id(self_url)
    feed.title(title)
    feed.subtitle(description)  # also RSS's required <description>
    # feedgen makes the last link RSS's <link>, which must be the page, not the feed.
    feed.link(href=self_url, rel="self", type=ATOM if kind == "atom" else RSS)
    feed.link(href=absolute_url(page_path), rel="alternate")
    feed.language(current_app.config["SITE_LANGUAGE"])
    feed.generator("blogapp")
    return feed


def post_entries(feed: FeedGenerator, posts: Iterable[Post],
                 noted: dict[int, datetime] | None = None) -> None:  # fmt: skip
    """Items for ``posts``; ``noted`` holds when each post's newest correction was made."""
    full = current_app.config["FEED_FULL_CONTENT"]
    noted = noted or {}
    for post in posts:
        entry = feed.add_entry(order="append")
        link = absolute_url(post_url(post))
        entry.id(post.guid or link)
        entry.guid(post.guid or link, permalink=not post.guid)
        entry.title(post_label(post, format_date(post.published_at)))
        entry.link(href=link, rel="alternate")
        entry.published(post.published_at)
        entry.updated(max(post.updated_at, post.published_at,
                          noted.get(post.id, post.published_at)))  # fmt: skip
        if post.author is not None:
            entry.author(name=post.author.public_name,
                         uri=absolute_url(url_for("posts.author", login=post.author.login)))
            entry.dc.dc_creator(post.author.public_name)
        for category in post.categories:
            entry.category(term=category.name)
        for tag in post.tags:
            entry.category(term=tag.name)
        entry.summary(absolute_links(post.excerpt_html), type="html")
        if full:
            entry.content(absolute_links(post.body_html), type="html")
        entry.comments(link + "#comments")


def comment_entries(feed: FeedGenerator, comments: Iterable[Comment]) -> None:
    for comment in comments:
        entry = feed.add_entry(order="append")
        post_title = post_label(comment.post, format_date(comment.post.published_at))
        link = absolute_url(post_url(comment.post)) + f"#comment-{comment.id}"
        name = comment.author_name.strip() or "Anonymous"
        entry.id(link)
        entry.guid(link, permalink=True)
        entry.title(f"Comment on {post_title} by {name}")
        entry.link(href=link, rel="alternate")
        entry.published(comment.created_at)
        entry.updated(comment.created_at)
        entry.author(name=name)
        entry.dc.dc_creator(name)
        entry.content(absolute_links(comment.body_html), type="html")


def feed_response(feed: FeedGenerator, kind: str, newest: datetime | None) -> Response:
    # The feed changes when its newest item does; an empty feed is as new as now.
    feed.updated(newest or utcnow())
    feed.lastBuildDate(newest or utcnow())
    if kind == "atom":
        return Response(feed.atom_str(pretty=True), content_type=f"{ATOM}; charset=utf-8")
    return Response(feed.rss_str(pretty=True), content_type=f"{RSS}; charset=utf-8")
