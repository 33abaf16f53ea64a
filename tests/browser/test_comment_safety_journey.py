"""Readers at risk (issue 33), at 360 px: a reader reports a comment; a moderator
sees the report in the queue; the dashboard's lockdown switch puts a notice where
the form was; at the time chosen it turns itself off.

The site's clock is injected (no sleeping): this journey's own server reads an
offset, in seconds, from a file in its instance folder (``instance/config.py``
sets ``CLOCK``), and the test moves it past the lockdown's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, Post
from blogapp.sanitize import clean_comment
from tests.browser.support import log_in, shoot
from tests.sites import ADMIN_LOGIN, ADMIN_PASSWORD, build_demo_database, make_app, start_demo_site

pytestmark = pytest.mark.browser

POST_TITLE = "A River and Its People"
COMMENT = "The dam's engineer lives at house 12, street 271, and drives a white car."
CLOCK_CONFIG = '''
import pathlib
import time

_OFFSET = pathlib.Path(__file__).with_name("clock_offset")


def CLOCK():
    """Real time plus the offset the browser journey writes (seconds)."""
    try:
        return time.time() + float(_OFFSET.read_text())
    except (OSError, ValueError):
        return time.time()
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety-site")
    database_url = f"sqlite:///{root / 'blogapp.sqlite'}"
    build_demo_database(database_url)
    app = make_app(database_url)
    with app.app_context():
        post = db.session.scalars(select(Post).where(Post.title == POST_TITLE)).one()
        db.session.add(
            Comment(
                post_id=post.id,
                author_name="Troll",
                author_email="t@example.org",
                body=COMMENT,
                body_html=clean_comment(COMMENT),
                status=CommentStatus.APPROVED,
            )
        )
        post.comment_count += 1
        db.session.commit()
        db.engine.dispose()
    (root / "instance").mkdir(exist_ok=True)
    (root / "instance" / "config.py").write_text(CLOCK_CONFIG)
    server = start_demo_site(database_url, root, workers=2)
    server.offset_file = root / "instance" / "clock_offset"
    yield server
    server.stop()


@pytest.fixture
def page_at(browser, site):
    contexts = []

    def make(width: int = 360):
        context = browser.new_context(
            base_url=site.url,
            viewport={"width": width, "height": 800},
            locale="en-GB",
            timezone_id="UTC",
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_report_a_comment_and_lock_comments_down_until_a_time(site, page_at, artifacts):
    # A reader reports the comment that gives away someone's home.
    reader = page_at(360)
    reader.goto("/")
    reader.locator("main").get_by_role("link", name=POST_TITLE, exact=True).click()
    post_path = reader.url
    item = reader.locator("li.comment", has_text="house 12")
    with reader.expect_navigation():
        item.get_by_role("link", name="Report").click()
    reader.get_by_label("It reveals personal information about someone").check()
    shoot(reader, artifacts, "safety-report-form")
    with reader.expect_navigation():
        reader.get_by_role("button", name="Send the report").click()
    expect(reader.get_by_role("status")).to_contain_text("Moderators will look at this comment.")

    # A moderator sees it in the queue, with the reason.
    moderator = page_at(360)
    log_in(moderator, ADMIN_LOGIN, ADMIN_PASSWORD)
    moderator.goto("/admin/comments?status=reported")
    row = moderator.locator("tr", has_text="house 12")
    expect(row).to_contain_text("Reported by 1 reader(s): personal information")
    shoot(moderator, artifacts, "safety-reported-queue")

    # The dashboard's switch closes comments everywhere for an hour.
    moderator.goto("/admin/")
    ends = datetime.now(UTC) + timedelta(hours=1)
    moderator.get_by_label("Close comments everywhere").check()
    moderator.get_by_label("Until (the site's time)").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    with moderator.expect_navigation():
        moderator.get_by_role("button", name="Switch on").click()
    expect(moderator.locator(".lockdown-panel")).to_contain_text("On: Close comments everywhere")
    shoot(moderator, artifacts, "safety-lockdown-dashboard")

    reader.goto(post_path)
    expect(reader.locator("#comments")).to_contain_text(
        "Comments are closed on the whole site for a while."
    )
    expect(reader.locator("#commentform")).to_have_count(0)
    shoot(reader, artifacts, "safety-lockdown-notice")

    # Its time passes (the site's clock, moved): the form is back by itself.
    site.offset_file.write_text(str(timedelta(hours=1, minutes=2).total_seconds()))
    reader.goto(post_path)
    expect(reader.locator("#commentform")).to_have_count(1)
    expect(reader.locator("#comments")).not_to_contain_text("for a while")
