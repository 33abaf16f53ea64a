"""Accounts elsewhere: their actor documents, fetched with a signed GET (servers in
"authorized fetch" mode ask for one) through the safe client, and kept in
``RemoteActor`` so that verifying a signature usually costs no request. A key that
fails to verify is fetched again (the account may have rotated it), at most once
per ``FEDIVERSE_KEY_REFETCH_SECONDS``.

The inbox fetches a key inside the web request, from a key id the sender chose, so
a fetch holds one of the worker's threads: at most ``FEDIVERSE_KEY_FETCHES_PER_WORKER``
of them do at once, never two from one host, each for at most
``FEDIVERSE_KEY_FETCH_TIMEOUT`` seconds in all. A request finding no room is not
made to wait: ``Busy`` (the inbox answers 503, and servers deliver again later).
The other threads stay free for readers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from blogapp import clock
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.fediverse import net, signatures
from blogapp.fediverse.actors import AS_JSON, BLOG, key_id
from blogapp.fediverse.keys import key_pair
from blogapp.models import RemoteActor

ACCEPT = f'{AS_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


def signed_get_headers(url: str) -> dict[str, str]:
    private, _ = key_pair()
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = signatures.signed_headers(
        private, key_id(BLOG), "GET", net.host_header(url), path, clock.now()
    )
    headers["Accept"] = ACCEPT
    return headers


class NotTrusted(net.FetchError):
    """The document came, but cannot be believed: its words say nothing about the
    network, so the inbox may show them to the sender."""


class Busy(Exception):
    """This worker is fetching as many keys as it may, or one from that host already."""


# The hosts this worker's threads are fetching keys from (a process's own: each
# gunicorn worker imports this module after the fork).
_fetching: list[str] = []
_fetching_lock = threading.Lock()


@contextmanager
def _fetch_slot(host: str) -> Iterator[None]:
    limit = int(current_app.config["FEDIVERSE_KEY_FETCHES_PER_WORKER"])
    with _fetching_lock:
        if len(_fetching) >= limit or host in _fetching:
            raise Busy("busy fetching other keys; please deliver again later")
        _fetching.append(host)
    try:
        yield
    finally:
        with _fetching_lock:
            _fetching.remove(host)


def fetch_json(url: str, deadline: net.Deadline | None = None) -> tuple[dict, str]:
    """An ActivityPub document, by a signed GET, and the URL it finally came from
    (after redirects); FetchError when it is not one."""
    answer = net.get(url, signed_get_headers, deadline)
    if answer.status != 200:
        raise net.FetchError(f"{urlsplit(url).hostname} answered {answer.status}")
    try:
        document = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise net.FetchError("the answer is not JSON") from None
    if not isinstance(document, dict):
        raise net.FetchError("the answer is not a JSON object")
    return document, answer.url


def _own_document(url: str, deadline: net.Deadline) -> dict:
    """The document at ``url``, only if it names itself on the host it finally came
    from. Checking against the URL asked for instead would let an open redirect on
    one server vouch for a document anywhere (Mastodon's CVE-2024-23832)."""
    document, came_from = fetch_json(url, deadline)
    if urlsplit(_link(document.get("id"))).netloc != urlsplit(came_from).netloc:
        raise NotTrusted("the actor document is not from the actor's own server")
    return document


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _link(value) -> str:
    if isinstance(value, dict):
        value = value.get("href") or value.get("url")
    if isinstance(value, list) and value:
        return _link(value[0])
    return (
        value[:500] if isinstance(value, str) and value.startswith(("https://", "http://")) else ""
    )


def store(document: dict) -> RemoteActor:
    """Remember (or refresh) an actor from its document (commits)."""
    uri = _link(document.get("id"))
    if not uri:
        raise NotTrusted("the actor has no id")
    key = document.get("publicKey") or {}
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict)), {})
    if not isinstance(key, dict):  # a bare link to a key: none to keep
        key = {}
    if key.get("owner") not in (None, uri):
        raise NotTrusted("the actor's key belongs to someone else")
    # A key id elsewhere could shadow the key of the account really there.
    key_uri = _text(key.get("id"), 500)
    if key_uri and urlsplit(key_uri).netloc != urlsplit(uri).netloc:
        raise NotTrusted("the key is not on its actor's own server")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    username = _text(document.get("preferredUsername"), 200)
    values = dict(
        key_id=key_uri,
        public_key_pem=_text(key.get("publicKeyPem"), 10_000),
        name=_text(document.get("name"), 250) or username,
        handle=f"{username}@{urlsplit(uri).netloc}"[:300] if username else "",
        profile_url=_link(document.get("url")) or uri,
        inbox=_link(document.get("inbox")),
        shared_inbox=_link(endpoints.get("sharedInbox")),
        fetched_at=clock.now(),
    )

    def store() -> RemoteActor:
        actor = db.session.scalar(select(RemoteActor).where(RemoteActor.uri == uri))
        if actor is None:
            actor = RemoteActor(uri=uri)
            db.session.add(actor)
        for name, value in values.items():
            setattr(actor, name, value)
        return actor

    return commit_write(store)


def actor_for_key(key: str, *, refresh: bool = False) -> RemoteActor:
    """The actor whose key is ``key`` (a key id: the actor's URI and a fragment, or a
    key document), from the cache, else fetched (Busy when this worker may not
    fetch it now)."""
    actor = db.session.scalar(select(RemoteActor).where(RemoteActor.key_id == key))
    if actor is not None and not refresh:
        return actor
    if actor is not None:
        wait = timedelta(seconds=float(current_app.config["FEDIVERSE_KEY_REFETCH_SECONDS"]))
        if clock.now() - actor.fetched_at < wait:
            return actor  # fetched moments ago: the key is what it is
    net.check_url(key.split("#", 1)[0])  # not a web address: refused before taking a slot
    db.session.commit()  # no transaction waits on the other server
    with _fetch_slot(urlsplit(key).netloc.lower()):
        deadline = net.Deadline.after(float(current_app.config["FEDIVERSE_KEY_FETCH_TIMEOUT"]))
        # An actor speaks for its own server only: a document from one host naming an
        # actor on another would let anyone sign as anyone.
        document = _own_document(key.split("#", 1)[0], deadline)
        if "inbox" not in document and isinstance(document.get("owner"), str):
            # a key document: its owner is the actor
            document = _own_document(document["owner"], deadline)
    return store(document)


def known(uri: str) -> RemoteActor | None:
    return db.session.scalar(select(RemoteActor).where(RemoteActor.uri == uri))
