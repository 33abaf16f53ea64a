"""Conditional GET: readers' browsers revalidate public pages and feeds with
ETags and get 304 without the page being rendered; logged-in readers and readers
with pending comments always get fresh pages."""

from __future__ import annotations

import time
from datetime import timedelta

from blogapp import create_app
from blogapp.extensions import db
from blogapp.http_cache import VERSION_KEY
from blogapp.models import ROLE_ADMIN, Setting, utcnow
from blogapp.posts.queries import content_changed
from tests.conftest import BASE_CONFIG
from tests.factories import make_post, make_user


def test_public_page_sends_etag_and_answers_304_without_rendering(app, client, count_queries):
    app.config["CONTENT_VERSION_CACHE_SECONDS"] = 60  # however slowly the first page renders
    make_post("Rule of law")
    first = client.get("/")
    etag = first.headers["ETag"]
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"]

    with count_queries() as q:
        again = client.get("/", headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "frame-ancestors 'none'" in again.headers["Content-Security-Policy"]
    # The worker read the content version a moment ago: no query at all.
    assert q.count == 0, q.statements


def test_304_costs_one_small_settings_query_when_the_version_is_not_cached(app, client,
                                                                          count_queries):
    app.config["CONTENT_VERSION_CACHE_SECONDS"] = 0
    app.extensions.pop("blogapp.content_version", None)
    make_post("Rule of law")
    etag = client.get("/").headers["ETag"]

    with count_queries() as q:
        again = client.get("/", headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.data == b""
    assert q.count == 1, q.statements
    # The settings table holds a handful of rows (blogapp.site_settings reads them all).
    assert "FROM settings" in q.statements[0]


def test_version_is_read_again_once_the_worker_cache_expires(app, client, database_url):
    app.config["CONTENT_VERSION_CACHE_SECONDS"] = 1.5
    make_post("Cached version")
    etag = client.get("/").headers["ETag"]
    # Another worker publishes: this one trusts its copy of the version briefly...
    from sqlalchemy import update

    db.session.execute(update(Setting).where(Setting.key == VERSION_KEY).values(value="other"))
    db.session.commit()
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    # ... and sees the change once that time is up.
    time.sleep(1.6)
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_weak_etag_from_a_gzipping_proxy_still_matches(client):
    make_post("Gzip")
    etag = client.get("/").headers["ETag"]
    assert client.get("/", headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_head_requests_are_conditional_too(client):
    make_post("Heads")
    etag = client.head("/").headers["ETag"]
    assert client.head("/", headers={"If-None-Match": etag}).status_code == 304


def test_new_content_changes_every_etag(client):
    make_post("Before")
    etag = client.get("/").headers["ETag"]

    make_post("After")  # calls content_changed(), as every writer does
    fresh = client.get("/", headers={"If-None-Match": etag})

    assert fresh.status_code == 200
    assert "After" in fresh.get_data(as_text=True)
    assert fresh.headers["ETag"] != etag


def test_each_url_has_its_own_etag(client):
    post = make_post("One")
    make_post("Two")
    front = client.get("/").headers["ETag"]
    detail_url = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
    detail = client.get(detail_url).headers["ETag"]
    assert front != detail
    assert client.get(detail_url, headers={"If-None-Match": front}).status_code == 200


def test_feeds_are_conditional(client):
    make_post("In the feed")
    first = client.get("/feed/")
    assert first.status_code == 200
    assert client.get("/feed/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_version_is_shared_by_every_worker(app, database_url, tmp_path):
    """Two app instances on one database stand for two gunicorn workers (or hosts)."""
    make_post("Shared")
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                        "UPLOAD_FOLDER": str(tmp_path / "up2"),
                        "CONTENT_VERSION_CACHE_SECONDS": 0})
    other_client = other.test_client()
    etag = other_client.get("/").headers["ETag"]
    assert other_client.get("/", headers={"If-None-Match": etag}).status_code == 304

    content_changed()  # in this "worker"

    assert other_client.get("/", headers={"If-None-Match": etag}).status_code == 200
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_logged_in_users_get_fresh_pages_without_etag(client, login_as):
    make_post("For editors")
    anonymous_etag = client.get("/").headers["ETag"]
    login_as(make_user("editor1", role=ROLE_ADMIN))

    response = client.get("/", headers={"If-None-Match": anonymous_etag})

    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert {"private", "no-cache"} <= {
        part.strip() for part in response.headers["Cache-Control"].split(",")
    }
    assert "Cookie" in response.headers["Vary"]


def test_reader_with_pending_comment_gets_fresh_pages(client):
    make_post("Commented")
    etag = client.get("/").headers["ETag"]
    with client.session_transaction() as session:
        session["pending_comments"] = [7]

    response = client.get("/", headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert "private" in response.headers["Cache-Control"]


def test_remember_me_cookie_makes_pages_personal(client):
    make_post("Remembered")
    etag = client.get("/").headers["ETag"]
    client.set_cookie("remember_token", "1|abc")
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "ETag" not in response.headers


def test_csrf_token_in_session_is_part_of_the_etag(client):
    """Pages with a form carry the reader's CSRF token: their copy is theirs alone."""
    make_post("Forms")
    with client.session_transaction() as session:
        session["csrf_token"] = "a" * 40
    first = client.get("/")
    assert "private" in first.headers["Cache-Control"]
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    with client.session_transaction() as session:
        session["csrf_token"] = "b" * 40
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_scheduled_post_going_public_changes_the_etag(client):
    make_post("Already out")
    make_post("Soon", published_at=utcnow() + timedelta(seconds=1.5))
    first = client.get("/")
    assert "Soon" not in first.get_data(as_text=True)

    time.sleep(2)
    response = client.get("/", headers={"If-None-Match": first.headers["ETag"]})

    assert response.status_code == 200
    assert "Soon" in response.get_data(as_text=True)
    stored = db.session.get(Setting, VERSION_KEY)
    db.session.refresh(stored)
    assert " " not in stored.value  # no scheduled post left to wait for


def test_not_found_and_redirects_carry_no_etag(client):
    assert "ETag" not in client.get("/no-such-page/").headers
    make_post("Moved")
    assert "ETag" not in client.get("/page/1/").headers  # 301 to /


def test_fingerprinted_static_files_are_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    stylesheet = next(part.split('"')[0] for part in html.split('href="')[1:]
                      if part.startswith("/static/css/site.css?v="))
    with client.get(stylesheet) as response:
        assert response.status_code == 200
        cache_control = {p.strip() for p in response.headers["Cache-Control"].split(",")}
        assert cache_control >= {"public", "max-age=31536000", "immutable"}
