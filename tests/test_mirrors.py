"""The site's other addresses: the /mirrors/ page, the footer link, the feeds'
``atom:link rel="alternate"``, the mail footers, and ``flask mirrors set``, whose
write every cache sees at once (it changes the content version)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from blogapp.comments.subscriptions import subscribe
from blogapp.extensions import db
from blogapp.models import OutboxMessage
from blogapp.newsletter.services import compose_post
from tests.factories import make_comment, make_post

ONION = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
STATIC = "https://mirror.example.net/blog"


@pytest.fixture
def app_config():
    return {
        "ONION_ADDRESS": f"http://{ONION}/",
        "MIRRORS": [STATIC + "/"],
        "MAIL_SERVER": "127.0.0.1",
    }


def test_the_mirrors_page_lists_the_onion_first_and_the_footer_links_it(client, ctx):
    page = client.get("/mirrors/")
    assert page.status_code == 200
    assert "public" in page.headers["Cache-Control"]  # an anonymous page like any other
    text = page.get_data(as_text=True)
    assert "If this site is blocked" in text
    listed = re.findall(r'<li><a href="([^"]+)"', text)
    assert listed == [f"http://{ONION}", STATIC]
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/mirrors/">If this site is blocked</a>', home)


@pytest.mark.parametrize("path", ["/feed/", "/feed/atom/", "/comments/feed/"])
def test_feeds_name_every_mirror(client, ctx, path):
    make_post("Post", "Words.")
    body = client.get(path).get_data(as_text=True)
    prefix = "atom:link" if "<rss" in body else "link"
    found = re.findall(rf'<{prefix} href="([^"]+)" rel="alternate" title="Mirror"/>', body)
    assert found == [f"http://{ONION}/", STATIC + "/"]


def test_a_stored_list_is_in_force_at_once_and_pages_are_built_anew(app, client, ctx):
    before = client.get("/mirrors/")
    feed = client.get("/feed/")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mirrors", "set", "https://other.example.org/"])
    assert result.exit_code == 0, result.output
    after = client.get("/mirrors/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    text = after.get_data(as_text=True)
    assert "https://other.example.org" in text and STATIC not in text
    new_feed = client.get("/feed/", headers={"If-None-Match": feed.headers["ETag"]})
    assert new_feed.status_code == 200
    assert "https://other.example.org/" in new_feed.get_data(as_text=True)
    shown = runner.invoke(args=["mirrors", "show"]).output.split()
    assert shown == [f"http://{ONION}", "https://other.example.org"]
    assert runner.invoke(args=["mirrors", "set", "ftp://nope"]).exit_code != 0
    assert runner.invoke(args=["mirrors", "reset"]).exit_code == 0
    assert STATIC in client.get("/mirrors/").get_data(as_text=True)


def test_newsletter_and_notification_mails_end_with_the_mirrors(app, ctx):
    post = make_post("Post", "Words.")
    with app.test_request_context():
        mail = compose_post(post)
    for body in (mail["text"], mail["html"]):
        assert "If this site is blocked" in body
        assert f"http://{ONION}" in body and STATIC in body
    comment = make_comment(post, author_email="dara@example.org")
    assert comment.id and comment.post_id and comment.author_email  # loaded, then let go:
    db.session.expunge(comment)
    db.session.commit()  # subscribe() opens its own write transaction
    subscribe(comment, replies=True, new_comments=False)
    confirmation = db.session.scalars(select(OutboxMessage)).one()
    assert "If this site is blocked" in confirmation.body_text
    assert f"http://{ONION}" in confirmation.body_text and STATIC in confirmation.body_text
