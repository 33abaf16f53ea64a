"""Commenter keys: identity that cannot be typed in.

A name and an address are printed or guessable, so they recognise nobody. A reader
who ticks "Recognise me on this browser" is mailed a link once a moderator approves
their comment (nothing is mailed for a held comment: the blog relays nothing to a
stranger); pressing the button on the page that link opens confirms the address and
gives that browser a key, in an HttpOnly cookie sent only to the comment form's
POST (its Path), never with a page, so pages stay the same bytes for everyone. Only
a comment sent with a key given for its address counts as "known"
(``services.submit``). Only a hash of each key is stored.

The reply notifications' confirmation (``subscriptions``) is the same double
opt-in: confirming from it gives the browser a key too.

A key counts for ``COMMENTER_KEY_DAYS`` after it was given (by the site's clock), then
its browser must confirm again; ``flask prune`` deletes expired keys. From the page
their mailed "your subscriptions" link opens, a reader can forget every browser
recognised as them (a lost phone, a shared computer)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import after_this_request, current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from blogapp.clock import now
from blogapp.comments import subscriptions  # the reply lists' links: the same double opt-in
from blogapp.extensions import db
from blogapp.mail.outbox import enqueue, mail_enabled
from blogapp.models import Comment, CommenterKey, MailSubscriber, OutboxKind
from blogapp.reader_data import Reader

COOKIE = "commenter_key"
# The comment form posts to /comments/post/<id>: the cookie goes there and nowhere else.
COOKIE_PATH = "/comments/post/"
COOKIE_DAYS = 400  # browsers keep a cookie at most this long
KEY_MAIL = OutboxKind.SUBSCRIPTION_CONFIRM


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def presented_key() -> str:
    """The key this request's cookie carries: read only on the comment POST, whose
    path is the only one the browser sends it to."""
    return request.cookies.get(COOKIE, "")[:100] if has_request_context() else ""


def key_days() -> int:
    return int(current_app.config["COMMENTER_KEY_DAYS"])


def _given_since():
    """Keys given before this moment have expired."""
    return now() - timedelta(days=key_days())


def is_known(key: str, email: str) -> bool:
    """Whether ``key`` was given, less than ``COMMENTER_KEY_DAYS`` ago, to a browser
    that confirmed ``email``."""
    if not key or not email:
        return False
    stored = db.session.scalar(
        select(CommenterKey.email).where(
            CommenterKey.key_hash == key_hash(key), CommenterKey.created_at > _given_since()
        )
    )
    return stored is not None and hmac.compare_digest(stored.encode(), email.encode())


def issue(email: str) -> None:
    """Give the browser of this request a key for ``email`` (commits; in the POST of
    a confirmation link): the hash stored, the key in the response's cookie."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        CommenterKey(email=email.strip().lower(), key_hash=key_hash(key), created_at=now())
    )
    db.session.commit()

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            COOKIE,
            key,
            max_age=int(timedelta(days=min(COOKIE_DAYS, key_days())).total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
        return response


def recognised_browsers(email: str) -> int:
    """How many browsers hold a key for ``email`` that has not expired."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CommenterKey)
            .where(
                CommenterKey.email == email.strip().lower(),
                CommenterKey.created_at > _given_since(),
            )
        )
        or 0
    )


def forget_browsers(email: str) -> int:
    """Delete every key of ``email`` (commits; in the POST of the reader's page) and the
    cookie of this request's browser: none of them is recognised any more."""
    forgotten = db.session.execute(
        delete(CommenterKey)
        .where(CommenterKey.email == email.strip().lower())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()

    @after_this_request
    def drop_cookie(response):
        response.delete_cookie(
            COOKIE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
        return response

    return forgotten


def forget_expired() -> int:
    """Delete the keys older than ``COMMENTER_KEY_DAYS`` (commits; ``flask prune``)."""
    deleted = db.session.execute(
        delete(CommenterKey)
        .where(CommenterKey.created_at <= _given_since())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return deleted


def confirmed_addresses(emails: list[str]) -> set[str]:
    """Which of these addresses confirmed through a mailed link (one query)."""
    wanted = sorted({e.lower() for e in emails if e})
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(func.lower(MailSubscriber.email)).where(
                func.lower(MailSubscriber.email).in_(wanted),
                MailSubscriber.confirmed_at.is_not(None),
            )
        )
    )


def comment_approved(comment: Comment) -> None:
    """In the transaction approving ``comment`` (no commit): if its author asked to be
    recognised and did not send it from a recognised browser, mail them the link,
    at most once per ``CONFIRM_RESEND_HOURS``."""
    if not comment.wants_key or comment.known_browser or not comment.author_email:
        return
    if not mail_enabled():
        return
    subscriber = subscriptions.subscriber_for(comment.author_email)
    moment = now()
    resend = timedelta(hours=float(current_app.config["CONFIRM_RESEND_HOURS"]))
    sent = subscriber.confirmation_sent_at
    if sent is not None and moment - sent < resend:
        return
    subscriber.confirmation_sent_at = moment
    site = current_app.config["SITE_NAME"]
    link = subscriptions.confirm_url(subscriber)
    text = _(
        "Someone, probably you, asked %(site)s to recognise their browser when they "
        "comment as %(email)s.\n\nOpen this link in the browser you comment from and "
        "press the button. Comments sent from that browser will then count as yours:\n"
        "%(link)s\n\nIf it was not you, ignore this mail: nothing changes.\n",
        site=site,
        email=subscriber.email,
        link=link,
    )
    enqueue(
        key=f"commenter-key.{subscriber.id}.{int(moment.timestamp())}",
        kind=KEY_MAIL,
        recipient=subscriber.email,
        subject=_("[%(site)s] Recognise your browser", site=site),
        text=text,
        ref=f"subscriber:{subscriber.id}",
    )


# -- the reader's data ----------------------------------------------------------------


def holds(address: str) -> bool:
    return (
        db.session.scalar(select(CommenterKey.id).where(CommenterKey.email == address).limit(1))
        is not None
    )


def export(reader: Reader) -> dict:
    given = db.session.scalars(
        select(CommenterKey.created_at)
        .where(CommenterKey.email == reader.email)
        .order_by(CommenterKey.id)
    ).all()
    return {"browsers_recognised_since": [moment.isoformat() for moment in given]}


def erase(reader: Reader) -> int:
    """Forget every browser key of the address (in the open transaction): its browsers
    are strangers again."""
    return db.session.execute(
        delete(CommenterKey)
        .where(CommenterKey.email == reader.email)
        .execution_options(synchronize_session=False)
    ).rowcount
