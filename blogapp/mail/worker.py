"""``flask deliver``: claim due messages, send them, record what happened.

A claim is a conditional UPDATE (``status`` to sending, ``claimed_by`` to this batch)
in a short write transaction: on SQLite under its single write lock (BEGIN
IMMEDIATE), on PostgreSQL after ``SELECT … FOR UPDATE SKIP LOCKED``, so several
workers drain one outbox and no row is claimed twice. Each message is marked sent
in its own commit right after the server accepted it, before the next one starts.

A worker killed mid-batch leaves its rows "sending"; once the claim is older than
``MAIL_LEASE_SECONDS`` another pass claims them again. The only message that can
go out twice is the one the server accepted in the instant before the kill, and
that one carries the same Message-ID both times.

A failed send is retried after ``MAIL_RETRY_SECONDS``, doubling each time, until
``MAIL_MAX_ATTEMPTS``; then it is marked failed with the last error kept. A
newsletter mail the server refuses for good (5xx) also marks its address bouncing.

The worker knows no feature: each one registers its kinds, their handlers and their
lane, and the steps each pass of a lane runs first (``blogapp.registry``): the
newsletter queues the posts that became public since the last pass and forgets the
sign-ups never confirmed; the fediverse queues what followers are to hear about posts.

A row's kind chooses its transport: a registered ``send`` (an ActivityPub delivery, a
signed POST) or, for every other kind, SMTP. Claims, retries and giving up are the
same for all.

Mail and deliveries go in lanes (the registry's ``lanes``: mail, and each lane a
feature names) that never share a pass: each claims only its own kinds (the mail
lane, every kind no other lane claims), and ``flask deliver`` runs each lane in a
thread of its own (or one of them, with ``--only``). A follower whose inbox answers slowly holds
the deliveries' lane, for at most ``FEDIVERSE_TIMEOUT`` a delivery, while password
resets and every other mail go out in theirs."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from blinker import Namespace
from flask import current_app
from sqlalchemy import and_, or_, select, true, update

from blogapp.clock import now
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.mail import heartbeat, signing
from blogapp.models import OutboxMessage, OutboxStatus
from blogapp.registry import MAIL, OutboxHandler, registry

log = logging.getLogger(__name__)
# Sent after each pass of a lane, with ``lane`` and its ``report``: ``blogapp.metrics``
# counts deliveries from it, so the worker imports no feature.
lane_pass_done = Namespace().signal("lane-pass-done")


def lanes() -> tuple[str, ...]:
    return registry().lanes


def _kind(row: OutboxMessage) -> OutboxHandler:
    """How ``row`` is handled: as its feature registered it, else as plain mail."""
    return registry().kinds.get(row.kind) or OutboxHandler(row.kind)


def _in_lane(lane: str | None):
    """The rows a lane sends: the kinds registered in it, or for the mail lane every
    kind no other lane claims."""
    if lane is None:
        return true()
    if lane != MAIL:
        return OutboxMessage.kind.in_(registry().kinds_in(lane))
    elsewhere = tuple(name for name, kind in registry().kinds.items() if kind.lane != MAIL)
    return ~OutboxMessage.kind.in_(elsewhere) if elsewhere else true()


@dataclass
class Report:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)


def _due(moment, lease: timedelta):
    table = OutboxMessage
    return or_(
        and_(table.status == OutboxStatus.QUEUED, table.next_attempt_at <= moment),
        and_(table.status == OutboxStatus.SENDING, table.claimed_at < moment - lease),
    )


def claim(limit: int, lane: str | None = None) -> tuple[str, list[OutboxMessage]]:
    """Claim up to ``limit`` due messages (of ``lane``'s kinds, or any) for one
    batch; returns its name and the rows."""
    config = current_app.config
    lease = timedelta(seconds=float(config["MAIL_LEASE_SECONDS"]))
    claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]
    moment = now()

    def take() -> list[int]:
        # A claim that keeps dying with its worker (a message that crashes it) ends here.
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_at < moment - lease,
                OutboxMessage.attempts >= int(config["MAIL_MAX_ATTEMPTS"]),
                _in_lane(lane),
            )
            .values(
                status=OutboxStatus.FAILED,
                last_error="The worker sending it stopped before finishing, every try.",
            )
            .execution_options(synchronize_session=False)
        )
        due = (
            select(OutboxMessage.id)
            .where(_due(moment, lease), _in_lane(lane))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(due))
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), _due(moment, lease))
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_by=claimant,
                    claimed_at=moment,
                    attempts=OutboxMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
        return ids

    ids = commit_write(take)
    if not ids:
        return claimant, []
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.claimed_by == claimant, OutboxMessage.status == OutboxStatus.SENDING)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    ).all()
    # Detached as loaded: sending must not open a transaction (outside a request each
    # one takes SQLite's write lock) to reload what a commit would expire.
    for row in rows:
        db.session.expunge(row)
    db.session.commit()
    return claimant, list(rows)


def _finish(row: OutboxMessage, claimant: str, **values) -> None:
    """Record the outcome, only while the claim is still ours (a worker whose lease
    ran out must not overwrite the one that took the message over)."""

    def record() -> None:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.claimed_by == claimant,
                OutboxMessage.status == OutboxStatus.SENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    commit_write(record)


def _retry_delay(attempts: int, error: Exception | None = None) -> timedelta:
    """Doubling from ``MAIL_RETRY_SECONDS``, or what the other server asked for: an
    error may carry ``retry_after`` seconds (Telegram's 429 says how long to wait)."""
    config = current_app.config
    asked = getattr(error, "retry_after", None)
    if asked:
        return timedelta(seconds=float(asked))
    seconds = float(config["MAIL_RETRY_SECONDS"]) * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, float(config["MAIL_RETRY_MAX_SECONDS"])))


