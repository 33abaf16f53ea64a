"""Where an account is logged in: one ``LoginSession`` row per login.

flask-login's session id stays ``id:token`` (the account's session token, rotated by
logout, a new password or "log out everywhere") with the row's ``key`` after it:
``id:token:key``. ``load_user`` loads the user and the row in one query, so ending a
row ends that browser's session and its remember-me cookie on its next request.
A row is ended, not deleted, so the device stays known: a login from a device the
account never used before mails its owner (through the outbox, in the login's
transaction). ``last_seen_at`` is written after the response at most once a minute.
Ids from before this existed (``id:token``) still load, and list no row."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask import current_app, g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from blogapp import clock
from blogapp.extensions import db
from blogapp.interface_language import account_language, mail_locale
from blogapp.mail.outbox import enqueue, mail_enabled, site_url
from blogapp.models import LoginSession, OutboxKind, User

TOUCH_EVERY = timedelta(minutes=1)
_G_TOUCH = "blogapp_session_touch"
NOT_AUDITED = {"blogapp_not_audited": True}  # bookkeeping, not an admin write

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """ "Firefox on Windows": enough to recognise a device, nothing more is stored."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if not browser and not system:
        cleaned = re.sub(r"[^\w./ -]", "", user_agent)[:60].strip()
        return cleaned or "Unknown device"
    return f"{browser or 'A browser'} on {system}" if system else browser


def _client() -> tuple[str, str]:
    if not has_request_context():
        return "Command line", ""
    return (
        describe_device(request.headers.get("User-Agent", ""))[:120],
        (request.remote_addr or "")[:45],
    )


def start(user: User) -> str:
    """A new login of ``user`` from this request's device, in the open transaction;
    mails the owner when the account has logged in before, never from this device."""
    device, address = _client()
    known = set(
        db.session.scalars(select(LoginSession.device).where(LoginSession.user_id == user.id))
    )
    key = secrets.token_hex(16)
    db.session.add(LoginSession(key=key, user_id=user.id, device=device, address=address))
    if (
        known
        and device not in known
        and user.email
        and mail_enabled()
        and current_app.config["NEW_DEVICE_MAIL"]
    ):
        with mail_locale(account_language(user)):
            enqueue(
                key=f"new-device.{user.id}.{key}",
                kind=OutboxKind.NEW_DEVICE,
                recipient=user.email,
                subject=_("A new login to your account"),
                ref=f"user:{user.id}",
                text=_(
                    "Your account “%(login)s” was just logged into from a device it had "
                    "not used before: %(device)s, address %(address)s.\n\nIf this was "
                    "you, there is nothing to do. If not, end that session and change "
                    "your password at once:\n%(link)s\n",
                    login=user.login,
                    device=device,
                    address=address or _("unknown"),
                    link=site_url("auth.account"),
                ),
            )
    return key


def end_login_sessions(user_id: int, *, keep: str = "", session_id: int | None = None) -> int:
    """End the user's open logins (one when ``session_id`` is given; never ``keep``)."""
    stmt = update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)
    )
    if keep:
        stmt = stmt.where(LoginSession.key != keep)
    if session_id is not None:
        stmt = stmt.where(LoginSession.id == session_id)
    result = db.session.execute(
        stmt.values(ended_at=clock.now()).execution_options(synchronize_session=False)
    )
    return result.rowcount


def open_sessions(user_id: int) -> list[LoginSession]:
    return list(
        db.session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


def load(user_id: int, key: str) -> User | None:
    """The user of an open login ``key`` (one query); notes a stale ``last_seen_at``."""
    found = db.session.execute(
        select(User, LoginSession.id, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == user_id, LoginSession.key == key, LoginSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    user, row_id, last_seen = found
    user.login_key = key
    if has_request_context() and clock.now() - last_seen >= TOUCH_EVERY:
        setattr(g, _G_TOUCH, row_id)
    return user


def touch_last_seen(response):
    """After a read's response is made: one short UPDATE, at most once a minute a
    login. (A writing request may leave work for its own teardown to roll back, so
    only reads touch; the next one will.)"""
    row_id = g.pop(_G_TOUCH, None)
    if row_id is None or request.method not in ("GET", "HEAD"):
        return response
    try:
        db.session.rollback()  # end the read's transaction: nothing of it is kept
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.id == row_id)
            .values(last_seen_at=clock.now(), address=(request.remote_addr or "")[:45])
            .execution_options(**NOT_AUDITED)
        )
        db.session.commit()
    except SQLAlchemyError:  # a busy database: next minute will do
        db.session.rollback()
    return response
