"""Real nginx with the shipped cache recipe in front of real gunicorn: public pages
come from nginx's cache, personal ones never do and never reach another reader,
a moderator's approval reaches every reader within s-maxage plus the version
bound, 304s pass through, and neither a deploy nor an outage shows a 5xx."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from urllib.parse import urlencode

import pytest

from tests.servers import (
    ORIGIN,
    cookie_of,
    csrf_of,
    fetch,
    log_in,
    make_small_blog,
    start_gunicorn,
    start_nginx,
)

pytestmark = pytest.mark.slow
S_MAXAGE = 2
VERSION_SECONDS = 1.0
# The time one answer takes on a busy 2-core machine (the bound is S_MAXAGE + VERSION_SECONDS).
SLACK = 1.5


@pytest.fixture
def blog(app, ctx):
    return make_small_blog()


@pytest.fixture
def servers(app, database_url, tmp_path, blog, ctx):
    gunicorn = start_gunicorn(
        database_url,
        tmp_path / "instance",
        BLOGAPP_HTTP_CACHE_S_MAXAGE=str(S_MAXAGE),
        BLOGAPP_CONTENT_VERSION_CACHE_SECONDS=str(VERSION_SECONDS),
    )
    try:
        nginx = start_nginx(tmp_path / "nginx", [gunicorn.port])
    except BaseException:
        gunicorn.stop()
        raise
    yield gunicorn, nginx
    nginx.stop()
    gunicorn.stop()


def test_public_pages_come_from_nginx_and_personal_ones_never_reach_others(servers, blog):
    _, nginx = servers
    first, second = fetch(nginx.port, "/"), fetch(nginx.port, "/")
    assert (first.status, second.status) == (200, 200)
    assert first.headers["X-Cache-Status"] in ("MISS", "EXPIRED")
    assert second.headers["X-Cache-Status"] == "HIT"
    assert first.body == second.body and "Set-Cookie" not in second.headers

    # A logged-in editor's pages bypass the cache both ways.
    cookie = log_in(nginx.port)
    mine = fetch(nginx.port, "/", headers={"Cookie": cookie})
    assert mine.headers["X-Cache-Status"] == "BYPASS"
    assert "Dashboard" in mine.text and mine.headers["Cache-Control"] == "private, no-store"
    assert "Dashboard" not in fetch(nginx.port, "/").text

    # A reader whose comment awaits moderation sees it; nobody else ever does.
    page = fetch(nginx.port, blog["path"])
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page.text).group(1)
    form = urlencode(
        {
            "author_name": "Dara",
            "author_email": "dara@example.org",
            "author_url": "",
            "body": "My own words, not yet approved.",
            "parent_id": "",
            "form_token": token,
            "homepage": "",
        }
    )
    posted = fetch(
        nginx.port,
        f"/comments/post/{blog['post_id']}",
        "POST",
        body=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **ORIGIN},
    )
    assert posted.status == 302
    theirs = fetch(nginx.port, blog["path"], headers={"Cookie": cookie_of(posted)})
    assert "My own words, not yet approved." in theirs.text
    assert theirs.headers["X-Cache-Status"] == "BYPASS"
    for _ in range(3):
        other = fetch(nginx.port, blog["path"])
        assert "My own words" not in other.text and "awaiting moderation" not in other.text


def test_a_cross_site_comment_through_nginx_is_refused(servers, blog):
    _, nginx = servers
    page = fetch(nginx.port, blog["path"])
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page.text).group(1)
    form = urlencode(
        {
            "author_name": "X",
            "author_email": "x@example.org",
            "author_url": "",
            "body": "Forged.",
            "parent_id": "",
            "form_token": token,
            "homepage": "",
        }
    )
    answer = fetch(
        nginx.port,
        f"/comments/post/{blog['post_id']}",
        "POST",
        body=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://elsewhere.example",
        },
    )
    assert answer.status == 403


def test_an_approved_comment_reaches_every_reader_within_the_bound(servers, blog):
    _, nginx = servers
    for _ in range(3):
        assert "question, held." not in fetch(nginx.port, blog["path"]).text
    assert fetch(nginx.port, blog["path"]).headers["X-Cache-Status"] == "HIT"

    cookie = log_in(nginx.port)
    screen = fetch(nginx.port, "/admin/comments", headers={"Cookie": cookie})
    cookie = cookie_of(screen) or cookie  # the session now holds its CSRF token
    approved = fetch(
        nginx.port,
        f"/admin/comments/{blog['held_id']}/approve",
        "POST",
        body=urlencode({"csrf_token": csrf_of(screen.text)}).encode(),
        headers={"Cookie": cookie, **ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert approved.status == 302
    changed_at = time.monotonic()
    bound = S_MAXAGE + VERSION_SECONDS
    while True:  # readers ask as they would; each answer is checked against the bound
        answer = fetch(nginx.port, blog["path"])
        waited = time.monotonic() - changed_at
        if "question, held." in answer.text:
            break
        assert waited <= bound + SLACK, f"still the old page after {waited:.1f}s"
        time.sleep(0.1)  # the next reader's request
    assert waited <= bound + SLACK


def test_a_304_passes_through_nginx(servers):
    _, nginx = servers
    fetch(nginx.port, "/")
    kept = fetch(nginx.port, "/")
    answer = fetch(nginx.port, "/", headers={"If-None-Match": kept.headers["ETag"]})
    assert answer.status == 304 and answer.body == b""
    assert answer.headers["ETag"] == kept.headers["ETag"]


def test_nginx_serves_the_kept_page_while_the_app_is_down(servers):
    gunicorn, nginx = servers
    before = fetch(nginx.port, "/")
    assert before.status == 200
    gunicorn.stop()
    down = fetch(nginx.port, "/")
    assert down.status == 200 and down.body == before.body
    assert down.headers["X-Cache-Status"] in ("HIT", "STALE")


def test_a_burst_of_readers_during_a_deploy_sees_no_5xx(servers, blog):
    gunicorn, nginx = servers
    statuses: list[int] = []
    errors: list[str] = []
    # Search is left out: its per-worker cap sheds a burst with 503s on purpose.
    paths = ["/", blog["path"], "/feed/", "/feed/atom/", "/2026/"]

    def reader(n: int) -> None:
        # Half of them carry a session cookie, so they pass nginx's cache to gunicorn.
        headers = {"Cookie": "session=not-a-real-one"} if n % 2 else {}
        for i in range(60):
            try:
                statuses.append(fetch(nginx.port, paths[i % len(paths)], headers=headers).status)
            except OSError as error:
                errors.append(repr(error))

    booted = gunicorn.log.read_text().count("Booting worker")
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    os.kill(gunicorn.process.pid, signal.SIGHUP)  # what a deploy does: new workers, old ones drain
    for thread in threads:
        thread.join(timeout=120)
    deadline = time.monotonic() + 30
    while gunicorn.log.read_text().count("Booting worker") < booted + 2:
        assert time.monotonic() < deadline, gunicorn.log.read_text()[-2000:]
        time.sleep(0.1)  # the new workers are starting
    assert errors == []
    assert len(statuses) == 8 * 60
    assert [s for s in statuses if s >= 500] == []


def test_nginx_refuses_a_search_flood_from_one_address_before_the_app(servers):
    gunicorn, nginx = servers
    # The app's JSON line per request (blogapp/request_log.py) names the route; a path's
    # query (a reader's search) is left out of it.
    searches_before = gunicorn.log.read_text().count('"route":"posts.index"')
    # 1 + a burst of 10 pass at once (then one every 2 s); the rest are nginx's.
    passed = [fetch(nginx.port, f"/?s=harbour&r={n}") for n in range(11)]
    assert [a.status for a in passed] == [200] * 11
    # nginx trickles each refusal out (limit_rate): a script that asks again at once
    # waits, idle; nine of them at once take the same few seconds as one.
    timed: list[tuple[float, object]] = []

    def ask(n: int) -> None:
        started = time.monotonic()
        answer = fetch(nginx.port, f"/?s=harbour&r={n}")
        timed.append((time.monotonic() - started, answer))

    askers = [threading.Thread(target=ask, args=(n,)) for n in range(11, 20)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(timeout=60)
    answers = passed + [answer for _, answer in timed]
    statuses = [a.status for a in answers]
    refused = [a for a in answers if a.status == 429]
    assert len(refused) >= 5, statuses
    for answer in refused:
        assert answer.headers["Retry-After"] == "2"
        assert "Too many searches from your address" in answer.text
    assert min(seconds for seconds, answer in timed if answer.status == 429) >= 2
    searches_seen_by_app = gunicorn.log.read_text().count('"route":"posts.index"') - searches_before
    assert searches_seen_by_app == 20 - len(refused)
    # Readers of other pages are not counted.
    assert [fetch(nginx.port, "/").status for _ in range(15)] == [200] * 15
