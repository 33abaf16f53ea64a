"""A worker killed (SIGKILL) while an inbox is slow to answer loses no delivery:
after a restart every activity reaches the remote server (a real HTTP server on
127.0.0.1 checking each signature with bovine), each outbox row is sent once, and
the follower's server processes each activity exactly once.

As with mail, the one delivery that may arrive twice is the one whose request was
already on the wire when the worker died: it carries the same activity id both
times, which is what a receiving server (Mastodon, here the remote) deduplicates on."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.fediverse.keys import key_pair
from blogapp.fediverse.publishing import queue_due_posts
from blogapp.models import Follower, FollowerStatus, OutboxMessage, OutboxStatus, utcnow
from tests.factories import make_post
from tests.helpers_fediverse import Remote, Site, fediverse_site_config
from tests.helpers_mail import WorkerRun, outbox_statuses

POSTS = 12


@pytest.fixture
def app_config():
    return fediverse_site_config()


def test_a_worker_killed_mid_delivery_delivers_each_activity_exactly_once(
    app, database_url, tmp_path, ctx
):
    with Site(app, app.config["SITE_PORT"]) as site, Remote() as remote:
        key_pair()
        db.session.add(
            Follower(
                target="blog",
                actor_uri=remote.actor,
                inbox=f"{remote.base}/inbox",
                status=FollowerStatus.ACCEPTED,
                accepted_at=utcnow(),
            )
        )
        db.session.commit()
        for n in range(POSTS):
            make_post(f"Op-ed {n}", published_at=utcnow())
        assert queue_due_posts() == POSTS
        expected = {
            row.payload["activity"]["id"] for row in db.session.scalars(select(OutboxMessage))
        }
        db.session.commit()
        assert len(expected) == POSTS

        remote.inbox_delay = 0.3
        settings = dict(
            FEDIVERSE_ENABLED="true", FEDIVERSE_ALLOW_LOOPBACK="true", SITE_URL=site.url
        )
        with WorkerRun(database_url, None, tmp_path, **settings) as workers:
            workers.kill_when(lambda: len(remote.received) >= 3 and remote.waiting.is_set())
            left = outbox_statuses()
            assert left[OutboxStatus.SENDING] >= 1  # claimed by the dead worker, not recorded sent

            remote.inbox_delay = 0
            workers.finish_when(lambda: outbox_statuses()[OutboxStatus.SENT] == POSTS)

    received = Counter(activity["id"] for activity in remote.activities())
    assert set(received) == expected  # every activity arrived, each signed (bovine checked)
    assert all(signer == f"{site.url}/fediverse/actors/blog" for _, _, signer in remote.received)
    # At most the one in flight at the kill came twice, under the same id.
    assert sum(received.values()) - POSTS <= 1
    assert sorted(remote.processed) == sorted(expected)  # the remote's dedup: once each
