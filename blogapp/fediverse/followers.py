"""Accepting a follower held by ``FEDIVERSE_APPROVE_FOLLOWERS``: the one rule behind
the admin's Followers screen and ``flask fediverse accept``."""

from __future__ import annotations

from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.fediverse import inbox, remote
from blogapp.models import Follower, FollowerStatus


class NotAccepted(Exception):
    """Why a follower could not be accepted, in words for the admin."""


def accept_held(follower_id: int) -> Follower:
    """Accept a held follower and queue their Accept, in one transaction (commits)."""

    def accept() -> Follower:
        follower = db.session.get(Follower, follower_id)
        if follower is None or follower.status != FollowerStatus.PENDING:
            raise NotAccepted("No held follower has that number.")
        actor = remote.known(follower.actor_uri)
        if actor is None:
            raise NotAccepted("The follower's account is not known any more.")
        inbox.accept(follower, follower.follow_id or follower.actor_uri, actor)
        return follower

    return commit_write(accept)
