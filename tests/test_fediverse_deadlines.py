"""Other servers cannot hold the blog: every request to one has a total deadline, a
server answering one byte at a time included (tests/helpers_fediverse.py's
``Trickle``); key fetches in the inbox are few per worker and per host, so readers
keep the rest of the threads; and deliveries never make mail wait."""

from __future__ import annotations

import signal
import threading
import time
from email.utils import formatdate

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.fediverse import net
from blogapp.fediverse.keys import key_pair
from blogapp.fediverse.publishing import delivery
from blogapp.mail.outbox import enqueue
from blogapp.mail.worker import deliver_once
from blogapp.models import OutboxMessage, OutboxStatus
from tests.helpers_fediverse import Remote, Site, Trickle, fediverse_site_config
from tests.helpers_mail import Inbox, SMTPServer, start_worker, wait_until
from tests.servers import fetch, start_gunicorn


@pytest.fixture
def app_config():
    return fediverse_site_config()


@pytest.mark.parametrize("headers_first", [True, False], ids=["body", "status line"])
def test_a_trickling_answer_is_cut_off_at_the_deadline(app, ctx, headers_first):
    app.config["FEDIVERSE_TIMEOUT"] = 0.5
    # Two seconds of trickle: a limit on each read alone would wait it out and succeed.
    with Trickle(interval=0.05, headers_first=headers_first, length=40) as trickle:
        for method in ("GET", "POST"):
            started = time.monotonic()
            with pytest.raises(net.FetchError, match="timed out"):
                net.request(method, f"{trickle.base}/users/slow", {}, b"{}")
            assert time.monotonic() - started < 1.5


def test_the_deadline_covers_every_redirect(app, ctx):
    app.config["FEDIVERSE_TIMEOUT"] = 0.5
    with Remote() as remote, Trickle(interval=0.05, length=40) as trickle:
        started = time.monotonic()
        with pytest.raises(net.FetchError, match="timed out"):
            net.get(f"{remote.base}/redirect-to?url={trickle.base}/users/slow")
        assert time.monotonic() - started < 1.5


def test_a_delivery_to_a_trickling_inbox_gives_up_at_its_deadline(app, ctx):
    app.config["FEDIVERSE_TIMEOUT"] = 0.5
    with Trickle(interval=0.05, length=40) as trickle:
        queue_delivery(f"{trickle.base}/inbox")
        started = time.monotonic()
        report = deliver_once()
        assert time.monotonic() - started < 2
    assert report.retrying == 1 and report.sent == 0
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.QUEUED and "timed out" in row.last_error


def like_signed_by(sender: Remote, site: Site, key_server: Trickle, name: str) -> int:
    """A Like signed with a key id on ``key_server``; the inbox's answer."""
    actor = f"{key_server.base}/users/{name}"
    activity = {"id": f"{actor}#like", "type": "Like", "actor": actor, "object": "x"}
    return sender.signed_post(f"{site.url}/fediverse/inbox", activity, key_id=f"{actor}#main-key")[
        0
    ]


def test_key_fetches_are_capped_per_worker_and_per_host(app, ctx):
    """Here the worker is this process, serving the inbox on werkzeug's threads."""
    app.config["FEDIVERSE_KEY_FETCHES_PER_WORKER"] = 2
    db.session.commit()  # the test holds no transaction while the site serves
    with (
        Site(app, app.config["SITE_PORT"]) as site,
        Remote() as sender,
        Trickle() as first,
        Trickle() as second,
        Trickle() as third,
    ):
        answers: dict[str, int] = {}

        def like_in_background(name: str, key_server: Trickle) -> threading.Thread:
            thread = threading.Thread(
                target=lambda: answers.update(
                    {name: like_signed_by(sender, site, key_server, name)}
                )
            )
            thread.start()
            return thread

        fetching = [like_in_background("a", first)]
        wait_until(lambda: first.connections == 1)
        started = time.monotonic()
        assert like_signed_by(sender, site, first, "b") == 503  # that host: one at a time
        fetching.append(like_in_background("c", second))
        wait_until(lambda: second.connections == 1)
        assert like_signed_by(sender, site, third, "d") == 503  # this worker: two at a time
        assert time.monotonic() - started < 1  # refused at once, not after a wait
        assert third.connections == 0
        for trickle in (first, second):
            trickle.stopping.set()  # the fetches fail: their senders get 401
        for thread in fetching:
            thread.join(timeout=10)
    assert answers == {"a": 401, "c": 401}


def queue_delivery(inbox: str) -> None:
    key_pair()
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://localhost/fediverse/actors/blog#accepts/1",
        "type": "Accept",
        "actor": "http://localhost/fediverse/actors/blog",
        "object": "x",
    }
    enqueue(**delivery(activity, "blog", inbox, "follower:1"))
    db.session.commit()


