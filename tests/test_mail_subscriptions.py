"""Reply notifications for readers without accounts, through a real SMTP server:
double opt-in, mail only for approved replies and never for one's own, one digest
per interval, RFC 8058 one-click unsubscribe, and the "your subscriptions" page."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from blogapp.comments import services
from blogapp.extensions import db
from blogapp.models import (
    Comment,
    CommentStatus,
    MailSubscriber,
    MailSubscription,
    OutboxMessage,
    OutboxStatus,
    utcnow,
)
from blogapp.permalinks import post_url
from tests.factories import make_post, make_user
from tests.helpers import csrf_token_from
from tests.helpers_mail import (
    Inbox,
    SMTPServer,
    deliver,
    links_in,
    path_of,
    send_comment,
    text_of,
)

READER = "dara@example.org"


@pytest.fixture
def inbox(app, clock, ctx):
    handler = Inbox()
    with SMTPServer(handler) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        yield handler


@pytest.fixture
def moderator(app, ctx):
    return make_user("mod", display_name="Moderator Sok", email="mod@example.org")


def last_comment() -> Comment:
    comment = db.session.scalars(select(Comment).order_by(Comment.id.desc()).limit(1)).one()
    db.session.commit()
    return comment


def approve(comment_id: int, moderator) -> None:
    comment = db.session.get(Comment, comment_id)
    assert services.approve(comment, moderator)


def link(mail, part: str) -> str:
    [url] = [u for u in links_in(mail) if f"/mail/{part}/" in u]
    return path_of(url)


def confirmed_reader(client, post, moderator, inbox, **ticks) -> Comment:
    """A reader comments with a box ticked, is approved, and confirms from the mail."""
    send_comment(client, post, "First!", email=READER, **({"replies": True} | ticks))
    comment = last_comment()
    approve(comment.id, moderator)
    deliver()
    [mail] = inbox.to(READER)
    assert client.post(link(mail, "confirm")).status_code == 200
    inbox.messages.clear(), inbox.recipients.clear()
    return comment


def test_the_form_offers_two_unticked_boxes(app, client, inbox, ctx):
    post = make_post()
    with app.test_request_context():
        url = post_url(post)
    html = client.get(url).get_data(as_text=True)
    assert "E-mail me when someone replies to this comment" in html
    assert "E-mail me new comments on this post" in html
    form = html.split('id="commentform"')[1].split("</form>")[0]
    assert 'name="notify_replies" type="checkbox" value="y">' in form
    assert 'name="notify_post" type="checkbox" value="y">' in form
    assert "checked" not in form


def test_no_boxes_on_a_site_that_sends_no_mail(app, client, ctx):
    app.config["MAIL_SERVER"] = ""
    post = make_post()
    with app.test_request_context():
        url = post_url(post)
    assert "E-mail me" not in client.get(url).get_data(as_text=True)


def test_double_opt_in_happens_once_and_only_after_approval(app, client, inbox, moderator, ctx):
    post = make_post("Fisheries")
    send_comment(client, post, "Held first.", email=READER, replies=True)
    comment = last_comment()
    deliver()
    assert inbox.to(READER) == []  # a held comment mails its author nothing (no spam relay)

    approve(comment.id, moderator)
    deliver()
    [mail] = inbox.to(READER)
    assert mail["Subject"] == "[Op-Ed Notes] Confirm your e-mail notifications"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/mail/subscriptions/" in text_of(mail)

    confirm = link(mail, "confirm")
    page = client.get(confirm)
    assert page.status_code == 200 and "Confirm my address" in page.get_data(as_text=True)
    subscriber = db.session.scalars(select(MailSubscriber)).one()
    assert subscriber.confirmed_at is None  # the GET changed nothing
    db.session.commit()
    assert "will be e-mailed" in client.post(confirm).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MailSubscriber, subscriber.id).confirmed_at is not None
    db.session.commit()

    # Confirmed stays confirmed: a later subscription brings no second request.
    send_comment(client, make_post("Elsewhere"), "Again.", email=READER, new_comments=True)
    approve(last_comment().id, moderator)
    deliver()
    assert len(inbox.to(READER)) == 1


def test_an_approved_reply_notifies_the_reader_once(app, client, inbox, moderator, ctx):
    post = make_post("Courts")
    first = confirmed_reader(client, post, moderator, inbox)

    send_comment(
        client,
        post,
        "I disagree, and here is why.",
        name="Vibol",
        email="vibol@example.org",
        parent=first,
    )
    reply = last_comment()
    deliver()
    assert inbox.to(READER) == []  # pending: nobody is told

    approve(reply.id, moderator)
    deliver()
    [mail] = inbox.to(READER)
    assert mail["Subject"] == "[Op-Ed Notes] New comment on “Courts”"
    text = text_of(mail)
    assert "Vibol on “Courts”:\nI disagree, and here is why." in text
    assert f"#comment-{reply.id}" in text
    assert mail["List-Unsubscribe"].startswith("<http://localhost/mail/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Your subscriptions: http://localhost/mail/subscriptions/" in text
    assert mail.get_body(preferencelist=("plain",)) is not None
    deliver()
    assert len(inbox.to(READER)) == 1


def test_spam_pending_and_trashed_replies_notify_nobody(app, client, inbox, moderator, ctx):
    post = make_post()
    first = confirmed_reader(client, post, moderator, inbox)
    send_comment(client, post, "Pending forever.", email="x@example.org", parent=first)
    pending = last_comment()
    send_comment(client, post, "Trashed.", email="y@example.org", parent=first)
    services.trash(db.session.get(Comment, last_comment().id), moderator)
    send_comment(client, post, "Spammy.", email="z@example.org", parent=first)
    services.spam(db.session.get(Comment, last_comment().id), moderator)
    assert db.session.get(Comment, pending.id).status != CommentStatus.APPROVED
    db.session.commit()
    deliver()
    assert inbox.messages == []


def test_ones_own_reply_notifies_nobody(app, client, inbox, moderator, ctx):
    post = make_post()
    first = confirmed_reader(client, post, moderator, inbox, new_comments=True)
    send_comment(client, post, "Adding to my own point.", email=READER, parent=first)
    approve(last_comment().id, moderator)
    deliver()
    assert inbox.messages == []


def test_a_burst_of_approvals_is_one_digest_per_interval(app, client, inbox, moderator, clock, ctx):
    post = make_post("Budget")
    confirmed_reader(client, post, moderator, inbox, replies=False, new_comments=True)
    for n in range(3):
        send_comment(client, post, f"Comment {n}.", name=f"R{n}", email=f"r{n}@example.org")
        approve(last_comment().id, moderator)
    deliver()
    [mail] = inbox.to(READER)
    assert mail["Subject"] == "[Op-Ed Notes] 3 new comments"
    assert all(f"Comment {n}." in text_of(mail) for n in range(3))

    send_comment(client, post, "Later.", name="R9", email="r9@example.org")
    approve(last_comment().id, moderator)
    deliver()
    assert len(inbox.to(READER)) == 1  # the next digest waits for the interval
    clock.advance(minutes=15, seconds=1)
    deliver()
    assert len(inbox.to(READER)) == 2
    assert "Later." in text_of(inbox.to(READER)[1])


def test_one_click_unsubscribe_is_a_post_without_cookies(app, client, inbox, moderator, ctx):
    post = make_post()
    first = confirmed_reader(client, post, moderator, inbox)
    send_comment(client, post, "A reply.", name="Vibol", email="vibol@example.org", parent=first)
    approve(last_comment().id, moderator)
    deliver()
    [mail] = inbox.to(READER)
    target = path_of(mail["List-Unsubscribe"].strip("<>"))

    page = client.get(target)  # a scanner opening the link unsubscribes nobody
    assert page.status_code == 200
    assert db.session.scalars(select(MailSubscription.ended_at)).all() == [None]
    db.session.commit()
    mail_provider = app.test_client()  # RFC 8058: the provider POSTs, with no cookies
    answer = mail_provider.post(
        target, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 200
    db.session.expire_all()
    assert db.session.scalars(select(MailSubscription.ended_at)).one() is not None
    db.session.commit()

    send_comment(
        client, post, "Another reply.", name="Vibol", email="vibol@example.org", parent=first
    )
    approve(last_comment().id, moderator)
    deliver()
    assert len(inbox.to(READER)) == 1  # nothing more


def test_the_subscriptions_page_lists_and_ends_them(app, client, inbox, moderator, ctx):
    post = make_post("Rivers")
    confirmed_reader(client, post, moderator, inbox, new_comments=True)
    send_comment(client, make_post("Forests"), "Trees.", email=READER, replies=True)
    approve(last_comment().id, moderator)
    send_comment(client, post, "Hi.", name="Vibol", email="vibol@example.org")
    approve(last_comment().id, moderator)
    deliver()
    [mail] = inbox.to(READER)
    page_url = link(mail, "subscriptions")
    page = client.get(page_url).get_data(as_text=True)
    assert "Replies to your comment on “Rivers”" in page
    assert "New comments on “Rivers”" in page
    assert "Replies to your comment on “Forests”" in page
    forests = db.session.scalars(
        select(MailSubscription)
        .join(MailSubscription.post)
        .where(MailSubscription.scope == "replies")
        .order_by(MailSubscription.id.desc())
        .limit(1)
    ).one()
    db.session.commit()
    after = client.post(page_url, data={"end": str(forests.id)}).get_data(as_text=True)
    assert "That subscription has ended." in after and "“Forests”" not in after
    after = client.post(page_url, data={"end": "all"}).get_data(as_text=True)
    assert "no subscriptions" in after
    assert client.post(page_url, data={"end": "nonsense"}).status_code == 400
    assert client.get(page_url[:-4]).status_code == 400


def test_a_moderators_reply_from_the_admin_notifies(app, client, inbox, moderator, login_as, ctx):
    post = make_post("Elections")
    first = confirmed_reader(client, post, moderator, inbox)
    login_as(moderator)
    form = client.get(f"/admin/comments/{first.id}/reply").get_data(as_text=True)
    client.post(
        f"/admin/comments/{first.id}/reply",
        data={"csrf_token": csrf_token_from(form), "body": "Thanks, corrected."},
    )
    deliver()
    [mail] = inbox.to(READER)
    assert "Moderator Sok on “Elections”:\nThanks, corrected." in text_of(mail)


def test_a_digest_due_too_early_waits_for_the_interval(app, client, inbox, moderator, clock, ctx):
    """Two workers' timing can queue a digest whose due time was worked out before the
    previous digest went: it still waits for the interval, and is not a failed try."""
    post = make_post("Budget")
    confirmed_reader(client, post, moderator, inbox, replies=False, new_comments=True)
    send_comment(client, post, "One.", name="R1", email="r1@example.org")
    approve(last_comment().id, moderator)
    deliver()
    send_comment(client, post, "Two.", name="R2", email="r2@example.org")
    approve(last_comment().id, moderator)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED)
        .values(next_attempt_at=utcnow())
    )  # as if computed too early
    db.session.commit()
    deliver()
    assert len(inbox.to(READER)) == 1
    waiting = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)
    ).one()
    assert waiting.attempts == 0 and waiting.next_attempt_at > utcnow()
    db.session.commit()
    clock.advance(minutes=15, seconds=1)
    deliver()
    assert [("Two." in text_of(m)) for m in inbox.to(READER)] == [False, True]
