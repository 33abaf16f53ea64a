"""Writing to the outbox. ``enqueue`` adds a row inside the caller's transaction and
never commits: the message exists exactly when the change that caused it does.

The idempotency key names the cause ("held.12.0": the first moderator's mail about
comment 12), so queueing the same cause twice keeps one row (``ON CONFLICT DO
NOTHING`` on SQLite and PostgreSQL alike). It becomes the Message-ID."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, url_for

from blogapp.clock import now
from blogapp.extensions import db
from blogapp.models import OutboxMessage, OutboxStatus
from blogapp.upsert import insert_for

KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")  # what a Message-ID's left part may hold


def mail_enabled() -> bool:
    """Mail is queued only for a site with an SMTP server to send it through."""
    return bool(current_app.config.get("MAIL_SERVER"))


def _row(
    *,
    key: str,
    kind: str,
    recipient: str = "",
    subject: str = "",
    text: str = "",
    html: str = "",
    headers: dict | None = None,
    payload: dict | None = None,
    ref: str = "",
    not_before: datetime | None = None,
    moment: datetime,
) -> dict:
    if not KEY.match(key):
        raise ValueError(f"idempotency key {key!r} must be 1-200 of A-Z a-z 0-9 . _ -")
    return dict(
        idempotency_key=key,
        kind=kind,
        ref=ref[:100],
        recipient=recipient[:254],
        subject=" ".join(subject.split())[:300],
        headers=headers or {},
        body_text=text,
        body_html=html,
        payload=payload or {},
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=max(not_before or moment, moment),
        last_error="",
        claimed_by="",
        created_at=moment,
    )


def enqueue(
    *,
    key: str,
    kind: str,
    recipient: str = "",
    subject: str = "",
    text: str = "",
    html: str = "",
    headers: dict | None = None,
    payload: dict | None = None,
    ref: str = "",
    not_before: datetime | None = None,
) -> bool:
    """Queue one message in the open transaction; False when its key was queued before."""
    row = _row(
        key=key,
        kind=kind,
        recipient=recipient,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        payload=payload,
        ref=ref,
        not_before=not_before,
        moment=now(),
    )
    insert = _statements(db.session)[0]
    # A row comes back only when inserted (psycopg reports no rowcount for this).
    return db.session.execute(insert, row).first() is not None


def enqueue_many(messages: list[dict]) -> None:
    """Queue many messages (each a mapping of ``enqueue``'s arguments) in one
    statement, in the open transaction; keys queued before are skipped. For a
    newsletter's thousands of mails, where one statement each held the write lock
    for a minute."""
    if not messages:
        return
    moment = now()
    rows = [_row(**message, moment=moment) for message in messages]
    db.session.execute(_statements(db.session)[1], rows)


# Built once per dialect: enqueue runs inside the transaction storing a reader's
# comment, under SQLite's single write lock, where building the statement anew each
# time (values and all) cost more than running it.
_STATEMENTS: dict[str, tuple[Any, Any]] = {}


def _statements(session) -> tuple[Any, Any]:
    """(one row, returning its id; many rows) for the session's database."""
    name = session.get_bind().dialect.name
    if name not in _STATEMENTS:
        bulk = insert_for(session, OutboxMessage.__table__).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        _STATEMENTS[name] = (bulk.returning(OutboxMessage.id), bulk)
    return _STATEMENTS[name]


def absolute(path: Callable[[], str]) -> str:
    """An absolute link for a mail: ``SITE_URL`` and the path ``path()`` builds with
    ``url_for``, in a request or in the worker (which has none)."""
    if has_request_context():
        return current_app.config["SITE_URL"] + path()
    with current_app.test_request_context():
        return current_app.config["SITE_URL"] + path()


def site_url(endpoint: str, **values) -> str:
    return absolute(lambda: url_for(endpoint, **values))
