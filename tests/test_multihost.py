"""More than one host: two gunicorn servers with their own instance folders share
one PostgreSQL and one Redis behind one nginx upstream. A moderator's change made
through one is seen through the other within CONTENT_VERSION_CACHE_SECONDS, and
through nginx within s-maxage more."""

from __future__ import annotations

import os
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import on_postgres
from tests.servers import (
    ORIGIN,
    cookie_of,
    csrf_of,
    fetch,
    log_in,
    make_small_blog,
    require,
    start_gunicorn,
    start_nginx,
)

pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("BLOGAPP_TEST_REDIS_URL", "")
HELD = "question, held."  # the held comment's words
S_MAXAGE = 2
VERSION_SECONDS = 1.0
SLACK = 1.5  # the time one answer takes on a busy 2-core machine


@pytest.fixture
def blog(app, ctx):
    return make_small_blog()


@pytest.fixture
def hosts(app, database_url, tmp_path, blog, ctx):
    if not on_postgres():
        pytest.skip("runs in the PostgreSQL pass (BLOGAPP_TEST_DATABASE_URL)")
    require("Redis", bool(REDIS_URL), "set BLOGAPP_TEST_REDIS_URL to a Redis database")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = {
        "REDIS_URL": REDIS_URL,
        "BLOGAPP_HTTP_CACHE_S_MAXAGE": str(S_MAXAGE),
        "BLOGAPP_CONTENT_VERSION_CACHE_SECONDS": str(VERSION_SECONDS),
    }
    started = []
    try:
        for name in ("host-a", "host-b"):
            started.append(start_gunicorn(database_url, tmp_path / name, **settings))
        started.append(start_nginx(tmp_path / "nginx", [s.port for s in started]))
        yield started
    finally:
        for server in reversed(started):
            server.stop()


def seen_within(port: int, path: str, since: float, bound: float) -> float:
    while True:
        answer = fetch(port, path)
        waited = time.monotonic() - since
        if HELD in answer.text:
            return waited
        assert waited <= bound, f"still the old page on :{port} after {waited:.1f}s"
        time.sleep(0.1)  # the next reader's request


def test_a_change_through_one_host_is_seen_through_the_other(hosts, blog):
    host_a, host_b, nginx = hosts
    for port in (host_a.port, host_b.port, nginx.port, nginx.port):
        assert HELD not in fetch(port, blog["path"]).text

    cookie = log_in(host_a.port)
    screen = fetch(host_a.port, "/admin/comments", headers={"Cookie": cookie})
    cookie_after = cookie_of(screen) or cookie
    approved = fetch(
        host_a.port,
        f"/admin/comments/{blog['held_id']}/approve",
        "POST",
        body=urlencode({"csrf_token": csrf_of(screen.text)}).encode(),
        headers={
            "Cookie": cookie_after,
            **ORIGIN,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert approved.status == 302
    changed_at = time.monotonic()

    seen_within(host_b.port, blog["path"], changed_at, VERSION_SECONDS + SLACK)
    seen_within(nginx.port, blog["path"], changed_at, S_MAXAGE + VERSION_SECONDS + SLACK)


def test_pages_are_kept_in_the_shared_redis(hosts):
    import redis

    host_a, _, _ = hosts
    assert fetch(host_a.port, "/").status == 200
    assert redis.Redis.from_url(REDIS_URL).keys("*page:*")
