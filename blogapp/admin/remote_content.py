"""Posts that still load images from another host, flagged on the Posts screen
typically an import whose pictures stayed on the old WordPress site.
Readers' browsers never load them (the Content-Security-Policy allows images from
this site only), so a flagged post shows broken images until they are brought in
(``flask import-wxr FILE --uploads DIR``) or edited out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import or_, select

from blogapp.admin.blueprint import bp
from blogapp.extensions import db
from blogapp.models import Post

_SRC = re.compile(r"""<(?:img|video|audio|source)\s[^>]*?\bsrc=["']([^"']+)["']""", re.I)


def other_hosts(html: str, own_host: str) -> list[str]:
    """The hosts other than ``own_host`` that ``html``'s images and media load from."""
    hosts = {urlsplit(url.strip()).netloc.lower() for url in _SRC.findall(html)}
    return sorted(host for host in hosts if host and host != own_host)


@bp.app_template_global()
def posts_loading_elsewhere(posts) -> dict[int, list[str]]:
    """For a page of the Posts screen: post id → other hosts, in one query over only
    the posts whose HTML has an absolute ``src``."""
    ids = [post.id for post in posts]
    if not ids:
        return {}
    own_host = urlsplit(current_app.config["SITE_URL"]).netloc.lower()
    rows = db.session.execute(
        select(Post.id, Post.body_html).where(
            Post.id.in_(ids),
            or_(
                Post.body_html.contains('src="http'),
                Post.body_html.contains('src="//'),
                Post.body_html.contains("src='http"),
            ),
        )
    ).all()
    found = {row.id: other_hosts(row.body_html, own_host) for row in rows}
    return {post_id: hosts for post_id, hosts in found.items() if hosts}
