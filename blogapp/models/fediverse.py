"""The blog as an ActivityPub actor: its keys, the accounts elsewhere that follow
it, what they were told about each post, and their likes and boosts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow


# The blog as an ActivityPub actor (blogapp/fediverse). A follower is an
# account elsewhere following one of our actors ("blog" or an author's login); it is
# pending while FEDIVERSE_APPROVE_FOLLOWERS holds it, else accepted.
class FollowerStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"


# What followers were last told about a post: that it is published, or deleted.
class FederationState(StrEnum):
    PUBLISHED = "published"
    DELETED = "deleted"


# The reactions the inbox counts, named as ActivityPub names their activities.
class ReactionKind(StrEnum):
    LIKE = "Like"
    ANNOUNCE = "Announce"


class FediverseKey(db.Model):
    """The blog's RSA key pair for HTTP Signatures, made on first use (never in git)."""

    __tablename__ = "fediverse_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemoteActor(db.Model):
    """An account elsewhere, as its actor document said when last fetched: its public
    key (for verifying its signatures), its name and its inboxes."""

    __tablename__ = "fediverse_remote_actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(String(500), unique=True)
    key_id: Mapped[str] = mapped_column(String(500), default="", index=True)
    public_key_pem: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(String(250), default="")
    handle: Mapped[str] = mapped_column(String(300), default="")  # user@host
    profile_url: Mapped[str] = mapped_column(String(500), default="")
    inbox: Mapped[str] = mapped_column(String(500), default="")
    shared_inbox: Mapped[str] = mapped_column(String(500), default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follower(db.Model):
    __tablename__ = "fediverse_followers"
    __table_args__ = (
        UniqueConstraint("target", "actor_uri", name="uq_fediverse_followers_target_actor"),
        Index("ix_fediverse_followers_target_status", "target", "status", "id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(60))  # "blog" or an author's login
    actor_uri: Mapped[str] = mapped_column(String(500))
    inbox: Mapped[str] = mapped_column(String(500))  # the shared inbox when it has one
    follow_id: Mapped[str] = mapped_column(String(500), default="")  # their Follow's id
    status: Mapped[str] = mapped_column(String(20), default=FollowerStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FederatedPost(db.Model):
    """What followers were last told about a post: ``state`` "published" (a Create,
    then an Update per edit, ``revision`` counting them) or "deleted". No foreign
    key: a post deleted here must still be deleted there."""

    __tablename__ = "fediverse_posts"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(20), default=FederationState.PUBLISHED)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    synced_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    author_login: Mapped[str] = mapped_column(String(60), default="")


class Reaction(db.Model):
    """A Like or an Announce (boost) of a post: counted, never shown as a comment."""

    __tablename__ = "fediverse_reactions"
    __table_args__ = (
        UniqueConstraint("kind", "actor_uri", "post_id", name="uq_fediverse_reactions"),
        Index("ix_fediverse_reactions_post_kind", "post_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # a ReactionKind
    actor_uri: Mapped[str] = mapped_column(String(500))
    activity_id: Mapped[str] = mapped_column(String(500), default="")
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
