"""Queueing the channel's work in the transaction that causes it.

A session hook, as ``blogapp.content_version``'s and installed the same way: every
flush notes the posts whose channel message may change (a post published or
scheduled, unpublished, made private or deleted; its title, excerpt, address or
language edited; a correction added or changed), and just before the commit one
outbox row per noted post is queued in the same transaction. The row only names the
post: what to send is decided when it is sent (``channel``), so no editor, importer
or command calls anything by hand, and nothing is queued twice by a save that
flushes twice."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from blogapp import clock
from blogapp.database import listen_on_session
from blogapp.mail.outbox import enqueue
from blogapp.models import Correction, OutboxMessage, OutboxStatus, Post, PostStatus
from blogapp.telegram import KIND, channel

_NOTED = "blogapp_telegram_posts"
# What the channel message shows, or where the post is: a change to any may change it.
SHOWN = (
    "status",
    "published_at",
    "title",
    "excerpt",
    "excerpt_html",
    "slug",
    "language",
    "share_card",
)


def _was_or_is_published(post: Post) -> bool:
    history = get_history(post, "status")
    return PostStatus.PUBLISHED in (*history.added, *history.unchanged, *history.deleted)


def _noted_post(obj, kind: str) -> int | None:
    if isinstance(obj, Post):
        if not _was_or_is_published(obj):
            return None
        if kind == "dirty" and not any(get_history(obj, a).has_changes() for a in SHOWN):
            return None
        if kind == "new" and channel.too_old(obj):
            return None  # an imported old post
        return obj.id
    if isinstance(obj, Correction):
        return obj.post_id
    return None


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if session.info.get(channel.QUIET) or not channel.enabled():
        return
    for kind, objects in (
        ("new", session.new),
        ("dirty", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objects:
            post_id = _noted_post(obj, kind)
            if post_id is not None:
                session.info.setdefault(_NOTED, {})[post_id] = (
                    obj.published_at if isinstance(obj, Post) and kind != "deleted" else None
                )


def _before_commit(session: Session) -> None:
    if not session.info.get(_NOTED):
        return
    session.flush()  # the last flush happens after this hook: note what it writes now
    noted = session.info.pop(_NOTED, {})
    moment = clock.now()
    for post_id, published_at in sorted(noted.items()):
        due = published_at if published_at and published_at > moment else moment
        if _queued_by(session, post_id, due):
            continue
        enqueue(
            key=f"tg.{post_id}.{secrets.token_hex(8)}",
            kind=KIND,
            ref=f"post:{post_id}",
            subject=f"Post #{post_id} in the Telegram channel",
            payload={"post_id": post_id},
            not_before=due,
        )


def _queued_by(session: Session, post_id: int, due) -> bool:
    """Whether a row for the post waits already, to be sent by ``due``: it will find
    this change too (the card drawn after a save's commit queues no second row)."""
    return (
        session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.kind == KIND,
                OutboxMessage.ref == f"post:{post_id}",
                OutboxMessage.status == OutboxStatus.QUEUED,
                OutboxMessage.attempts == 0,
                OutboxMessage.next_attempt_at <= due,
            )
            .limit(1)
        )
        is not None
    )


def _after_rollback(session: Session) -> None:
    session.info.pop(_NOTED, None)


def watch_posts() -> None:
    """Install the session hooks (once per process: ``db.session`` is shared)."""
    listen_on_session(
        {
            "after_flush": _after_flush,
            "before_commit": _before_commit,
            "after_rollback": _after_rollback,
        }
    )
