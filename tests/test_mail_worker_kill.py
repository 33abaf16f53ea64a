"""The worker killed mid-batch (SIGKILL, no chance to clean up) loses nothing and
sends nothing twice: after a restart every message arrives exactly once, by
Message-ID, at a real SMTP server on 127.0.0.1 that answers slowly."""

from __future__ import annotations

from collections import Counter

from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from blogapp.models import OutboxStatus
from tests.helpers_mail import Inbox, SMTPServer, WorkerRun, outbox_statuses

MESSAGES = 12


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
    with SMTPServer(handler) as server, WorkerRun(database_url, server.port, tmp_path) as workers:
        # Three delivered, and the worker waits on the fourth message of its first
        # batch of five: its earlier ones are recorded as sent, the rest claimed.
        workers.kill_when(lambda: len(handler.messages) >= 3 and handler.waiting_for_mail.is_set())
        received_before = len(handler.messages)
        left = outbox_statuses()
        assert left[OutboxStatus.SENDING] >= 1  # claimed by the dead worker, not sent
        assert left[OutboxStatus.SENT] == received_before

        # A new worker treats claims older than its lease as a dead worker's.
        handler.delay = 0
        workers.finish_when(lambda: outbox_statuses()[OutboxStatus.SENT] == MESSAGES)

    ids = Counter(handler.message_ids())
    assert sorted(ids) == sorted(f"<kill-test.{n}@localhost>" for n in range(MESSAGES))
    assert set(ids.values()) == {1}  # each Message-ID received exactly once
