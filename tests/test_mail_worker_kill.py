"""The worker killed mid-batch (SIGKILL, no chance to clean up) loses nothing and
sends nothing twice: after a restart every message arrives exactly once, by
Message-ID, at a real SMTP server on 127.0.0.1 that answers slowly."""

from __future__ import annotations

import signal
from collections import Counter

from sqlalchemy import select

from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from blogapp.models import OutboxMessage, OutboxStatus
from tests.helpers_mail import Inbox, SMTPServer, start_worker, wait_until

MESSAGES = 12


def statuses() -> Counter:
    found = Counter(db.session.scalars(select(OutboxMessage.status)))
    db.session.commit()  # no snapshot held while the worker writes
    return found


def test_a_worker_killed_mid_batch_sends_every_message_exactly_once(
    app, database_url, tmp_path, ctx
):
    for n in range(MESSAGES):
        enqueue(
            key=f"kill-test.{n}",
            kind="test",
            recipient=f"reader{n}@example.org",
            subject=f"Message {n}",
            text="Hello.",
        )
    db.session.commit()
    handler = Inbox(delay=0.3)
    log_path = tmp_path / "worker.log"
    with SMTPServer(handler) as server, open(log_path, "wb") as log:
        first = start_worker(database_url, server.port, tmp_path, log)
        try:
            # Three delivered, and the worker waits on the fourth message of its first
            # batch of five: its earlier ones are recorded as sent, the rest claimed.
            wait_until(
                lambda: len(handler.messages) >= 3 and handler.waiting_for_mail.is_set(),
                describe=lambda: log_path.read_text()[-2000:],
            )
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL
        received_before = len(handler.messages)
        left = statuses()
        assert left[OutboxStatus.SENDING] >= 1  # claimed by the dead worker, not sent
        assert left[OutboxStatus.SENT] == received_before

        # A new worker treats claims older than its lease as a dead worker's. With a
        # lease of 0 it takes them over at once, so the test waits for no clock.
        handler.delay = 0
        second = start_worker(database_url, server.port, tmp_path, log, MAIL_LEASE_SECONDS=0)
        try:
            wait_until(lambda: statuses()[OutboxStatus.SENT] == MESSAGES)
            second.send_signal(signal.SIGTERM)  # asks it to finish its batch and stop
            second.wait(timeout=20)
        finally:
            if second.poll() is None:
                second.kill()
        assert second.returncode == 0, log_path.read_text()[-2000:]

    ids = Counter(handler.message_ids())
    assert sorted(ids) == sorted(f"<kill-test.{n}@localhost>" for n in range(MESSAGES))
    assert set(ids.values()) == {1}  # each Message-ID received exactly once
