"""What the inbox does with an activity, once its signature is verified
(``authenticate``): the signer must be the activity's actor.

- ``Follow`` of one of our actors: a follower, accepted at once (an ``Accept`` is
  queued in the same transaction) or held when ``FEDIVERSE_APPROVE_FOLLOWERS``;
- ``Undo`` of a Follow, a Like or an Announce; ``Delete`` of the actor itself (it
  is forgotten, and stops following) or of one of its Notes;
- ``Create`` / ``Update`` of a Note: a reply (``replies``); ``Update`` of the
  actor: its cached document;
- ``Like`` / ``Announce`` of a post: counted.

Anything else is accepted and ignored, as servers do."""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select

from blogapp import clock, throttle
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.fediverse import activities, net, remote, replies, signatures
from blogapp.fediverse.actors import actor_uri, exists
from blogapp.fediverse.publishing import delivery
from blogapp.mail.outbox import enqueue
from blogapp.models import Follower, FollowerStatus, Reaction, ReactionKind, RemoteActor
from blogapp.sanitize import strip_invisible
from blogapp.upsert import insert_for

log = logging.getLogger(__name__)
KEY_NOT_FETCHED = "the signer's key could not be fetched"


class Forbidden(ValueError):
    """The signer may not do this (the inbox answers 403 with why)."""


def authenticate(method: str, path: str, headers, body: bytes) -> RemoteActor:
    """The actor who signed this request; SignatureError when no one verifiably did."""
    parsed = signatures.parse(headers.get("Signature"))
    signatures.check_headers(
        parsed,
        method,
        headers,
        body,
        clock.now(),
        float(current_app.config["FEDIVERSE_SIGNATURE_MAX_AGE"]),
    )
    for refresh in (False, True):
        try:
            actor = remote.actor_for_key(parsed.key_id, refresh=refresh)
        except remote.NotTrusted as error:
            raise signatures.SignatureError(str(error)) from None
        except (net.FetchError, net.RefusedAddress) as error:
            # The sender chooses the key id: the why stays in the log, or the inbox
            # would answer anyone how a host name resolves here.
            log.info("key %.200r not fetched: %s", parsed.key_id, error)
            raise signatures.SignatureError(KEY_NOT_FETCHED) from None
        if actor.key_id == parsed.key_id and signatures.verify(
            parsed, actor.public_key_pem, method, path, headers
        ):
            return actor
    raise signatures.SignatureError("the signature does not match the key")


def count_activity(signer: RemoteActor) -> throttle.Verdict:
    """One more activity from ``signer`` and from its server, if both have room (a
    flood of held replies or of Follows, each queueing an Accept, stops here)."""
    config = current_app.config
    return throttle.hit(
        throttle.Counter(
            "fediverse-inbox-actor", signer.uri, config["FEDIVERSE_INBOX_ACTOR_RATE_LIMIT"]
        ),
        throttle.Counter(
            "fediverse-inbox-host",
            urlsplit(signer.uri).netloc.lower(),
            config["FEDIVERSE_INBOX_HOST_RATE_LIMIT"],
        ),
    )


