"""Commenters' addresses are kept COMMENT_IP_RETENTION_DAYS (issue 19): the moderation
screen shows them while they exist, ``flask prune`` erases older ones, and with 0 days
none is stored at all (the spam rules still see it while judging)."""

from __future__ import annotations

import pytest

from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.models import ROLE_EDITOR, CommentStatus
from tests.factories import make_post, make_user
from tests.helpers import FakeClock, post_comment, stored_comments

DAY = 86_400


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def app_config(clock):
    return {"CLOCK": clock}


def _comment_from(client, post, address: str, body: str):
    client.environ_base["REMOTE_ADDR"] = address
    response = post_comment(
        client,
        post,
        body,
        headers={
            "Origin": "http://localhost",
            "Sec-Fetch-Site": "same-origin",
            "User-Agent": "TestBrowser/1.0",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)


def test_the_address_is_stored_and_shown_to_moderators(app, client, login_as, ctx):
    post = make_post("Open thread")
    _comment_from(client, post, "203.0.113.7", "First thoughts on the budget.")
    assert stored_comments()[0].author_ip == "203.0.113.7"

    login_as(make_user(role=ROLE_EDITOR))
    html = client.get("/admin/comments?status=all").get_data(as_text=True)

    assert "Address: <a" in html and "203.0.113.7" in html


def test_prune_erases_addresses_older_than_the_retention(app, runner, clock, ctx):
    post = make_post("Open thread")
    first, second = app.test_client(), app.test_client()
    _comment_from(first, post, "203.0.113.7", "An old comment about the budget.")
    clock.advance(25 * DAY)
    _comment_from(second, post, "198.51.100.9", "A newer comment about the budget.")
    clock.advance(6 * DAY)  # the first is 31 days old, the second 6

    result = runner.invoke(args=["prune"])

    assert result.exit_code == 0, result.output
    assert "Erased the address of 1 comment(s) older than 30 day(s)." in result.output
    old, new = stored_comments()
    assert (old.author_ip, old.user_agent) == ("", "")
    assert new.author_ip == "198.51.100.9" and new.user_agent == "TestBrowser/1.0"
    assert old.body == "An old comment about the budget."  # only the address goes

    again = runner.invoke(args=["prune"])
    assert "Erased the address of 0 comment(s)" in again.output


def test_the_moderation_screen_shows_no_address_once_erased(
    app, client, runner, clock, login_as, ctx
):
    post = make_post("Open thread")
    _comment_from(app.test_client(), post, "203.0.113.7", "An old comment about the budget.")
    clock.advance(31 * DAY)
    runner.invoke(args=["prune"])

    login_as(make_user(role=ROLE_EDITOR))
    html = client.get("/admin/comments?status=all").get_data(as_text=True)

    assert "An old comment about the budget." in html
    assert "203.0.113.7" not in html and "Address:" not in html


def test_with_zero_days_no_address_is_stored(app, client, ctx):
    app.config["COMMENT_IP_RETENTION_DAYS"] = 0
    post = make_post("Open thread")

    _comment_from(client, post, "203.0.113.7", "Nothing of me should be kept.")

    comment = stored_comments()[0]
    assert comment.author_ip == "" and comment.user_agent == ""
    assert comment.body == "Nothing of me should be kept."


def test_with_zero_days_the_spam_rules_still_see_the_address(app, client, ctx):
    app.config["COMMENT_IP_RETENTION_DAYS"] = 0
    save_settings(CommentSettings(blocklist_words=("203.0.113.66",)))
    post = make_post("Open thread")

    _comment_from(client, post, "203.0.113.66", "A comment from a blocked address.")

    comment = stored_comments()[0]
    assert comment.status == CommentStatus.SPAM
    assert comment.author_ip == ""


def _stored_version() -> str | None:
    from sqlalchemy import select

    from blogapp.content_version import VERSION_KEY
    from blogapp.extensions import db
    from blogapp.models import Setting

    db.session.expire_all()
    return db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))


def test_an_hourly_prune_with_nothing_to_erase_leaves_public_pages_cached(app, runner, clock, ctx):
    post = make_post("Open thread")
    _comment_from(app.test_client(), post, "203.0.113.7", "A fresh comment.")
    before = _stored_version()
    assert before is not None

    result = runner.invoke(args=["prune"])

    assert "Erased the address of 0 comment(s)" in result.output
    assert _stored_version() == before


def test_prune_blanks_the_log_quotes_of_comments_deleted_for_good(app, runner, clock, ctx):
    from sqlalchemy import select

    from blogapp.comments import services
    from blogapp.extensions import db
    from blogapp.models import Comment, ModerationEvent

    moderator = make_user(role=ROLE_EDITOR)
    post = make_post("Open thread")
    for address, body in (("203.0.113.7", "Deleted words."), ("203.0.113.8", "Trashed words.")):
        _comment_from(app.test_client(), post, address, body)
    deleted, trashed = stored_comments()
    for comment in (deleted, trashed):
        assert services.trash(db.session.get(Comment, comment.id), moderator)
    assert services.delete_permanently(db.session.get(Comment, deleted.id), moderator)
    clock.advance(29 * DAY)
    assert "Blanked 0 moderation-log quote(s)" in runner.invoke(args=["prune"]).output

    clock.advance(2 * DAY)
    result = runner.invoke(args=["prune"])

    assert "Blanked 3 moderation-log quote(s)" in result.output  # sent, trashed, deleted
    lines = db.session.scalars(select(ModerationEvent.comment_summary)).all()
    assert not any("Deleted words" in line for line in lines)
    assert sum("Trashed words" in line for line in lines) == 2  # its comment is still there
