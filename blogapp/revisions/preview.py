"""Share-preview links: ``/preview/<token>`` shows a draft, pending or scheduled
post to anyone holding the link, without logging in.

The token is signed with the site's key (itsdangerous, as ``blogapp.mail.links``)
and carries the post's id and its current nonce (``PreviewKey``): revoking deletes
the nonce, so every link made before stops working. Answers are ``private,
no-store`` with ``noindex`` (the ``preview`` blueprint is in the page cache's
PRIVATE_BLUEPRINTS, so no cache of ours, nginx's or a proxy's keeps them) and send
no Referer onwards. Once the post is public the link answers 301 to its permalink;
the save that publishes a post (or unpublishes one that was public, a scheduled post
whose time came included) drops its nonce, so a link never shows a later draft."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from blogapp import clock
from blogapp.extensions import db
from blogapp.models import Post, PostStatus, PreviewKey, User
from blogapp.permalinks import post_url

bp = Blueprint("preview", __name__)

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Referrer-Policy": "no-referrer",
}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="blogapp.preview")


def can_share(post: Post) -> bool:
    """Drafts, pending and scheduled posts: what readers cannot see yet."""
    return post.status in (PostStatus.DRAFT, PostStatus.PENDING) or post.is_scheduled


def _key(post_id: int) -> PreviewKey | None:
    return db.session.get(PreviewKey, post_id)


def share(post: Post, *, by: User | None) -> str:
    """The post's share-preview link, made (with a new nonce) when it has none."""
    key = _key(post.id)
    if key is None:
        key = PreviewKey(
            post_id=post.id,
            nonce=secrets.token_urlsafe(16),
            created_at=clock.now(),
            created_by_id=by.id if by else None,
        )
        db.session.add(key)
        db.session.commit()
    return _link(post.id, key.nonce)


def preview_link(post: Post) -> str | None:
    key = _key(post.id)
    return _link(post.id, key.nonce) if key is not None else None


def _link(post_id: int, nonce: str) -> str:
    token = _serializer().dumps({"p": post_id, "n": nonce})
    return current_app.config["SITE_URL"].rstrip("/") + url_for("preview.show", token=token)


def forget(post_id: int) -> None:
    """Drop the post's nonce in the open transaction (no commit): for the save that
    makes it public or takes it back from the public. Looked up first, so a save
    with no link to drop writes no audit entry."""
    key = _key(post_id)
    if key is not None:
        db.session.delete(key)


def revoke(post: Post) -> None:
    db.session.execute(delete(PreviewKey).where(PreviewKey.post_id == post.id))
    db.session.commit()


@bp.route("/preview/<token>")
def show(token: str):
    try:
        data = _serializer().loads(token)
    except BadSignature:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        abort(404)
    # The bylines joined (a collection: hence unique()), so they cost no query more.
    post = (
        db.session.execute(
            select(Post)
            .options(
                joinedload(Post.bylines), selectinload(Post.categories), selectinload(Post.tags)
            )
            .where(Post.id == data["p"])
        )
        .unique()
        .scalar_one_or_none()
    )
    if post is None:
        abort(404)
    if post.is_public:
        return redirect(post_url(post), 301), PRIVATE_HEADERS
    key = _key(post.id)
    if key is None or not secrets.compare_digest(key.nonce, str(data.get("n", ""))):
        abort(404)  # revoked, or a link of an earlier nonce
    if not can_share(post):
        abort(404)  # private posts are never shared this way
    return render_template("revisions/share_preview.html", post=post), PRIVATE_HEADERS
