"""A newsletter survives the worker's SIGKILL mid-send: after a restart every
subscriber has the post exactly once (by Message-ID), at a real SMTP server on
127.0.0.1 that answers slowly, and the post is queued once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import (
    NewsletterIssue,
    NewsletterSend,
    NewsletterStatus,
    NewsletterSubscriber,
    OutboxMessage,
    OutboxStatus,
    utcnow,
)
from tests.factories import make_post
from tests.helpers_mail import Inbox, SMTPServer, WorkerRun

SUBSCRIBERS = 12


def sent() -> int:
    count = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == "newsletter", OutboxMessage.status == OutboxStatus.SENT)
    )
    db.session.commit()  # no snapshot held while the worker writes
    return count


def test_a_worker_killed_mid_newsletter_sends_each_subscriber_the_post_once(
    app, database_url, tmp_path, ctx
):
    confirmed_at = utcnow() - timedelta(hours=1)
    for n in range(SUBSCRIBERS):
        db.session.add(
            NewsletterSubscriber(
                email=f"reader{n}@example.org",
                lists="en",
                status=NewsletterStatus.CONFIRMED,
                created_at=confirmed_at,
                confirmed_at=confirmed_at,
            )
        )
    post = make_post("Once each", published_at=utcnow() - timedelta(minutes=1))
    handler = Inbox(delay=0.3)
    with SMTPServer(handler) as server, WorkerRun(database_url, server.port, tmp_path) as workers:
        workers.kill_when(lambda: len(handler.messages) >= 3 and handler.waiting_for_mail.is_set())
        assert sent() == len(handler.messages) < SUBSCRIBERS

        handler.delay = 0
        workers.finish_when(lambda: sent() == SUBSCRIBERS)

    ids = Counter(handler.message_ids())
    subscriber_ids = db.session.scalars(select(NewsletterSubscriber.id)).all()
    assert sorted(ids) == sorted(f"<newsletter.{post.id}.{s}@localhost>" for s in subscriber_ids)
    assert set(ids.values()) == {1}  # each subscriber's mail received exactly once
    received_by = sorted(address for rcpt_tos in handler.recipients for address in rcpt_tos)
    assert received_by == sorted(f"reader{n}@example.org" for n in range(SUBSCRIBERS))
    assert db.session.scalar(select(func.count()).select_from(NewsletterIssue)) == 1
    assert db.session.scalar(select(func.count()).select_from(NewsletterSend)) == SUBSCRIBERS
