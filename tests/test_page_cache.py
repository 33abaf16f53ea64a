"""Public pages are the same bytes for every reader without a session and say so
to every cache; personal pages are private and never kept; the comment form of a
shared page carries no token and is checked by its origin instead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from blogapp.comments.forms import form_token_for
from blogapp.content_version import VERSION_KEY, Versions, versions
from blogapp.database import read_transactions
from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, Post, Setting, utcnow
from tests.factories import make_category, make_comment, make_page, make_post, make_tag, make_user
from tests.helpers import (
    BROWSER_POST,
    FakeClock,
    hidden_value,
    open_form,
    post_comment,
    stored_comments,
    url_of,
)

SHARED = "public, max-age=0, s-maxage=5, stale-while-revalidate=30, stale-if-error=86400"


@pytest.fixture
def site(app, ctx):
    author = make_user("sokha", display_name="Sokha")
    opinion = make_category("Opinion")
    tag = make_tag("Courts")
    post = make_post(
        "Judges and the press",
        "Words about **courts**.",
        author=author,
        categories=[opinion],
        tags=[tag],
    )
    make_comment(post, "An approved comment.")
    make_page("About", "Who writes here.")
    return post


def public_urls(post) -> list[str]:
    local = post.published_at
    return [
        "/",
        url_of(post),
        f"/{local:%Y}/",
        f"/{local:%Y/%m}/",
        "/author/sokha/",
        "/tag/courts/",
        "/category/opinion/",
        "/about/",
        "/feed/",
        "/feed/atom/",
        "/comments/feed/",
        "/category/opinion/feed/",
        url_of(post) + "feed/",
        "/sitemap.xml",
        "/robots.txt",
        "/?s=courts",
    ]


def test_two_cookieless_readers_get_identical_bytes_and_no_cookie(app, site, ctx):
    for url in public_urls(site):
        first, second = app.test_client().get(url), app.test_client().get(url)
        assert first.status_code == 200, url
        assert first.get_data() == second.get_data(), url
        assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers, url
        assert first.headers["Cache-Control"] == SHARED, url
        assert first.headers["ETag"] == second.headers["ETag"], url
        assert not first.headers["ETag"].startswith("W/"), url  # strong: the same bytes
        assert "csrf_token" not in first.get_data(as_text=True), url


def test_a_kept_page_costs_no_query_and_a_304_needs_no_body(app, client, site, count_queries, ctx):
    first = client.get("/")
    with count_queries() as kept:
        again = client.get("/")
        current = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.get_data() == first.get_data()
    assert current.status_code == 304 and current.get_data() == b""
    assert current.headers["ETag"] == first.headers["ETag"]
    assert kept.count == 0, kept.statements  # the version is trusted for a second


def test_parameters_no_page_reads_are_left_out_of_the_key(client, site, count_queries, ctx):
    plain = client.get("/")
    with count_queries() as tracked:
        tracked_page = client.get("/?utm_source=newsletter&fbclid=abc&r=123")
    assert tracked_page.get_data() == plain.get_data()
    assert tracked.count == 0  # served from the page kept for "/"
    other = client.get("/?s=courts")
    assert other.get_data() != plain.get_data()


def test_a_kept_page_lives_at_most_page_cache_seconds(app, site, ctx):
    clock = FakeClock()
    app.config["CLOCK"] = clock
    url = url_of(site)
    first = hidden_value(app.test_client().get(url).get_data(as_text=True), "form_token")
    clock.advance(30)
    assert hidden_value(app.test_client().get(url).get_data(as_text=True), "form_token") == first
    clock.advance(app.config["PAGE_CACHE_SECONDS"])
    later = hidden_value(app.test_client().get(url).get_data(as_text=True), "form_token")
    assert later != first  # a new "served at" stamp: the page was rendered again


def test_a_logged_in_reader_gets_private_pages_with_a_token(app, client, site, login_as, ctx):
    login_as(make_user("editor1", display_name="Editor One"))
    for url in ("/", url_of(site), "/feed/"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert "ETag" not in response.headers, url
    page = client.get(url_of(site)).get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert "Dashboard" in client.get("/").get_data(as_text=True)
    # A cookie-less reader never gets what the logged-in one was shown.
    assert "Dashboard" not in app.test_client().get("/").get_data(as_text=True)


def test_a_logged_in_readers_comment_must_present_the_csrf_token(app, client, site, login_as, ctx):
    login_as(make_user("editor2"))
    form = open_form(client, site)
    fields = {**form, "author_name": "Ed", "author_email": "ed@example.org", "body": "Mine."}
    without = {k: v for k, v in fields.items() if k != "csrf_token"}
    refused = client.post(f"/comments/post/{site.id}", data=without, headers=BROWSER_POST)
    assert refused.status_code == 400
    assert len(stored_comments()) == 1
    accepted = client.post(f"/comments/post/{site.id}", data=fields, headers=BROWSER_POST)
    assert accepted.status_code == 302
    assert len(stored_comments()) == 2


def test_a_reader_with_a_held_comment_sees_it_and_nobody_else_does(app, client, site, ctx):
    response = post_comment(client, site, "Held for a moderator.")
    assert response.status_code == 302
    own = client.get(url_of(site))
    assert own.headers["Cache-Control"] == "private, no-store"
    assert "Held for a moderator." in own.get_data(as_text=True)
    other = app.test_client().get(url_of(site))
    assert other.headers["Cache-Control"] == SHARED
    assert "Held for a moderator." not in other.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {},
    ],
    ids=[
        "fetch-site cross-site",
        "fetch-site same-site",
        "origin",
        "null origin",
        "referer",
        "none",
    ],
)
def test_a_cross_site_comment_is_refused_and_nothing_is_stored(client, site, headers, ctx):
    response = post_comment(client, site, "From elsewhere.", headers=headers)
    assert response.status_code == 403
    assert "did not come from a page of this site" in response.get_data(as_text=True)
    assert [c.body for c in stored_comments()] == ["An approved comment."]


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://localhost"},
        {"Referer": "http://localhost/2026/01/01/post/"},
    ],
    ids=["fetch-site", "origin", "referer"],
)
def test_a_same_origin_comment_is_accepted_by_each_header(client, site, headers, ctx):
    response = post_comment(client, site, "From this site.", headers=headers)
    assert response.status_code == 302
    assert stored_comments()[-1].status == CommentStatus.PENDING


def test_the_shared_stamp_still_tells_a_bot_that_posts_at_once(app, client, site, ctx):
    app.config["COMMENT_MIN_SECONDS"] = 3
    with app.test_request_context():
        token = form_token_for(site.id)
    response = post_comment(client, site, "Instant.", fields={"form_token": token})
    assert response.status_code == 302
    assert db.session.scalar(select(Comment.status).order_by(Comment.id.desc())) == "spam"


def test_a_scheduled_post_appears_when_its_time_comes_with_no_write(app, client, site, ctx):
    clock = FakeClock()
    app.config["CLOCK"] = clock
    make_post("Tomorrow's op-ed", published_at=utcnow() + timedelta(hours=1))
    assert "Tomorrow&#39;s op-ed" not in client.get("/").get_data(as_text=True)
    clock.advance(2 * 3600)
    assert "Tomorrow&#39;s op-ed" in client.get("/").get_data(as_text=True)


def test_a_read_that_finds_a_scheduled_post_due_never_commits_its_callers_transaction(
    app, site, ctx
):
    """The versions are renewed on a connection of their own: the reader's transaction
    stays open, and what it wrote without committing is still not committed."""
    clock = FakeClock()
    app.config["CLOCK"] = clock
    make_post("Tomorrow's op-ed", published_at=utcnow() + timedelta(hours=1))
    seen = versions()
    clock.advance(2 * 3600)
    with read_transactions():
        db.session.scalar(select(Post.id).limit(1))  # a read transaction is open
        renewed = versions()
        assert db.session().in_transaction()
    db.session.rollback()
    assert renewed != seen
    with db.engine.connect() as other:
        stored = other.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))
    assert Versions.parse(stored) == renewed

    make_post("Next week's op-ed", published_at=utcnow() + timedelta(hours=3))
    clock.advance(4 * 3600)
    db.session.add(Setting(key="unsaved", value="1"))
    db.session.flush()  # a write of the caller's, not committed
    versions()  # renewed aside, or left for a later read while the caller holds the lock
    assert db.session().in_transaction()
    db.session.rollback()
    assert db.session.get(Setting, "unsaved") is None
    page = app.test_client().get("/").get_data(as_text=True)
    assert "Next week&#39;s op-ed" in page


def test_admin_and_login_pages_are_private_even_without_a_session(app, client, ctx):
    for url in ("/login", "/admin/", "/admin/comments", "/wp-login.php"):
        response = app.test_client().get(url)
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert "ETag" not in response.headers, url
