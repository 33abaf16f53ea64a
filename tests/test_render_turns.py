"""A worker renders a missing page once at a time: readers who ask for it while
another thread renders it wait for that render (page_cache.RenderTurns), and a
render that keeps nothing, or takes too long, lets them render their own."""

from __future__ import annotations

import threading
import time

import pytest

from blogapp.content_version import SITE
from blogapp.page_cache import KeptPage, page_key
from tests.factories import make_post

TURNS, STORE = "blogapp.page_render_turns", "blogapp.page_store"


def key_of(app, path: str) -> str:
    with app.test_request_context(path):
        return page_key()


def until(condition, seconds: float = 10.0) -> None:
    """Wait for another thread to reach a state (not for time to pass)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.001)


def in_thread(app, path: str):
    answers: list = []
    reader = threading.Thread(target=lambda: answers.append(app.test_client().get(path)))
    reader.start()
    return reader, answers


@pytest.fixture
def post(app):
    with app.app_context():
        return make_post("Courts and the press", "Words about **courts**.").id


def test_a_reader_waits_for_the_render_under_way_and_gets_its_page(app, post):
    turns = app.extensions[TURNS]
    key = key_of(app, "/")
    assert turns.claim(key) is None  # another thread of this worker is rendering "/"

    reader, answers = in_thread(app, "/")
    until(lambda: turns.waiting(key) == 1)
    assert answers == []  # it waits rather than rendering "/" a second time
    headers = (("Content-Type", "text/html; charset=utf-8"), ("ETag", '"once"'))
    # Under the site's scope: kept until the site changes, whatever comments do.
    page = KeptPage(200, b"<p>rendered once</p>", headers, "once", SITE)
    app.extensions[STORE].put(key, page)
    turns.finish(key)
    reader.join(10)

    assert answers[0].status_code == 200
    assert answers[0].get_data() == b"<p>rendered once</p>"


def test_when_the_render_keeps_nothing_the_waiting_reader_renders_its_own(app, post):
    turns = app.extensions[TURNS]
    key = key_of(app, "/")
    turns.claim(key)

    reader, answers = in_thread(app, "/")
    until(lambda: turns.waiting(key) == 1)
    turns.finish(key)  # that render was personal, or failed: nothing was kept
    reader.join(10)

    assert answers[0].status_code == 200
    assert b"Courts and the press" in answers[0].get_data()


@pytest.mark.parametrize("app_config", [{"PAGE_RENDER_WAIT_SECONDS": 0}])
def test_a_reader_does_not_wait_past_the_setting(app, post):
    turns = app.extensions[TURNS]
    key = key_of(app, "/")
    turns.claim(key)  # a render that never ends

    answer = app.test_client().get("/")

    assert answer.status_code == 200 and b"Courts and the press" in answer.get_data()
    assert turns.waiting(key) == 0


def test_every_render_ends_its_turn_kept_or_not(app, post):
    client = app.test_client()
    assert client.get("/").status_code == 200  # kept
    assert client.get("/no-such-page/").status_code == 404  # not kept
    turns = app.extensions[TURNS]
    for path in ("/", "/no-such-page/"):
        assert turns.claim(key_of(app, path)) is None, path  # nobody holds it any more