def test_mail_is_not_held_up_by_a_follower_whose_inbox_trickles(app, database_url, tmp_path, ctx):
    """``flask deliver --loop`` sends a password reset while a delivery to a trickling
    inbox is still on the wire (its deadline, a minute here, far from over)."""
    handler = Inbox()
    with SMTPServer(handler) as smtp, Trickle(interval=0.1) as trickle:
        queue_delivery(f"{trickle.base}/inbox")
        log_path = tmp_path / "worker.log"
        with open(log_path, "wb") as log:
            worker = start_worker(
                database_url,
                smtp.port,
                tmp_path,
                log,
                FEDIVERSE_ALLOW_LOOPBACK="true",
                FEDIVERSE_TIMEOUT="60",
            )
            try:
                wait_until(
                    lambda: trickle.connections == 1, describe=lambda: log_path.read_text()[-2000:]
                )
                enqueue(
                    key="password-reset.1.abc",
                    kind="password-reset",
                    recipient="writer@example.org",
                    subject="Reset your password",
                    text="Open this link to choose a new password.",
                )
                db.session.commit()
                wait_until(
                    lambda: len(handler.messages) == 1,
                    timeout=10,
                    describe=lambda: log_path.read_text()[-2000:],
                )
                assert handler.messages[0]["Subject"] == "Reset your password"
                # The worker records the mail sent just after the server accepted it.
                wait_until(
                    lambda: (
                        statuses()
                        == {
                            "activitypub": OutboxStatus.SENDING,
                            "password-reset": OutboxStatus.SENT,
                        }
                    ),
                    timeout=10,
                    describe=statuses,
                )
            finally:
                trickle.stopping.set()  # the delivery fails now, and its lane can stop
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                finally:
                    if worker.poll() is None:
                        worker.kill()
        assert worker.returncode == 0, log_path.read_text()[-2000:]


def statuses() -> dict[str, str]:
    found = dict(db.session.execute(select(OutboxMessage.kind, OutboxMessage.status)).all())
    db.session.commit()  # no snapshot (nor, outside a request, the write lock) held
    return found


@pytest.mark.slow
def test_twelve_trickling_key_fetches_leave_readers_served_and_mail_sent(
    app, database_url, tmp_path, ctx
):
    """The red team's run: twelve signed POSTs whose key ids point at a server that
    trickles, against one gunicorn worker of four threads (as deployed, per worker),
    while ``flask deliver --loop`` is stuck on a follower whose inbox trickles too.
    A reader is answered within a second, and a password reset is delivered."""
    handler = Inbox()
    with (
        Trickle(interval=0.2) as keys,
        Trickle(interval=0.2) as follower,
        Remote() as sender,
        SMTPServer(handler) as smtp,
    ):
        queue_delivery(f"{follower.base}/inbox")
        db.session.remove()  # the servers below share the database: hold nothing
        server = start_gunicorn(
            database_url,
            tmp_path / "instance",
            BLOGAPP_WORKERS="1",
            BLOGAPP_THREADS="4",
            BLOGAPP_FEDIVERSE_ENABLED="true",
            BLOGAPP_FEDIVERSE_ALLOW_LOOPBACK="true",
            BLOGAPP_FEDIVERSE_KEY_FETCH_TIMEOUT="2",
        )
        log_path = tmp_path / "worker.log"
        with open(log_path, "wb") as log:
            worker = start_worker(
                database_url,
                smtp.port,
                tmp_path,
                log,
                FEDIVERSE_ALLOW_LOOPBACK="true",
                FEDIVERSE_TIMEOUT="60",
            )
        try:
            wait_until(
                lambda: follower.connections == 1, describe=lambda: log_path.read_text()[-2000:]
            )
            answers: list[tuple[int | None, float]] = []

            def post(n: int) -> None:
                started = time.monotonic()
                actor = f"{keys.base}/users/u{n}"
                activity = {"id": f"{actor}#like", "type": "Like", "actor": actor, "object": "x"}
                try:
                    status, _ = sender.signed_post(
                        f"{server.url}/fediverse/inbox",
                        activity,
                        key_id=f"{actor}#main-key",
                        date=formatdate(usegmt=True),
                    )
                except OSError:  # not answered in 20 s
                    status = None
                answers.append((status, time.monotonic() - started))

            posts = [threading.Thread(target=post, args=(n,)) for n in range(12)]
            for thread in posts:
                thread.start()
            wait_until(lambda: keys.connections >= 1, timeout=10)
            started = time.monotonic()
            page = fetch(server.port, "/", timeout=1.0)
            assert page.status == 200 and time.monotonic() - started < 1.0
            enqueue(
                key="password-reset.1.abc",
                kind="password-reset",
                recipient="writer@example.org",
                subject="Reset your password",
                text="Open this link to choose a new password.",
            )
            db.session.commit()
            wait_until(
                lambda: len(handler.messages) == 1,
                timeout=10,
                describe=lambda: log_path.read_text()[-2000:],
            )
            for thread in posts:
                thread.join(timeout=30)
            statuses = sorted(status for status, _ in answers)
            assert len(statuses) == 12 and set(statuses) <= {401, 503}, statuses
            assert statuses.count(503) >= 10
            assert all(took < 4 for _, took in answers), answers
        finally:
            keys.stopping.set()
            follower.stopping.set()  # its delivery fails now, and the worker can stop
            server.stop()
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            finally:
                if worker.poll() is None:
                    worker.kill()


def test_each_lane_can_run_on_its_own(app, runner, inbox, ctx):
    """``flask deliver --only mail`` leaves deliveries queued; ``--only fediverse``
    sends them and no mail."""
    db.session.commit()  # the test holds no transaction while the site serves
    with Site(app, app.config["SITE_PORT"]), Remote() as remote:  # it checks our signature
        queue_delivery(f"{remote.base}/inbox")
        enqueue(
            key="password-reset.2.abc",
            kind="password-reset",
            recipient="writer@example.org",
            subject="Reset your password",
            text="Open this link to choose a new password.",
        )
        db.session.commit()
        result = runner.invoke(args=["deliver", "--only", "mail"])
        assert result.exit_code == 0 and "1 sent" in result.output, result.output
        assert len(inbox.messages) == 1 and statuses()["activitypub"] == OutboxStatus.QUEUED
        result = runner.invoke(args=["deliver", "--only", "fediverse"])
        assert result.exit_code == 0 and "1 sent" in result.output, result.output
        assert [a["type"] for a in remote.activities()] == ["Accept"]
        assert len(inbox.messages) == 1
