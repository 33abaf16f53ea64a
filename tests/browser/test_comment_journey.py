"""A reader comments and sees "awaiting moderation"; a second reader does not see
the comment; an admin approves it from /admin/comments; the second reader now
sees it, replies, and once approved the reply nests under its parent.

Each run uses a visitor per browser context (their own cookies), with the
mouse and with the keyboard only, at 360 px and 1280 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.actors import ACTORS
from tests.browser.conftest import WIDTHS
from tests.browser.support import log_in, shoot

pytestmark = pytest.mark.browser

POST_TITLE = "A River and Its People"


def comment_item(page, text: str):
    """The list item of the comment whose own body (not a reply's) holds ``text``."""
    return page.locator("li.comment").filter(has=page.locator(":scope > article", has_text=text))


def write_comment(act, page, text: str, name: str, email: str, website: str = "") -> None:
    act.fill("Comment", text)
    act.fill("Name", name)
    act.fill("Email", email)
    if website:
        act.fill("Website", website)
    act.submit(page.get_by_role("button", name="Post Comment"))


def approve(act, admin, text: str, artifacts=None, shot: str = "") -> None:
    admin.goto("/admin/comments")
    row = admin.locator("tr", has_text=text)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Pending")
    if shot:  # the queue with the comment waiting
        shoot(admin, artifacts, shot)
    act.submit(row.get_by_role("button", name="Approve", exact=True))
    expect(
        admin.locator("tr", has_text=text).get_by_role("button", name="Approve", exact=True)
    ).to_have_count(0)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_comment_is_held_approved_and_answered_in_a_thread(
    new_page, admin_credentials, artifacts, mode, width
):
    run = uuid.uuid4().hex[:6]
    text = f"The flood pulse matters more than the dam count ({mode} {width} {run})."
    reply_text = f"Agreed, and the fishing lots show it ({mode} {width} {run})."
    tag = f"comments-{mode}"

    # A reader opens the post from the front page and comments.
    reader = new_page(width)
    act = ACTORS[mode](reader)
    reader.goto("/")
    act.follow(reader.locator("main").get_by_role("link", name=POST_TITLE, exact=True))
    post_path = reader.url
    write_comment(
        act, reader, text, "Sokha Reader", f"reader-{run}@example.org", "https://example.org/sokha"
    )
    mine = comment_item(reader, text)
    expect(mine).to_be_visible()
    expect(mine).to_contain_text("Your comment is awaiting moderation.")
    expect(mine).not_to_contain_text(f"reader-{run}@example.org")  # the email is never shown
    shoot(reader, artifacts, f"{tag}-awaiting-moderation")

    # Another reader does not see it.
    other = new_page(width)
    other_act = ACTORS[mode](other)
    other.goto(post_path)
    expect(other.get_by_role("heading", level=1)).to_have_text(POST_TITLE)
    expect(other.get_by_text(text)).to_have_count(0)

    # An admin approves it from the moderation screen.
    admin = new_page(width)
    admin_act = ACTORS[mode](admin)
    log_in(admin, *admin_credentials, actor=admin_act)
    approve(admin_act, admin, text, artifacts, f"{tag}-moderation-queue")
    shoot(admin, artifacts, f"{tag}-moderation")

    # Now the other reader sees it, with no moderation notice, and replies.
    other.reload()
    theirs = comment_item(other, text)
    expect(theirs).to_be_visible()
    expect(theirs).not_to_contain_text("awaiting moderation")
    other_act.follow(theirs.get_by_role("link", name=re.compile(r"^Reply")))
    expect(other.get_by_role("heading", name=re.compile(r"^Reply to Sokha Reader"))).to_be_visible()
    write_comment(other_act, other, reply_text, "Dara Reader", f"dara-{run}@example.org")
    expect(comment_item(other, reply_text)).to_contain_text("awaiting moderation")
    approve(admin_act, admin, reply_text)

    # The first reader sees the reply nested under the comment it answers.
    reader.goto(post_path)
    parent = comment_item(reader, text)
    nested = parent.locator("ol.children > li.comment", has_text=reply_text)
    expect(nested).to_have_count(1)
    parent_box = parent.locator(":scope > article").bounding_box()
    reply_box = nested.locator(":scope > article").bounding_box()
    assert reply_box["x"] > parent_box["x"], "the reply is not indented under its parent"
    assert reply_box["y"] > parent_box["y"]
    parent.scroll_into_view_if_needed()
    shoot(reader, artifacts, f"{tag}-thread")
