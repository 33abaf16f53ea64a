"""Replies from the fediverse: a ``Note`` answering one of our posts, or a comment
approved on it, becomes a comment like any reader's: cleaned by the comment
cleaner, judged by the same rules (never approved on its own: it has no address to
be a known commenter by), held for moderation, threaded under its parent, logged
with "from the fediverse" and the account in the reason. Its author's ``Update``
edits it as a reader's edit would be; their ``Delete`` trashes it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from blogapp import clock
from blogapp.comments import notify, services
from blogapp.comments.rules import Candidate, comments_closed, judge
from blogapp.comments.settings import load_settings
from blogapp.content import html_to_text
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, ModerationEvent, Post, RemoteActor
from blogapp.sanitize import clean_comment, strip_invisible

_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)


def text_of(html) -> str:
    """A Note's HTML as the plain text a reader would have typed (paragraphs kept)."""
    if not isinstance(html, str):
        return ""
    blocks = (html_to_text(block) for block in _BLOCK_END.split(html))
    return "\n\n".join(b for b in blocks if b).strip()[
        : int(current_app.config["COMMENT_MAX_LENGTH"])
    ]


def _local_path(uri: str) -> str | None:
    site = current_app.config["SITE_URL"]
    if not isinstance(uri, str) or not uri.startswith(site + "/"):
        return None
    return urlsplit(uri).path


def replied_to(uri) -> tuple[Post, Comment | None] | None:
    """The post (and approved comment) a Note's ``inReplyTo`` names, if it is ours."""
    if isinstance(uri, dict):
        uri = uri.get("id")
    if not isinstance(uri, str):
        return None
    path = _local_path(uri)
    if path is not None:
        adapter = current_app.url_map.bind("localhost")
        try:
            endpoint, values = adapter.match(path, method="GET")
        except Exception:  # noqa: BLE001 (a 404, a redirect: not one of ours)
            return None
        if endpoint == "fediverse.post_object":
            post = db.session.get(Post, values["post_id"])
        elif endpoint == "posts.detail":
            post = db.session.scalar(select(Post).where(Post.slug == values["slug"]))
        else:
            return None
        fragment = urlsplit(uri).fragment
        parent = None
        if post is not None and fragment.startswith("comment-") and fragment[8:].isdigit():
            parent = db.session.get(Comment, int(fragment[8:]))
            if (
                parent is None
                or parent.post_id != post.id
                or parent.status != CommentStatus.APPROVED
            ):
                return None
        return (post, parent) if post is not None and post.is_public else None
    parent = db.session.scalar(select(Comment).where(Comment.remote_id == uri))
    if parent is None or parent.status != CommentStatus.APPROVED:
        return None
    post = db.session.get(Post, parent.post_id)
    return (post, parent) if post is not None and post.is_public else None


def create(note: dict, author: RemoteActor) -> Comment | None:
    """Store the reply held (commits); None when it answers nothing of ours, comments
    are closed, or it was stored before."""
    note_id = note.get("id")
    if not isinstance(note_id, str) or not note_id or len(note_id) > 500:
        return None
    if db.session.scalar(select(Comment.id).where(Comment.remote_id == note_id)) is not None:
        return None
    target = replied_to(note.get("inReplyTo"))
    if target is None:
        return None
    post, parent = target
    settings = load_settings()
    if comments_closed(post, settings):
        return None
    body = strip_invisible(text_of(note.get("content"))).strip()
    if not body:
        return None
    candidate = Candidate(
        author_name=services.clean_name(author.name or author.handle) or author.handle,
        author_email="",
        author_url=services.clean_website(author.profile_url),
        author_ip="",
        body=body,
        body_html=clean_comment(body),
    )
    verdict = judge(
        candidate,
        settings,
        comment_mode=post.comment_mode,
        honeypot_filled=False,
        seconds_since_served=float("inf"),
        min_seconds=0.0,
        known_commenter=False,
    )
    status = verdict.status  # pending or spam: with no address, never a known commenter
    row = dict(
        post_id=post.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_name=candidate.author_name,
        author_email="",
        author_url=candidate.author_url,
        author_ip="",
        body=body,
        body_html=candidate.body_html,
        status=status,
        created_at=clock.now(),
        remote_id=note_id,
        remote_actor=author.uri,
    )
    held_mail = notify.prepare_held_mail(row, post.title)
    reason = f"from the fediverse ({author.handle or author.uri}): {verdict.reason}"

    def store() -> Comment:
        comment = Comment(**row)
        db.session.add(comment)
        db.session.flush()
        db.session.add(
            ModerationEvent(
                comment_id=comment.id,
                comment_summary=services.summarize(comment, reason),
                action="submitted",
                from_status="",
                to_status=status,
                created_at=clock.now(),
            )
        )
        notify.comment_stored(comment, held_mail)
        return comment

    return commit_write(store)


def _own(note_id, author: RemoteActor) -> Comment | None:
    if not isinstance(note_id, str):
        return None
    return db.session.scalar(
        select(Comment).where(Comment.remote_id == note_id, Comment.remote_actor == author.uri)
    )


def update(note: dict, author: RemoteActor) -> bool:
    """Its author edited the Note: judged again as a reader's edit (commits)."""
    comment = _own(note.get("id"), author)
    if comment is None or comment.status == CommentStatus.TRASH:
        return False
    body = strip_invisible(text_of(note.get("content"))).strip()
    if not body:
        return False

    def edit() -> bool:
        comment = _own(note.get("id"), author)
        if comment is None:  # deleted meanwhile
            return False
        return services.reader_edit(comment, body, load_settings()) is not None

    return commit_write(edit)


def delete(note_id, author: RemoteActor) -> bool:
    """Its author deleted the Note: the comment goes to the trash (commits)."""
    comment = _own(note_id, author)
    if comment is None:
        return False

    def trash() -> bool:
        comment = _own(note_id, author)
        return comment is not None and services.change_status(
            comment, CommentStatus.TRASH, None, "deleted by its author"
        )

    return commit_write(trash)
