"""The activities the blog sends, as plain dicts: a post as an ``Article`` (its
title, summary, content as sanitized on the site, permalink, language maps and
images), wrapped in ``Create``, ``Update``, ``Delete`` or the blog's ``Announce``,
and the ``Accept`` of a follow."""

from __future__ import annotations

import re
from html import unescape

from flask import current_app

from blogapp.content import html_to_text
from blogapp.fediverse.actors import AP_CONTEXT, BLOG, PUBLIC, actor_uri, url
from blogapp.mail.outbox import absolute
from blogapp.models import Post
from blogapp.permalinks import post_url

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\b(src|alt)="([^"]*)"', re.IGNORECASE)
_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}


def object_uri(post_id: int) -> str:
    return url("fediverse.post_object", post_id=post_id)


def _absolute(src: str) -> str:
    if src.startswith(("https://", "http://")):
        return src
    return current_app.config["SITE_URL"] + "/" + src.lstrip("/")


def attachments(html: str) -> list[dict]:
    found, seen = [], set()
    for tag in _IMG.findall(html):
        attrs = {k.lower(): unescape(v) for k, v in _ATTR.findall(tag)}
        src = attrs.get("src", "")
        if not src or src in seen:
            continue
        seen.add(src)
        extension = src.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower()
        found.append(
            {
                "type": "Image",
                "mediaType": _TYPES.get(extension, "image/jpeg"),
                "url": _absolute(src),
                "name": attrs.get("alt", ""),
            }
        )
    return found


def article(post: Post, author_name: str) -> dict:
    """The post as followers see it; ``author_name`` is the actor it is from."""
    summary_html = post.excerpt_html or ""
    summary = html_to_text(summary_html)
    language = post.language or "en"
    return _without_empty(
        {
            "id": object_uri(post.id),
            "type": "Article",
            "attributedTo": actor_uri(author_name),
            "name": post.title,
            "summary": summary or None,
            "summaryMap": {language: summary} if summary else None,
            "content": post.body_html,
            "contentMap": {language: post.body_html},
            "mediaType": "text/html",
            "url": absolute(lambda: post_url(post)),
            "published": _iso(post.published_at),
            "updated": _iso(post.updated_at),
            "to": [PUBLIC],
            "cc": [url("fediverse.followers", name=author_name)],
            "attachment": attachments(post.body_html),
        }
    )


def _without_empty(document: dict) -> dict:
    return {k: v for k, v in document.items() if v is not None}


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def wrap(kind: str, actor_name: str, obj: dict | str, activity_id: str) -> dict:
    """An activity of ``kind`` by one of our actors around ``obj``."""
    return {
        "@context": AP_CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_uri(actor_name),
        "to": [PUBLIC],
        "cc": [url("fediverse.followers", name=actor_name)],
        "object": obj,
    }


def tombstone(post_id: int) -> dict:
    return {"id": object_uri(post_id), "type": "Tombstone"}


def announce(post_id: int, revision: int) -> dict:
    return wrap("Announce", BLOG, object_uri(post_id), f"{object_uri(post_id)}#announce-{revision}")


def accept(target: str, follow: dict | str, follower_id: int, follower_uri: str) -> dict:
    """The Accept of ``follow`` (the Follow itself, or its id when only that was kept)."""
    activity = wrap("Accept", target, follow, f"{actor_uri(target)}#accepts/{follower_id}")
    activity["to"] = [follower_uri]
    activity.pop("cc")
    return activity
