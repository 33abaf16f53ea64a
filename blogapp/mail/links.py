"""Signed links in mails: what a link may do is in its token, signed with the
site's key (itsdangerous), with the time it was made so it can expire against the
injectable clock, and for single-use links a nonce that ``consume`` records.

A link's page only shows; its button's POST acts (``pressed``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from blogapp.clock import now
from blogapp.extensions import db
from blogapp.interface_language import N_
from blogapp.models import UsedToken
from blogapp.upsert import insert_for


class LinkError(ValueError):
    """A link that is forged, damaged, expired or used; ``message`` says which, plainly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pressed() -> bool:
    """Whether this request is the page's button, the one request a mail link's page
    acts on. Mail scanners and link previews open links with GET and HEAD (and Flask
    answers HEAD with the GET view), so every method but POST only shows the page."""
    return request.method == "POST"


def fingerprint(value: str) -> str:
    """A keyed digest of ``value`` (a subscriber's address) to sign into a link beside
    the row's id: the link then names only the row with that address, even should
    the id ever belong to another, and the address itself is not in the URL (logs,
    browser history)."""
    key = current_app.secret_key
    key = key if isinstance(key, bytes) else str(key).encode()
    digest = hmac.new(key, f"blogapp.mail.fingerprint:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"blogapp.mail.{purpose}")


def make(purpose: str, data: dict, *, single_use: bool = False) -> str:
    signed = {**data, "t": int(now().timestamp())}
    if single_use:
        signed["n"] = secrets.token_urlsafe(12)
    return _serializer(purpose).dumps(signed)


def read(purpose: str, token: str, max_age: timedelta | None = None) -> dict:
    """The data of a genuine, unexpired token; LinkError otherwise."""
    try:
        data = _serializer(purpose).loads(token)
    except BadSignature:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise LinkError(
            N_(
                "This link is not valid. It may have been cut short: "
                "copy the whole link from the e-mail."
            )
        )
    if max_age is not None and now() - datetime.fromtimestamp(data["t"], UTC) > max_age:
        raise LinkError(N_("This link has expired."))
    return data


def made_before(created_at: datetime, data: dict) -> bool:
    """Whether a row created at ``created_at`` existed when the link of ``data`` (read)
    was made: a row given the id of one deleted since is younger than the link."""
    return int(created_at.timestamp()) <= data["t"]


def consume(nonce: str, purpose: str) -> bool:
    """Record a single-use link as used, in the open transaction; False if it was already."""
    stmt = insert_for(db.session, UsedToken.__table__).values(
        nonce=nonce, purpose=purpose, used_at=now()
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["nonce"]).returning(UsedToken.nonce)
    return db.session.execute(stmt).first() is not None  # (rowcount is -1 on psycopg)
