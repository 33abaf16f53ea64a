"""Where a post lives: ``/YYYY/MM/DD/slug/`` in the site's time zone, as WordPress
builds it. A leaf module, so every feature that links to posts (pages, feeds, the
sitemap, comments, mail) may import it without importing the posts blueprint."""

from __future__ import annotations

from flask import url_for

from blogapp.dates import to_local


def post_url(post, **kwargs) -> str:
    """The permalink of ``post`` (anything with ``published_at`` and ``slug``)."""
    local = to_local(post.published_at)
    return url_for(
        "posts.detail",
        year=local.year,
        month=local.month,
        day=local.day,
        slug=post.slug,
        **kwargs,
    )
