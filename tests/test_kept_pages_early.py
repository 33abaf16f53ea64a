"""A kept page answered before Flask builds the request (``BlogFlask.wsgi_app``): the
same status, headers and bytes as Flask's own path gives, logged and named by its
route as any request is, and never for a request a hook of Flask's path would answer
differently (a malformed query, a session, a body, a part to render again)."""

from __future__ import annotations

import json
import logging

import pytest
from flask import request

from tests.factories import make_comment, make_post

# What differs between any two answers: each request has its own id.
OWN = {"X-Request-ID"}


@pytest.fixture
def hooked(app):
    """Paths Flask's request hooks saw: a hook put first of all runs for every request
    Flask builds, and for none answered before it. A request sent with ``THROUGH_FLASK``
    is never answered early (a guard, as a feature would add one)."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(request.path))
    app.guard_kept_pages(lambda app, environ: "HTTP_X_THROUGH_FLASK" not in environ)
    return seen


THROUGH_FLASK = {"X-Through-Flask": "1"}


def through_flask(client, path, headers=None):
    """The same request through Flask's request and its page-cache hook."""
    return client.get(path, headers={**(headers or {}), **THROUGH_FLASK})


def same_answer(early, flask_made) -> None:
    assert early.status_code == flask_made.status_code
    assert early.get_data() == flask_made.get_data()
    strip = lambda r: [(k, v) for k, v in r.headers.items() if k not in OWN]  # noqa: E731
    assert strip(early) == strip(flask_made)
    assert early.headers["X-Request-ID"] and flask_made.headers["X-Request-ID"]


def test_a_kept_page_and_its_304_are_flasks_answers_without_its_hooks(ctx, client, hooked):
    post = make_post("Harbour news", "The harbour opens.")
    make_comment(post, "A first word.")  # the sidebar's latest comments: a part
    for path in ("/", post_path := f"/{post.published_at:%Y/%m/%d}/{post.slug}/"):
        first = client.get(path)
        assert first.status_code == 200 and hooked == [path]
        early = client.get(path)
        assert hooked == [path], "a kept page is answered before Flask's hooks"
        assert early.get_data() == first.get_data()
        same_answer(early, through_flask(client, path))
        assert hooked == [path, path]
        hooked.clear()
        etag = {"If-None-Match": early.headers["ETag"]}
        not_modified = client.get(path, headers=etag)
        assert not_modified.status_code == 304 and hooked == []
        same_answer(not_modified, through_flask(client, path, etag))
        head = client.head(path)
        assert head.status_code == 200 and head.get_data() == b"" and hooked == [path]
        hooked.clear()
    assert post_path


def test_what_flask_must_see_still_goes_through_flask(app, ctx, client, hooked):
    post = make_post("Harbour news", "The harbour opens.")
    kept = client.get("/")
    hooked.clear()
    # Facebook's and Telegram's parameters change nothing: the same kept page, early.
    assert client.get("/?fbclid=IwAR0abc&utm_source=telegram").get_data() == kept.get_data()
    assert hooked == []
    # A malformed query gets its 400 from Flask's guard, never the kept page.
    assert client.get("/?%00=1").status_code == 400
    assert client.get("/?q=%C0%AF").status_code == 400
    # Perhaps a signed-in reader: Flask's session decides.
    reader = app.test_client()
    reader.set_cookie(app.config["SESSION_COOKIE_NAME"], "anything")
    reader.get("/")
    client.head("/", headers={"Content-Length": "3"}, data=b"abc")  # a body to check
    assert hooked == ["/", "/", "/", "/"]
    hooked.clear()
    # A new comment changes the sidebar's latest comments: the kept page is not current,
    # so Flask renders it again, and the next request is answered early again.
    make_comment(post, "A second word.", author_name="Sokunthea")
    page = client.get("/")
    assert "Sokunthea</span>" in page.get_data(as_text=True) and hooked == ["/"]
    assert client.get("/").get_data() == page.get_data() and hooked == ["/"]


def test_an_early_answer_is_logged_with_its_route_and_id(caplog, ctx, app):
    from blogapp.request_log import logger

    make_post("Harbour news", "The harbour opens.")
    client = app.test_client()
    client.get("/")
    caplog.clear()
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="blogapp.request"):
            sent = "0123456789abcdef0123456789abcdef"
            answer = client.get("/", headers={"X-Request-ID": sent})
    finally:
        logger.removeHandler(caplog.handler)
    assert answer.headers["X-Request-ID"] == sent
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "blogapp.request"]
    assert line["id"] == sent and line["cache"] == "hit"
    assert line["route"] == "posts.index" and line["status"] == 200 and line["path"] == "/"


def test_a_part_to_render_again_sends_a_kept_page_through_flask(ctx, client, hooked):
    """A comment on another post leaves a post's kept page current, but not the
    sidebar's latest comments filled into it: rendering a part needs Flask's request."""
    post, other = make_post("Harbour news"), make_post("Rice prices")
    path = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
    client.get(path)
    client.get(path)
    assert hooked == [path]
    make_comment(other, "Prices rose.", author_name="Sokunthea")
    page = client.get(path)
    assert "Sokunthea</span>" in page.get_data(as_text=True) and hooked == [path, path]
    assert client.get(path).get_data() == page.get_data() and hooked == [path, path]
