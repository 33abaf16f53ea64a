"""What the comments keep about a reader, found by the address they commented with:
their comments (name, address, website, IP, browser, words), their reply
notifications, and the moderation log's quotes of them. Registered as the comments'
reader data (``blogapp.comments.init_app``): exported and erased with the rest of a
reader's data (``blogapp.privacy.services``)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, func, select, update

from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, MailSubscriber, ModerationEvent, Post
from blogapp.reader_data import DELETE, Reader

ANONYMOUS = "Anonymous"


def _mine(email: str):
    return func.lower(Comment.author_email) == email.strip().lower()


def holds(address: str) -> bool:
    return any(
        db.session.scalar(select(model.id).where(condition).limit(1)) is not None
        for model, condition in (
            (Comment, _mine(address)),
            (MailSubscriber, func.lower(MailSubscriber.email) == address),
        )
    )


def export(reader: Reader) -> dict:
    rows = db.session.execute(
        select(Comment, Post.title, Post.slug)
        .join(Post, Post.id == Comment.post_id)
        .where(_mine(reader.email))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    subscribed = db.session.scalar(
        select(MailSubscriber.created_at).where(func.lower(MailSubscriber.email) == reader.email)
    )
    return {
        "comments": [
            {
                "id": c.id,
                "post": title,
                "post_id": c.post_id,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
                "name": c.author_name,
                "email": c.author_email,
                "website": c.author_url,
                "ip_address": c.author_ip,
                "user_agent": c.user_agent,
                "text": c.body,
            }
            for c, title, _slug in rows
        ],
        "reply_notifications_since": subscribed.isoformat() if subscribed else None,
    }


def erase(reader: Reader) -> int:
    """Remove or anonymize the reader's comments (as ``reader.mode`` says) and end their
    reply notifications, in the open transaction; how many comments."""
    mine = _mine(reader.email)
    approved = Counter(
        db.session.scalars(
            select(Comment.post_id).where(mine, Comment.status == CommentStatus.APPROVED)
        )
    )
    # The moderation log's lines about these comments quote the name and the words.
    db.session.execute(
        update(ModerationEvent)
        .where(ModerationEvent.comment_id.in_(select(Comment.id).where(mine)))
        .values(comment_summary="(erased at the commenter's request)", previous_body="")
        .execution_options(synchronize_session=False)
    )
    if reader.mode == DELETE:
        for post_id, n in approved.items():
            db.session.execute(
                update(Post)
                .where(Post.id == post_id)
                .values(comment_count=Post.comment_count - n)
                .execution_options(synchronize_session=False)
            )
        count = db.session.execute(
            delete(Comment).where(mine).execution_options(synchronize_session=False)
        ).rowcount
    else:
        count = db.session.execute(
            update(Comment)
            .where(mine)
            .values(
                author_name=ANONYMOUS,
                author_email="",
                author_url="",
                author_ip="",
                user_agent="",
                user_id=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.execute(
        delete(MailSubscriber)
        .where(func.lower(MailSubscriber.email) == reader.email)
        .execution_options(synchronize_session=False)
    )
    return count
