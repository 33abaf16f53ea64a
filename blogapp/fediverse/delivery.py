"""The outbox transport for ``activitypub`` rows: a POST of the activity to the
inbox, signed by the actor it is from, through the safe client, over within
``FEDIVERSE_TIMEOUT`` seconds in all. ``flask deliver`` claims, retries and gives up
on these rows exactly as on mail, in a lane of their own that mail never waits
behind (blogapp.mail.worker); this module only says how one is sent and which
failures are for good: an address refused, or a 4xx other than 401, 408 and 429 (a
server that does not know our key yet may say 401 and learn it). An inbox that
answers 410 Gone loses its followers: no more is sent there."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sqlalchemy import delete

from blogapp import clock
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.fediverse import net, signatures
from blogapp.fediverse.actors import AS_JSON, key_id
from blogapp.fediverse.keys import key_pair
from blogapp.models import Follower, OutboxMessage

RETRIED_STATUSES = frozenset({401, 408, 429})


class Refused(Exception):
    """The inbox refused the activity for good: not retried."""


def body_of(activity: dict) -> bytes:
    return json.dumps(activity, ensure_ascii=False, separators=(",", ":")).encode()


def send(row: OutboxMessage) -> None:
    inbox, actor = row.payload["inbox"], row.payload["actor"]
    body = body_of(row.payload["activity"])
    parts = urlsplit(inbox)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    private, _ = key_pair()
    db.session.commit()  # the key's read ends before the network wait
    headers = signatures.signed_headers(
        private, key_id(actor), "POST", net.host_header(inbox), path, clock.now(), body
    )
    headers["Content-Type"] = AS_JSON
    answer = net.request("POST", inbox, headers, body)
    if 200 <= answer.status < 300:
        return
    text = f"{parts.hostname} answered {answer.status}"
    if answer.status == 410:
        _forget_inbox(inbox)
    if 400 <= answer.status < 500 and answer.status not in RETRIED_STATUSES:
        raise Refused(text)
    raise net.FetchError(text)


def is_permanent(error: Exception) -> bool:
    return isinstance(error, Refused | net.RefusedAddress | ValueError | KeyError)


def _forget_inbox(inbox: str) -> None:
    def forget() -> None:
        db.session.execute(delete(Follower).where(Follower.inbox == inbox))

    commit_write(forget)
