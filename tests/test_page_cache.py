"""Cookie-less readers of listings and feeds get pages rendered once per content
version; nobody ever gets a stale or someone else's page."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from blogapp.models import ROLE_EDITOR, utcnow
from blogapp.page_cache import PageCache
from blogapp.posts.queries import content_changed
from tests.factories import make_post, make_user


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_BYTES": 1024 * 1024}


def test_second_reader_gets_the_stored_page_without_rendering(client, count_queries):
    make_post("Courts and confidence")
    first = client.get("/")

    with count_queries() as q:
        second = client.get("/")

    assert second.status_code == 200
    assert second.data == first.data
    assert "Courts and confidence" in second.get_data(as_text=True)
    # The worker read the content version a moment ago: answered before Flask, no query.
    assert q.statements == []
    for name in ("ETag", "Cache-Control", "Vary", "Content-Type", "Content-Security-Policy",
                 "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert second.headers[name] == first.headers[name], name
    first_feed = client.get("/feed/")
    with count_queries() as q:
        second_feed = client.get("/feed/")
    assert q.statements == [] and second_feed.data == first_feed.data
    assert second_feed.headers["Content-Type"] == first_feed.headers["Content-Type"]


def test_once_the_version_is_stale_the_stored_page_costs_one_query(app, client, count_queries):
    app.config["CONTENT_VERSION_CACHE_SECONDS"] = 0
    make_post("Courts and confidence")
    first = client.get("/")

    with count_queries() as q:
        second = client.get("/")

    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert len(q.statements) == 1 and "FROM settings" in q.statements[0]  # the version only


def test_a_change_on_another_worker_reaches_kept_pages_once_the_version_is_stale(
    app, client
):
    from sqlalchemy import update

    from blogapp.extensions import db
    from blogapp.http_cache import VERSION_KEY
    from blogapp.models import Setting

    app.config["CONTENT_VERSION_CACHE_SECONDS"] = 1.5
    make_post("Kept for a moment")
    assert "Published elsewhere" not in client.get("/").get_data(as_text=True)
    # Another worker publishes (its content_changed() stores a new version) ...
    make_post("Published elsewhere", commit=False)
    db.session.execute(update(Setting).where(Setting.key == VERSION_KEY).values(value="v2"))
    db.session.commit()
    # ... this worker keeps answering from its copy briefly, then sees it.
    assert "Published elsewhere" not in client.get("/").get_data(as_text=True)
    time.sleep(1.6)
    assert "Published elsewhere" in client.get("/").get_data(as_text=True)


def test_readers_with_cookies_and_head_requests_go_through_flask(app, client, count_queries):
    make_post("Through Flask")
    client.get("/")

    with count_queries() as q:
        client.set_cookie("unrelated", "1")
        with_cookie = client.get("/")
    assert with_cookie.status_code == 200 and len(q.statements) == 1

    client.delete_cookie("unrelated")
    with count_queries() as q:
        head = client.head("/")
    assert head.status_code == 200 and len(q.statements) >= 1


def test_a_change_readers_see_is_served_at_once(client):
    make_post("First op-ed")
    assert "Second op-ed" not in client.get("/").get_data(as_text=True)

    make_post("Second op-ed")  # saving calls content_changed(), as the editor does

    assert "Second op-ed" in client.get("/").get_data(as_text=True)


def test_a_scheduled_post_appears_when_its_time_comes(client):
    make_post("Now")
    make_post("Soon", published_at=utcnow() + timedelta(seconds=1.5))
    content_changed()
    assert "Soon" not in client.get("/").get_data(as_text=True)

    time.sleep(1.6)

    assert "Soon" in client.get("/").get_data(as_text=True)


def test_logged_in_users_and_readers_with_cookies_never_share_pages(app, client, login_as):
    make_post("Shared listing")
    anonymous = client.get("/").get_data(as_text=True)
    assert "Dashboard" not in anonymous

    login_as(make_user("ed", role=ROLE_EDITOR))
    mine = client.get("/")

    assert "Dashboard" in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in mine.headers


def test_pages_that_set_a_cookie_are_not_stored(app, client):
    post = make_post("With a comment form")
    permalink = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"

    first = client.get(permalink)
    other_reader = app.test_client()
    second = other_reader.get(permalink)

    assert "Set-Cookie" in first.headers and "Set-Cookie" in second.headers
    assert first.headers["ETag"] != second.headers["ETag"]  # each holds its own CSRF token
    assert first.headers["Cache-Control"] == second.headers["Cache-Control"] == "private, no-cache"
    # Only the post page with holes for the tokens is kept, never a reader's own copy.
    kept = app.extensions["blogapp.pages"]
    assert len(kept) == 1
    assert all(entry[0][2] == post.id for entry in kept._entries.values())


def test_the_store_is_bounded_by_bytes_and_keeps_the_recently_used():
    pages = PageCache(800)
    for key in "abcd":
        pages.put(key, b"x" * 100, "text/html")
    pages.get("a")
    pages.put("e", b"y" * 100, "text/html")
    pages.put("huge", b"z" * 101, "text/html")  # over an eighth of the store: never stored

    assert pages.get("huge") is None
    assert pages.get("a") is not None and pages.get("e") is not None
    for key in "fghijk":
        pages.put(key, b"x" * 100, "text/html")
    assert len(pages) == 8 and pages.get("b") is None


def _permalink(post) -> str:
    return f"/{post.published_at:%Y/%m/%d}/{post.slug}/"


def test_a_long_thread_is_rendered_once_per_version(client, count_queries):
    from blogapp.comments import services
    from blogapp.models import COMMENT_PENDING
    from tests.factories import make_comment

    post = make_post("Much discussed")
    first = make_comment(post, "The first word.")
    for i in range(30):
        make_comment(post, f"Reply number {i}.", parent=first if i % 2 else None, commit=False)
    held = make_comment(post, "A late thought.", status=COMMENT_PENDING)
    content_changed()
    before = client.get(_permalink(post)).get_data(as_text=True)
    assert "Reply number 29." in before and "A late thought." not in before

    with count_queries() as q:
        again = client.get(_permalink(post)).get_data(as_text=True)
    assert not any("FROM comments" in s for s in q.statements)
    assert again.count('class="comment ') == before.count('class="comment ')

    services.approve(held, make_user("mod", role=ROLE_EDITOR))  # as the moderation screen does

    assert "A late thought." in client.get(_permalink(post)).get_data(as_text=True)


def test_a_reader_with_a_pending_comment_sees_it_despite_the_kept_thread(app, client):
    from tests.conftest import csrf_token_from

    post = make_post("Open thread")
    assert client.get(_permalink(post)).status_code == 200  # the shared list is now kept
    page = client.get(_permalink(post)).get_data(as_text=True)
    token = csrf_token_from(page)
    form_token = page.split('name="form_token" type="hidden" value="')[1].split('"')[0]

    client.post(f"/comments/post/{post.id}", data={
        "csrf_token": token, "form_token": form_token, "author_name": "Reader",
        "author_email": "reader@example.org", "body": "Held for now, seen by me.",
    })
    mine = client.get(_permalink(post)).get_data(as_text=True)
    others = app.test_client().get(_permalink(post)).get_data(as_text=True)

    assert "Held for now, seen by me." in mine and "awaiting moderation" in mine
    assert "Held for now, seen by me." not in others


def _tokens(html: str) -> tuple[str, str]:
    from tests.conftest import csrf_token_from

    form_token = html.split('name="form_token" type="hidden" value="')[1].split('"')[0]
    return csrf_token_from(html), form_token


def test_a_post_page_is_kept_with_fresh_tokens_for_each_reader(app, count_queries):
    from blogapp.models import Comment
    from tests.factories import make_comment

    post = make_post("Kept page", "A body worth reading.")
    make_comment(post, "An approved view.")
    content_changed()
    first_reader, second_reader = app.test_client(), app.test_client()
    first = first_reader.get(_permalink(post)).get_data(as_text=True)

    with count_queries() as q:
        answer = second_reader.get(_permalink(post))
        second = answer.get_data(as_text=True)

    assert q.statements == []  # answered before Flask: the version was read a moment ago
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in answer.headers["Vary"] and answer.headers["Content-Security-Policy"]
    assert "An approved view." in second and "A body worth reading." in second
    assert _tokens(first) != _tokens(second)
    assert "\x00" not in second
    csrf, form_token = _tokens(second)
    answer = second_reader.post(f"/comments/post/{post.id}", data={
        "csrf_token": csrf, "form_token": form_token, "author_name": "Second",
        "author_email": "second@example.org", "body": "Sent from a kept page.",
    })
    assert answer.status_code == 302
    from blogapp.extensions import db

    stored = db.select(db.func.count()).select_from(Comment)
    assert db.session.scalar(stored.where(Comment.body == "Sent from a kept page.")) == 1
    # Its author now has a pending comment: their page is their own, rendered for them.
    mine = second_reader.get(_permalink(post)).get_data(as_text=True)
    assert "Sent from a kept page." in mine and "awaiting moderation" in mine
    assert "Sent from a kept page." not in first_reader.get(_permalink(post)).get_data(as_text=True)


def test_a_kept_post_page_follows_new_content(app, client):
    from blogapp.comments import services
    from blogapp.models import COMMENT_PENDING
    from tests.factories import make_comment

    post = make_post("Changing page")
    held = make_comment(post, "Soon to be approved.", status=COMMENT_PENDING)
    content_changed()
    assert "Soon to be approved." not in client.get(_permalink(post)).get_data(as_text=True)

    services.approve(held, make_user("mod2", role=ROLE_EDITOR))

    assert "Soon to be approved." in app.test_client().get(_permalink(post)).get_data(as_text=True)


def test_threads_asking_for_the_same_new_page_render_it_once(app):
    import threading

    from flask import before_render_template

    make_post("Everyone at once")
    renders = []

    def slow_render(sender, template, context, **extra):
        if template.name == "posts/index.html":
            renders.append(threading.get_ident())
            time.sleep(0.3)  # the other readers arrive while the first one renders

    before_render_template.connect(slow_render, app)
    bodies = []

    def read():
        bodies.append(app.test_client().get("/").data)

    readers = [threading.Thread(target=read) for _ in range(4)]
    try:
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout=30)
    finally:
        before_render_template.disconnect(slow_render, app)

    assert len(bodies) == 4 and len(set(bodies)) == 1
    assert len(renders) == 1
    assert len(app.extensions["blogapp.renders"]) == 0  # nothing left held


def test_a_render_that_takes_too_long_does_not_hold_up_the_others():
    import threading

    from blogapp.page_cache import RenderOnce

    renders = RenderOnce(wait_seconds=0.1)
    assert renders.acquire("home")
    assert renders.acquire("other")  # other pages are not held up
    waited = []
    thread = threading.Thread(target=lambda: waited.append(renders.acquire("home")))
    thread.start()
    thread.join()

    assert waited == [False]  # gave up waiting: renders the page itself
    renders.release("home")
    renders.release("other")
    assert len(renders) == 0 and renders.acquire("home")
