"""Conversations continue by e-mail, in a real browser against gunicorn, with the
mail worker (``flask deliver --loop``) running beside it and a real SMTP server on
loopback as everyone's inbox:

1. a reader comments and ticks "E-mail me when someone replies to this comment";
2. the editor approves it from the held-comment mail, and the reader confirms from
   the confirmation mail;
3. someone replies, and the editor approves the reply from its mail's link;
4. the first reader's notification arrives, and they unsubscribe in one click."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from benchmarks.demo_site import ADMIN_LOGIN, build_demo_database
from benchmarks.server import app_environment, free_port, start_gunicorn
from tests.browser.conftest import PROJECT_ROOT
from tests.browser.support import shoot
from tests.helpers_mail import Inbox, SMTPServer, text_of, wait_until

pytestmark = pytest.mark.browser

POST_TITLE = "A River and Its People"
EDITOR_ADDRESS = f"{ADMIN_LOGIN}@example.org"


@pytest.fixture(scope="module")
def mail_site(tmp_path_factory):
    """gunicorn serving the demo site with mail on, the worker, and the inbox."""
    root = tmp_path_factory.mktemp("mail-site")
    database_url = f"sqlite:///{root / 'blogapp.sqlite'}"
    build_demo_database(database_url)
    handler = Inbox()
    with SMTPServer(handler) as smtp:
        port = free_port()
        env = {
            **app_environment(database_url, port, root / "instance"),
            "BLOGAPP_MAIL_SERVER": "127.0.0.1", "BLOGAPP_MAIL_PORT": str(smtp.port),
            "BLOGAPP_COMMENT_NOTIFY_EMAILS": EDITOR_ADDRESS, "BLOGAPP_MAIL_POLL_SECONDS": "0.1",
        }  # fmt: skip
        server = start_gunicorn(env, port, root / "gunicorn.log", workers=2)
        with open(root / "worker.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "blogapp", "deliver", "--loop"],
                env={**os.environ, **env}, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                server.inbox = handler
                yield server
            finally:
                worker.terminate()
                worker.wait(timeout=30)
                server.stop()


def mail_to(inbox: Inbox, address: str, containing: str):
    """The mail to ``address`` whose text holds ``containing``, once the worker sent it."""
    found = []

    def arrived() -> bool:
        found[:] = [m for m in inbox.to(address) if containing in text_of(m)]
        return bool(found)

    wait_until(arrived)
    return found[-1]


def link_labelled(mail, label: str) -> str:
    for line in text_of(mail).splitlines():
        if line.startswith(f"{label}: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"no {label} link in:\n{text_of(mail)}")


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

    def visitor():
        context = browser.new_context(base_url=mail_site.url, viewport={"width": 1280,
                                      "height": 900}, locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(15_000)
        return context, context.new_page()

    reader_context, reader = visitor()
    editor_context, editor = visitor()  # the editor's phone: not logged in to the site
    other_context, other = visitor()
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
