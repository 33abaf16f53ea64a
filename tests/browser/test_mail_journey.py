"""Conversations continue by e-mail, in a real browser against gunicorn, with the
mail worker (``flask deliver --loop``) running beside it and a real SMTP server on
loopback as everyone's inbox:

1. a reader comments and ticks "E-mail me when someone replies to this comment";
2. the editor approves it from the held-comment mail, and the reader confirms from
   the confirmation mail;
3. someone replies, and the editor approves the reply from its mail's link;
4. the first reader's notification arrives, and they unsubscribe in one click."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.mail_site import (
    EDITOR_ADDRESS,
    link_labelled,
    mail_to,
    site_with_mail,
    visitor,
)
from tests.browser.support import shoot
from tests.helpers_mail import text_of

pytestmark = pytest.mark.browser

POST_TITLE = "A River and Its People"


@pytest.fixture(scope="module")
def mail_site(tmp_path_factory):
    with site_with_mail(tmp_path_factory.mktemp("mail-site")) as server:
        yield server


def comment_item(page, text: str):
    return page.locator("li.comment").filter(has=page.locator(":scope > article", has_text=text))


def write_comment(page, text: str, name: str, email: str, *, notify: bool = False) -> None:
    page.get_by_label("Comment", exact=True).fill(text)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    if notify:
        page.get_by_label("E-mail me when someone replies to this comment").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Post Comment").click()


def approve_from_mail(editor_page, inbox, text: str, artifacts, shot: str) -> None:
    held = mail_to(inbox, EDITOR_ADDRESS, text)
    editor_page.goto(link_labelled(held, "Approve"))
    expect(editor_page.get_by_role("heading", level=1)).to_have_text("Approve this comment?")
    expect(editor_page.locator("blockquote")).to_contain_text(text)
    shoot(editor_page, artifacts, shot)
    with editor_page.expect_navigation():
        editor_page.get_by_role("button", name=re.compile(r"^Approve, as ")).click()
    expect(editor_page.get_by_role("status")).to_contain_text("approved by Proof Admin")


def test_reply_notification_journey(browser, mail_site, artifacts):
    run = uuid.uuid4().hex[:6]
    inbox = mail_site.inbox
    reader_address = f"sokha-{run}@example.org"
    text = f"Who measures the flood pulse now? ({run})"
    reply_text = f"The fisheries office does, every June ({run})."

    reader_context, reader = visitor(browser, mail_site)
    editor_context, editor = visitor(browser, mail_site)  # the editor's phone: not logged in
    other_context, other = visitor(browser, mail_site)
    try:
        # 1. The reader comments and asks to hear about replies.
        reader.goto("/")
        with reader.expect_navigation():
            reader.locator("main").get_by_role("link", name=POST_TITLE, exact=True).click()
        post_path = reader.url
        write_comment(reader, text, "Sokha Reader", reader_address, notify=True)
        expect(comment_item(reader, text)).to_contain_text("awaiting moderation")

        # 2. The editor approves it from the mail; the reader confirms from theirs.
        approve_from_mail(editor, inbox, text, artifacts, "mail-moderate")
        confirmation = mail_to(inbox, reader_address, "To confirm")
        reader.goto(re.search(r"http://\S+/mail/confirm/\S+", text_of(confirmation)).group(0))
        with reader.expect_navigation():
            reader.get_by_role("button", name="Confirm my address").click()
        expect(reader.get_by_role("status")).to_contain_text("will be e-mailed")

        # 3. Someone replies; the editor approves the reply from the e-mail link.
        other.goto(post_path)
        theirs = comment_item(other, text)
        with other.expect_navigation():
            theirs.get_by_role("link", name=re.compile(r"^Reply")).click()
        write_comment(other, reply_text, "Dara Reader", f"dara-{run}@example.org")
        approve_from_mail(editor, inbox, reply_text, artifacts, "mail-moderate-reply")

        # 4. The reader's notification arrives; one click unsubscribes.
        notice = mail_to(inbox, reader_address, reply_text)
        assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        reader.goto(notice["List-Unsubscribe"].strip("<>"))
        with reader.expect_navigation():
            reader.get_by_role("button", name="Unsubscribe").click()
        expect(reader.get_by_role("status")).to_contain_text("no more of these notifications")
        shoot(reader, artifacts, "mail-unsubscribed")
        reader.get_by_role("link", name="Your subscriptions").click()
        expect(reader.get_by_role("heading", level=1)).to_have_text("Your subscriptions")
        expect(reader.locator("main")).to_contain_text("You have no subscriptions")
    finally:
        for context in (reader_context, editor_context, other_context):
            context.close()