def _failed(row: OutboxMessage, claimant: str, error: Exception, report: Report) -> None:
    from blogapp.mail import smtp  # smtplib and email.policy: a megabyte web workers never use

    text = f"{type(error).__name__}: {error}"[:2000]
    report.errors.append(f"#{row.id} {text}")
    kind = _kind(row)
    permanent = kind.is_permanent if kind.send else smtp.is_permanent
    if permanent(error) or row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        _finish(row, claimant, status=OutboxStatus.FAILED, last_error=text)
        report.failed += 1
        if kind.refused and not kind.send and smtp.is_hard_refusal(error):
            kind.refused(row.recipient)
        log.warning("outbox #%s failed for good after %s tries: %s", row.id, row.attempts, text)
    else:
        _finish(
            row,
            claimant,
            status=OutboxStatus.QUEUED,
            last_error=text,
            claimed_by="",
            next_attempt_at=now() + _retry_delay(row.attempts, error),
        )
        report.retrying += 1


def _compose(row: OutboxMessage, claimant: str, report: Report) -> bool:
    """Write the text of a message composed at sending time; False when it is not
    to be sent now (cancelled, or put back until the time its composer gave)."""
    composer = _kind(row).compose
    if composer is None or row.body_text:
        return True  # written when queued, or composed by an earlier, interrupted try

    def compose_now() -> bool:
        db.session.add(row)
        ready = composer(row)
        if ready is False:
            row.status, row.last_error = OutboxStatus.CANCELLED, "Nothing left to send."
            report.cancelled += 1
        elif isinstance(ready, datetime):  # not a failed try: back in the queue
            row.status, row.next_attempt_at, row.claimed_by = OutboxStatus.QUEUED, ready, ""
            row.attempts -= 1
            report.postponed += 1
        db.session.flush()
        db.session.expunge(row)  # keeps what was written, as claim() keeps its rows
        return ready is True

    return commit_write(compose_now)


def deliver_once(limit: int | None = None, lane: str | None = None) -> Report:
    """One batch of ``lane`` (or of both, mail first): claim, send over one
    connection, record each outcome."""
    if lane is None:
        return _merged([deliver_once(limit, each) for each in lanes()])
    from blogapp.mail import smtp  # smtplib and email.policy: a megabyte web workers never use

    config = current_app.config
    for step in registry().steps_of(lane):
        step()
    claimant, rows = claim(int(limit or config["MAIL_BATCH_SIZE"]), lane)
    report = Report(claimed=len(rows))
    connection = smtp.Connection(config)
    try:
        for row in rows:
            try:
                if not _compose(row, claimant, report):
                    continue
                send = _kind(row).send
                if send is not None:
                    send(row)
                else:
                    connection.send(signing.signed(smtp.build(row, config["MAIL_FROM"])))
            except Exception as error:  # noqa: BLE001 (any failure is recorded and retried)
                db.session.rollback()
                _failed(row, claimant, error, report)
            else:
                _finish(row, claimant, status=OutboxStatus.SENT, sent_at=now(), last_error="")
                report.sent += 1
    finally:
        connection.close()
    heartbeat.beat(lane)
    lane_pass_done.send(current_app._get_current_object(), lane=lane, report=report)
    return report


def _merged(reports: list[Report]) -> Report:
    merged = Report()
    for report in reports:
        for name in ("claimed", "sent", "retrying", "failed", "cancelled", "postponed"):
            setattr(merged, name, getattr(merged, name) + getattr(report, name))
        merged.errors += report.errors
    return merged


def _in_threads(lanes: tuple[str, ...], work: Callable[[str], None]) -> None:
    """``work(lane)`` for each lane at once, each in a thread with an app context of
    its own (its own database session); the first error is raised once all end."""
    app = current_app._get_current_object()
    errors: list[BaseException] = []

    def run(lane: str) -> None:
        try:
            with app.app_context():
                work(lane)
        except BaseException as error:  # noqa: BLE001 (raised again in the caller)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(lane,), name=f"deliver-{lane}") for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def deliver_lanes_once(only: tuple[str, ...] | None = None, limit: int | None = None) -> Report:
    """One batch of each lane (or of those ``only`` names), the lanes side by side
    (``flask deliver``)."""
    reports: list[Report] = []
    _in_threads(only or lanes(), lambda lane: reports.append(deliver_once(limit, lane)))
    return _merged(reports)


def deliver_loop(
    echo: Callable[[str], None], poll: float | None = None, only: tuple[str, ...] | None = None
) -> None:
    """Batches of each lane, side by side, until SIGTERM or SIGINT, each lane
    pausing ``MAIL_POLL_SECONDS`` when it has nothing to send. A stop asked for
    mid-batch waits for the batch to end."""
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    pause = float(poll if poll is not None else current_app.config["MAIL_POLL_SECONDS"])

    def loop(lane: str) -> None:
        try:
            while not stopping.is_set():
                report = deliver_once(lane=lane)
                if report.claimed:
                    echo(f"{lane}: {summary(report)}")
                else:
                    stopping.wait(pause)
        finally:
            stopping.set()  # a lane that failed stops the worker, to be restarted whole

    try:
        _in_threads(only or lanes(), loop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def summary(report: Report) -> str:
    return (
        f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed, "
        f"{report.cancelled} cancelled"
    )


def retry(message_id: int) -> bool:
    """An admin sends a failed message again: queued now, with a fresh set of tries
    (commits; in the admin's POST, whose transaction may write)."""
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now(), claimed_by="")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(changed)
