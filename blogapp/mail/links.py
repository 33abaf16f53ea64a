"""Signed links in mails: what a link may do is in its token, signed with the
site's key (itsdangerous), with the time it was made so it can expire against the
injectable clock, and for single-use links a nonce that ``consume`` records."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from blogapp.extensions import db
from blogapp.interface_language import N_
from blogapp.mail.clock import now
from blogapp.models import UsedToken
from blogapp.upsert import insert_for


class LinkError(ValueError):
    """A link that is forged, damaged, expired or used; ``message`` says which, plainly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
        raise LinkError(N_("This link is not valid. It may have been cut short: "
                           "copy the whole link from the e-mail."))
    if max_age is not None and now() - datetime.fromtimestamp(data["t"], UTC) > max_age:
        raise LinkError(N_("This link has expired."))
    return data


def consume(nonce: str, purpose: str) -> bool:
    """Record a single-use link as used, in the open transaction; False if it was already."""
    stmt = insert_for(db.session, UsedToken.__table__).values(
        nonce=nonce, purpose=purpose, used_at=now())
    stmt = stmt.on_conflict_do_nothing(index_elements=["nonce"]).returning(UsedToken.nonce)
    return db.session.execute(stmt).first() is not None  # (rowcount is -1 on psycopg)