def _id(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _our_actor(uri: str) -> str | None:
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return name if uri and exists(name) and actor_uri(name) == uri else None


def handle(activity: dict, signer: RemoteActor) -> None:
    if _id(activity.get("actor")) != signer.uri:
        raise signatures.SignatureError("the activity's actor is not the signer")
    kind, obj = activity.get("type"), activity.get("object")
    handler = {
        "Follow": _follow,
        "Undo": _undo,
        "Delete": _delete,
        "Create": _create,
        "Update": _update,
        "Like": _react,
        "Announce": _react,
    }.get(kind)
    if handler is not None:
        handler(activity, obj, signer)


def _follow(activity: dict, obj, signer: RemoteActor) -> None:
    target = _our_actor(_id(obj))
    if target is None:
        return
    held = bool(current_app.config["FEDIVERSE_APPROVE_FOLLOWERS"])
    inbox = signer.shared_inbox or signer.inbox
    if not inbox:
        return

    def follow() -> None:
        follower = db.session.scalar(
            select(Follower).where(Follower.target == target, Follower.actor_uri == signer.uri)
        )
        if follower is None:
            follower = Follower(
                target=target,
                actor_uri=signer.uri,
                status=FollowerStatus.PENDING,
                created_at=clock.now(),
            )
            db.session.add(follower)
        follower.inbox, follower.follow_id = inbox, _id(activity)[:500]
        db.session.flush()
        if not held or follower.status == FollowerStatus.ACCEPTED:
            accept(follower, activity, signer)

    commit_write(follow)


def accept(follower: Follower, follow: dict | str, signer: RemoteActor) -> None:
    """Accept ``follower`` (in the open transaction, with its Accept queued)."""
    if follower.status != FollowerStatus.ACCEPTED:
        follower.status, follower.accepted_at = FollowerStatus.ACCEPTED, clock.now()
    answer = activities.accept(follower.target, follow, follower.id, follower.actor_uri)
    answer["id"] += "-" + hashlib.sha256(_id(follow).encode()).hexdigest()[:12]
    enqueue(
        **delivery(
            answer, follower.target, signer.inbox or follower.inbox, f"follower:{follower.id}"
        )
    )


def _undo(activity: dict, obj, signer: RemoteActor) -> None:
    inner = obj if isinstance(obj, dict) else {}
    kind = inner.get("type")

    def undo() -> None:
        if kind == "Follow" or (not kind and _id(obj)):
            where = [Follower.actor_uri == signer.uri]
            target = _our_actor(_id(inner.get("object")))
            if target:
                where.append(Follower.target == target)
            elif _id(obj):
                where.append(Follower.follow_id == _id(obj))
            db.session.execute(delete(Follower).where(*where))
        elif kind in tuple(ReactionKind):
            db.session.execute(
                delete(Reaction).where(
                    Reaction.actor_uri == signer.uri,
                    Reaction.kind == kind,
                    Reaction.activity_id == _id(obj),
                )
            )

    commit_write(undo)


def _delete(activity: dict, obj, signer: RemoteActor) -> None:
    target = _id(obj)
    if target == signer.uri:  # the account is gone

        def forget() -> None:
            db.session.execute(delete(Follower).where(Follower.actor_uri == signer.uri))
            db.session.execute(delete(Reaction).where(Reaction.actor_uri == signer.uri))

        commit_write(forget)
        return
    replies.delete(target, signer)


def _own_note(obj, signer: RemoteActor) -> bool:
    """A Note by the signer; Forbidden when its id is on another server, where it
    could only be someone else's (claimed first, it would keep theirs out)."""
    if not (
        isinstance(obj, dict)
        and obj.get("type") == "Note"
        and _id(obj.get("attributedTo")) == signer.uri
    ):
        return False
    if urlsplit(_id(obj)).netloc != urlsplit(signer.uri).netloc:
        raise Forbidden("the Note's id is on another server than its author")
    return True


def _create(activity: dict, obj, signer: RemoteActor) -> None:
    if _own_note(obj, signer):
        replies.create(obj, signer)


def _update(activity: dict, obj, signer: RemoteActor) -> None:
    if not isinstance(obj, dict):
        return
    if _own_note(obj, signer):
        replies.update(obj, signer)
    elif _id(obj) == signer.uri:
        remote.store(obj)


def _react(activity: dict, obj, signer: RemoteActor) -> None:
    target = replies.replied_to(_id(obj))
    if target is None or target[1] is not None:
        return
    post, _ = target

    def store() -> None:
        db.session.execute(
            insert_for(db.session, Reaction.__table__)
            .values(
                kind=activity["type"],
                actor_uri=signer.uri,
                post_id=post.id,
                activity_id=strip_invisible(_id(activity))[:500],
                created_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["kind", "actor_uri", "post_id"])
        )

    commit_write(store)
