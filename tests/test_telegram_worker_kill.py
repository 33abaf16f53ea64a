"""A worker killed (SIGKILL) while the Bot API is slow to answer loses no channel post
and repeats none it had recorded: after a restart every post is in the channel, each
outbox row is sent once, and each post's message id is stored once.

As with mail and the fediverse, the one post that may reach the channel twice is the
one whose ``sendPhoto`` was on the wire when the worker died: the Bot API has no
idempotency key to tell it the second one is the same."""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import OutboxMessage, OutboxStatus, TelegramMessage, utcnow
from tests.factories import make_post
from tests.helpers_mail import free_port, start_worker, wait_until
from tests.helpers_telegram import CHANNEL, TOKEN, BotAPI

POSTS = 6


@pytest.fixture
def bot():
    with BotAPI() as api:
        yield api


@pytest.fixture
def app_config(bot):
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHANNEL": CHANNEL, "TELEGRAM_API_URL": bot.url}


def statuses() -> Counter:
    found = Counter(
        db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == "telegram"))
    )
    db.session.commit()  # no snapshot (nor, outside a request, the write lock) held
    return found


def test_a_worker_killed_mid_send_posts_each_post_once(app, database_url, tmp_path, ctx, bot):
    posts = [make_post(f"Op-ed {n}", published_at=utcnow()) for n in range(POSTS)]
    assert statuses()[OutboxStatus.QUEUED] == POSTS  # queued with each publish

    bot.delay = 0.3
    log_path = tmp_path / "worker.log"
    settings = dict(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHANNEL=CHANNEL,
        TELEGRAM_API_URL=bot.url,
        FEDIVERSE_ALLOW_LOOPBACK="true",
    )
    with open(log_path, "wb") as log:
        first = start_worker(database_url, free_port(), tmp_path, log, **settings)
        try:
            wait_until(
                lambda: len(bot.calls) >= 2 and bot.waiting.is_set(),
                describe=lambda: log_path.read_text()[-2000:],
            )
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL
        assert statuses()[OutboxStatus.SENDING] >= 1  # claimed by the dead worker

        bot.delay = 0
        second = start_worker(
            database_url, free_port(), tmp_path, log, MAIL_LEASE_SECONDS=0, **settings
        )
        try:
            wait_until(
                lambda: statuses()[OutboxStatus.SENT] == POSTS,
                describe=lambda: log_path.read_text()[-2000:],
            )
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=20)
        finally:
            if second.poll() is None:
                second.kill()
        assert second.returncode == 0, log_path.read_text()[-2000:]

    sent = Counter(
        call.fields["caption"].split("</b>")[0] for call in bot.calls if call.method == "sendPhoto"
    )
    assert set(sent) == {f"<b>{post.title}" for post in posts}  # every post, as its card
    assert sum(sent.values()) - POSTS <= 1  # at most the one on the wire at the kill, twice
    assert db.session.scalar(select(func.count()).select_from(TelegramMessage)) == POSTS
    assert statuses() == Counter({OutboxStatus.SENT: POSTS})
