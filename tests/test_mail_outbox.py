"""The outbox: mail is written with what causes it and sent afterwards by the worker,
through a real SMTP server on 127.0.0.1 (aiosmtpd); a failing server means retries
with backoff, then "failed" with the last error, which an admin can retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from blogapp.mail.worker import claim, deliver_once
from blogapp.models import ROLE_ADMIN, Comment, OutboxMessage, OutboxStatus, utcnow
from tests.factories import make_comment, make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from, recognise
from tests.helpers_mail import Inbox, SMTPServer, deliver, free_port, send_comment, text_of


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    for row in rows:
        db.session.expunge(row)  # a snapshot, which reading never reloads
    db.session.commit()  # the worker starts with no transaction open, as in its own process
    return rows


def test_a_held_comment_is_queued_with_it_and_sent_by_the_worker(app, client, inbox, ctx):
    app.config.update(COMMENT_NOTIFY_EMAILS="mod@example.org, chief@example.org")
    post = make_post("Courts and confidence")

    send_comment(client, post, "The courts earned this distrust.")

    assert inbox.messages == []  # the request only wrote rows
    [comment] = db.session.scalars(select(Comment)).all()
    rows = outbox_rows()
    assert [(r.recipient, r.status, r.idempotency_key) for r in rows] == [
        ("mod@example.org", OutboxStatus.QUEUED, f"held.{comment.id}.0"),
        ("chief@example.org", OutboxStatus.QUEUED, f"held.{comment.id}.1"),
    ]
    deliver()
    assert sorted(r for rs in inbox.recipients for r in rs) == [
        "chief@example.org",
        "mod@example.org",
    ]
    message = inbox.messages[0]
    assert message["Subject"] == "[Op-Ed Notes] Comment awaiting moderation: Courts and confidence"
    assert message["Message-ID"] == f"<held.{comment.id}.0@localhost>"
    text = text_of(message)
    assert "The courts earned this distrust." in text
    assert "dara@example.org" in text
    assert "http://localhost/admin/comments?status=pending" in text
    assert [r.status for r in outbox_rows()] == [OutboxStatus.SENT, OutboxStatus.SENT]
    deliver()
    assert len(inbox.messages) == 2  # a second pass sends nothing again


def test_no_mail_for_approved_or_spam_comments(app, client, inbox, ctx):
    app.config.update(COMMENT_NOTIFY_EMAILS="mod@example.org")
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    send_comment(client, post, "Approved at once.")
    page = client.get("/").get_data(as_text=True)
    assert page
    client.post(
        f"/comments/post/{post.id}",
        headers=BROWSER_POST,
        data={
            "author_name": "Bot",
            "author_email": "bot@example.org",
            "body": "Spam",
            "homepage": "filled",
        },
    )
    assert outbox_rows() == []


def test_off_unless_both_addresses_and_server_are_set(app, client, ctx):
    app.config.update(COMMENT_NOTIFY_EMAILS="mod@example.org", MAIL_SERVER="")
    send_comment(client, make_post())
    assert outbox_rows() == []


def test_the_same_cause_queues_one_message(app, ctx):
    assert enqueue(key="held.1.0", kind="test", recipient="a@example.org", text="x")
    assert not enqueue(key="held.1.0", kind="test", recipient="a@example.org", text="x")
    db.session.commit()
    assert len(outbox_rows()) == 1
    with pytest.raises(ValueError):
        enqueue(key="has spaces<>", kind="test")


def test_a_server_that_is_down_means_retries_with_backoff_then_failed(app, client, clock, ctx):
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
        MAIL_MAX_ATTEMPTS=3,
        MAIL_RETRY_SECONDS=60,
        COMMENT_NOTIFY_EMAILS="mod@example.org",
    )
    send_comment(client, make_post())  # the reader is not kept waiting by the dead server
    db.session.commit()
    waits = []
    for _ in range(2):
        report = deliver_once()
        assert (report.sent, report.retrying) == (0, 1)
        [row] = outbox_rows()
        assert row.status == OutboxStatus.QUEUED and "ConnectionRefusedError" in row.last_error
        waits.append(row.next_attempt_at - utcnow())
        assert deliver_once().claimed == 0  # not due yet
        clock.advance(seconds=waits[-1].total_seconds() + 1)
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 2]  # doubles each time
    report = deliver_once()
    assert report.failed == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert "Connection refused" in row.last_error


def test_the_outbox_screen_shows_failed_mail_and_retries_it(app, client, login_as, inbox, ctx):
    login_as(make_user(role=ROLE_ADMIN))
    enqueue(key="t.1", kind="test", recipient="a@example.org", subject="Hello", text="x")
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage)).one()
    row.status, row.attempts, row.last_error = OutboxStatus.FAILED, 8, "SMTPDataError: (554, 'no')"
    db.session.commit()

    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Hello" in page and "SMTPDataError: (554, &#39;no&#39;)" in page
    assert client.get(f"/admin/outbox/{row.id}/retry").status_code == 405  # POST only
    response = client.post(
        f"/admin/outbox/{row.id}/retry",
        data={"csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )
    assert "is queued again" in response.get_data(as_text=True)
    assert (outbox_rows()[0].status, outbox_rows()[0].attempts) == (OutboxStatus.QUEUED, 0)
    deliver()
    assert [m["Subject"] for m in inbox.messages] == ["Hello"]
    assert client.get("/admin/outbox?status=sent").get_data(as_text=True).count("Hello") == 1
    assert client.get("/admin/outbox?status=nonsense").status_code == 404


def test_the_outbox_screen_is_for_admins(app, client, login_as, ctx):
    login_as(make_user())
    assert client.get("/admin/outbox").status_code == 403


def test_claims_never_overlap_and_a_stale_claim_is_taken_over(app, clock, ctx):
    app.config.update(MAIL_LEASE_SECONDS=300)
    for n in range(5):
        enqueue(key=f"t.{n}", kind="test", recipient="a@example.org", text="x")
    db.session.commit()
    first, rows_a = claim(3)
    second, rows_b = claim(3)
    assert len(rows_a) == 3 and len(rows_b) == 2
    assert not {r.id for r in rows_a} & {r.id for r in rows_b}
    assert claim(3)[1] == []  # all claimed, none stale
    clock.advance(seconds=301)  # the first worker died: its claims are stale
    third, rows_c = claim(10)
    assert {r.id for r in rows_c} == {r.id for r in rows_a + rows_b}
    assert {r.attempts for r in rows_c} == {2}
    assert {r.status for r in outbox_rows()} == {OutboxStatus.SENDING}


def test_flask_deliver_sends_from_the_command_line(app, runner, inbox, ctx):
    enqueue(key="t.1", kind="test", recipient="a@example.org", subject="CLI", text="x")
    db.session.commit()
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert runner.invoke(args=["deliver"]).output.strip() == "Nothing to send."
    assert [m["Subject"] for m in inbox.messages] == ["CLI"]


def test_a_message_the_server_refuses_for_good_fails_at_once(app, ctx):
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            return "550 No such user"

    with SMTPServer(Refusing()) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        enqueue(key="t.1", kind="test", recipient="gone@example.org", text="x")
        db.session.commit()
        assert deliver_once().failed == 1
    [row] = outbox_rows()
    assert row.status == OutboxStatus.FAILED and "550" in row.last_error
    assert row.next_attempt_at - row.created_at < timedelta(seconds=5)


def test_flask_deliver_refuses_to_run_without_a_mail_server(app, runner, ctx):
    app.config["MAIL_SERVER"] = ""
    enqueue(key="t.1", kind="test", recipient="a@example.org", text="x")
    db.session.commit()
    result = runner.invoke(args=["deliver"])
    assert result.exit_code == 1
    assert "BLOGAPP_MAIL_SERVER is not set" in result.output
    assert [r.status for r in outbox_rows()] == [OutboxStatus.QUEUED]  # kept for later
