"""Moderators can be e-mailed about each held comment: through a real SMTP server
(aiosmtpd on 127.0.0.1), only after the reader's response is finished, and never
at the reader's expense when the mail server is down or not configured."""

from __future__ import annotations

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from blogapp.comments.settings import CommentSettings, save_settings
from tests.factories import make_comment, make_post
from tests.helpers import BROWSER_POST, open_form


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox():
    handler = Inbox()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send_comment(client, post, body="Please look at this.", **who):
    form = open_form(client, post)
    form.update(author_name=who.get("name", "Dara"),
                author_email=who.get("email", "dara@example.org"), body=body)
    return client.post(f"/comments/post/{post.id}", headers=BROWSER_POST, data=form)


def test_a_held_comment_is_mailed_to_moderators_after_the_response(app, client, inbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port,
                      COMMENT_NOTIFY_EMAILS="mod@example.org, chief@example.org")
    post = make_post("Courts and confidence")

    response = send_comment(client, post, "The courts earned this distrust.")

    assert response.status_code == 302
    assert inbox.messages == []  # nothing is sent while the response is still open
    response.close()
    [(recipients, message)] = inbox.messages
    assert sorted(recipients) == ["chief@example.org", "mod@example.org"]
    assert message["Subject"] == "[Op-Ed Notes] Comment awaiting moderation: Courts and confidence"
    text = message.get_payload(decode=True).decode()
    assert "The courts earned this distrust." in text
    assert "dara@example.org" in text
    assert "http://localhost/admin/comments?status=pending" in text


def test_no_mail_for_approved_or_spam_comments(app, client, inbox):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=inbox.port,
                      COMMENT_NOTIFY_EMAILS="mod@example.org")
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    send_comment(client, post, "Approved at once.").close()
    form = open_form(client, post)
    client.post(f"/comments/post/{post.id}", headers=BROWSER_POST, data={
        **form, "author_name": "Bot", "author_email": "bot@example.org", "body": "Spam",
        "homepage": "filled"}).close()
    assert inbox.messages == []


def test_off_unless_both_addresses_and_server_are_set(app, client, inbox):
    app.config.update(MAIL_PORT=inbox.port, COMMENT_NOTIFY_EMAILS="mod@example.org")
    send_comment(client, make_post()).close()
    assert inbox.messages == []


def test_a_mail_server_that_is_down_does_not_hurt_the_reader(app, client, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                      COMMENT_NOTIFY_EMAILS="mod@example.org")
    response = send_comment(client, make_post())
    assert response.status_code == 302
    response.close()
    assert "could not send the comment notification" in caplog.text
