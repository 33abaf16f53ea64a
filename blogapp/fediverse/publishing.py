"""Telling followers about posts. ``flask deliver`` runs ``queue_due_posts`` in every
pass (as the newsletter's), so a post that became public by a scheduled time
passing is noticed with no write of its own:

- a public post followers were never told about (published since the first
  follower was accepted) gets a ``Create`` from its author's actor (the blog's
  when it has none), and the blog ``Announce``s it to the blog's followers;
- a post edited since (its ``updated_at`` moved) gets an ``Update``;
- a post no longer public (unpublished, made private, deleted) gets a ``Delete``.

What was said is kept in ``FederatedPost``; it changes in the same transaction as
the outbox rows that say it (one per inbox, shared inboxes once), by a conditional
UPDATE, so two workers queue it once."""

from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from blogapp import clock
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.fediverse import activities
from blogapp.fediverse.actors import BLOG
from blogapp.mail.outbox import enqueue_many
from blogapp.models import (
    AuthorProfile,
    FederatedPost,
    FederationState,
    Follower,
    FollowerStatus,
    OutboxKind,
    Post,
    User,
    post_bylines,
)

KIND = OutboxKind.ACTIVITYPUB  # an outbox row delivered by a signed POST (fediverse.delivery)
PUBLISHED, DELETED = FederationState.PUBLISHED, FederationState.DELETED


def enabled() -> bool:
    return bool(current_app.config.get("FEDIVERSE_ENABLED"))


def inboxes(targets: tuple[str, ...]) -> list[str]:
    return sorted(
        set(
            db.session.scalars(
                select(Follower.inbox).where(
                    Follower.target.in_(targets), Follower.status == FollowerStatus.ACCEPTED
                )
            )
        )
    )


def delivery(activity: dict, actor: str, inbox: str, ref: str) -> dict:
    """The outbox row (``enqueue`` arguments) delivering ``activity`` to ``inbox``."""
    digest = hashlib.sha256(f"{activity['id']} {inbox}".encode()).hexdigest()[:40]
    return dict(
        key=f"ap.{digest}",
        kind=KIND,
        ref=ref,
        recipient=inbox[:254],
        subject=f"{activity['type']} {activity['id']}"[:300],
        payload={"inbox": inbox, "actor": actor, "activity": activity},
    )


def _first_follow():
    return db.session.scalar(
        select(func.min(Follower.accepted_at)).where(Follower.status == FollowerStatus.ACCEPTED)
    )


def _due() -> tuple[list[int], list[int], list[int]]:
    first = _first_follow()
    told = FederatedPost
    new = (
        []
        if first is None
        else list(
            db.session.scalars(
                select(Post.id)
                .outerjoin(told, told.post_id == Post.id)
                .where(
                    Post.public(),
                    Post.published_at >= first,
                    or_(told.post_id.is_(None), told.state == DELETED),
                )
                .order_by(Post.published_at, Post.id)
            )
        )
    )
    edited = list(
        db.session.scalars(
            select(Post.id)
            .join(told, told.post_id == Post.id)
            .where(Post.public(), told.state == PUBLISHED, Post.updated_at > told.synced_updated_at)
        )
    )
    gone = list(
        db.session.scalars(
            select(told.post_id)
            .outerjoin(Post, Post.id == told.post_id)
            .where(told.state == PUBLISHED, or_(Post.id.is_(None), ~Post.public()))
        )
    )
    return new, edited, gone


def queue_due_posts() -> int:
    """Queue what followers are to hear about posts; returns the deliveries queued."""
    if not enabled():
        return 0
    new, edited, gone = _due()
    db.session.commit()
    queued = sum(_tell(post_id, "Create") for post_id in new)
    queued += sum(_tell(post_id, "Update") for post_id in edited)
    queued += sum(_tell(post_id, "Delete") for post_id in gone)
    return queued


def _author_login(post: Post) -> str:
    """The account's actor when the post's one byline is that account under its own
    name; the blog's for a pen name, a guest writer or several bylines, so no actor
    ties a pen name to an account (blogapp.authors)."""
    bylines = db.session.execute(
        select(AuthorProfile.user_id, AuthorProfile.is_pen_name)
        .join(post_bylines, post_bylines.c.author_id == AuthorProfile.id)
        .where(post_bylines.c.post_id == post.id)
    ).all()
    if len(bylines) != 1 or bylines[0].is_pen_name or bylines[0].user_id is None:
        return BLOG
    login = db.session.scalar(select(User.login).where(User.id == bylines[0].user_id))
    return login if login and login != BLOG else BLOG


def _tell(post_id: int, kind: str) -> int:
    told = db.session.get(FederatedPost, post_id)
    seen = (told.state, told.revision) if told else None
    post = db.session.get(Post, post_id)
    if kind == "Delete":
        actor = told.author_login or BLOG
        obj: dict = activities.tombstone(post_id)
    else:
        if post is None or not post.is_public:
            db.session.commit()
            return 0
        actor = _author_login(post)
        obj = activities.article(post, actor)
    revision = (told.revision + 1) if told else 1
    activity = activities.wrap(
        kind, actor, obj, f"{activities.object_uri(post_id)}#{kind.lower()}-{revision}"
    )
    ref = f"post:{post_id}"
    rows = [delivery(activity, actor, inbox, ref) for inbox in inboxes((actor, BLOG))]
    if kind == "Create" and actor != BLOG:
        boost = activities.announce(post_id, revision)
        rows += [delivery(boost, BLOG, inbox, ref) for inbox in inboxes((BLOG,))]
    values = dict(
        state=DELETED if kind == "Delete" else PUBLISHED,
        revision=revision,
        synced_updated_at=post.updated_at if post else clock.now(),
        author_login=actor,
    )
    if post is not None and kind == "Create":
        values["published_at"] = post.published_at

    def tell() -> int:
        if seen is None:
            db.session.add(FederatedPost(post_id=post_id, **values))
            try:
                db.session.flush()
            except IntegrityError:  # another worker told them first
                db.session.rollback()
                return 0
        else:
            changed = db.session.execute(
                update(FederatedPost)
                .where(
                    FederatedPost.post_id == post_id,
                    FederatedPost.state == seen[0],
                    FederatedPost.revision == seen[1],
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not changed:  # another worker told them first
                db.session.rollback()
                return 0
        enqueue_many(rows)
        return len(rows)

    return commit_write(tell)
