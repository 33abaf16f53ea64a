"""How long the outbox keeps a message, and a reader's erasure in it.

A message holds what it says: a held-comment mail, the commenter's name, address, IP
and words; a digest, the words of the replies it quotes. A message waiting to be sent
stays; once sent, failed or cancelled it is kept ``MAIL_KEEP_DAYS`` (for the admin's
Outbox screen and a retry), never longer than comments keep an IP address, and then
``flask prune`` deletes it. An erasure deletes at once every message to the reader's
address and every message about one of their comments, whatever its state."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from blogapp.clock import now
from blogapp.extensions import db
from blogapp.models import OutboxMessage, OutboxStatus, ReplyNotice
from blogapp.reader_data import Reader

FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED)


def keep_days() -> int:
    days = max(0, int(current_app.config["MAIL_KEEP_DAYS"]))
    ip_days = max(0, int(current_app.config["COMMENT_IP_RETENTION_DAYS"]))
    return min(days, ip_days) if ip_days > 0 else days


def _delete(ids: list[int]) -> int:
    if not ids:
        return 0
    # A reply notice names the digest that told it; with the digest gone it would look
    # untold and go out again in the next one. Told, it has nothing left to do.
    db.session.execute(
        delete(ReplyNotice)
        .where(ReplyNotice.outbox_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .execution_options(synchronize_session=False)
    ).rowcount


def erase_reader(reader: Reader) -> int:
    """Delete the mails to ``reader`` and about their comments (the held-comment mails,
    the digests that quoted them), in the open transaction; how many."""
    quoted = select(ReplyNotice.outbox_id).where(
        ReplyNotice.comment_id.in_(reader.comment_ids), ReplyNotice.outbox_id.is_not(None)
    )
    ids = db.session.scalars(
        select(OutboxMessage.id).where(
            or_(
                func.lower(OutboxMessage.recipient) == reader.email,
                OutboxMessage.ref.in_(reader.comment_refs),
                OutboxMessage.id.in_(quoted),
            )
        )
    ).all()
    return _delete(list(ids))


def prune() -> int:
    """Delete messages sent, failed or cancelled more than ``keep_days()`` ago; how
    many. Commits."""
    cutoff = now() - timedelta(days=keep_days())
    ids = db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.status.in_(FINISHED),
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
        )
    ).all()
    deleted = _delete(list(ids))
    db.session.commit()
    return deleted
