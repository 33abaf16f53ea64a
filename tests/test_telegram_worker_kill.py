"""A worker killed (SIGKILL) while the Bot API is slow to answer loses no channel post
and repeats none it had recorded: after a restart every post is in the channel, each
outbox row is sent once, and each post's message id is stored once.

As with mail and the fediverse, the one post that may reach the channel twice is the
one whose ``sendPhoto`` was on the wire when the worker died: the Bot API has no
idempotency key to tell it the second one is the same."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import OutboxStatus, TelegramMessage, utcnow
from tests.factories import make_post
from tests.helpers_mail import WorkerRun, outbox_statuses
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
    return outbox_statuses("telegram")


def test_a_worker_killed_mid_send_posts_each_post_once(app, database_url, tmp_path, ctx, bot):
    posts = [make_post(f"Op-ed {n}", published_at=utcnow()) for n in range(POSTS)]
    assert statuses()[OutboxStatus.QUEUED] == POSTS  # queued with each publish

    bot.delay = 0.3
    settings = dict(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_CHANNEL=CHANNEL,
        TELEGRAM_API_URL=bot.url,
        FEDIVERSE_ALLOW_LOOPBACK="true",
    )
    with WorkerRun(database_url, None, tmp_path, **settings) as workers:
        workers.kill_when(lambda: len(bot.calls) >= 2 and bot.waiting.is_set())
        assert statuses()[OutboxStatus.SENDING] >= 1  # claimed by the dead worker

        bot.delay = 0
        workers.finish_when(lambda: statuses()[OutboxStatus.SENT] == POSTS)

    sent = Counter(
        call.fields["caption"].split("</b>")[0] for call in bot.calls if call.method == "sendPhoto"
    )
    assert set(sent) == {f"<b>{post.title}" for post in posts}  # every post, as its card
    assert sum(sent.values()) - POSTS <= 1  # at most the one on the wire at the kill, twice
    assert db.session.scalar(select(func.count()).select_from(TelegramMessage)) == POSTS
    assert statuses() == Counter({OutboxStatus.SENT: POSTS})
