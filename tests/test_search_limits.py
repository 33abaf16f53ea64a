"""One reader with a script cannot slow the blog down for everyone (issue 20):
costly pages are rate-limited per address, each worker runs only a few searches
at once, each search has a time budget, and a search has one canonical URL.

Nothing here waits for time to pass: the budget's clock is injected (a clock
that jumps), and on PostgreSQL the slow query is a real one, kept waiting on a
table lock held by another connection."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from blogapp import create_app
from blogapp.extensions import db
from blogapp.models import utcnow
from blogapp.search.budget import PROGRESS_STEPS, sqlite_deadline
from blogapp.search.limits import ShedLog, search_slots
from tests.conftest import BASE_CONFIG, on_postgres
from tests.factories import make_post
from tests.helpers import restart_worker
from tests.servers import free_port

# A recursive count that runs far more than PROGRESS_STEPS SQLite instructions.
LONG_SQLITE_QUERY = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
    "SELECT count(*) FROM n"
)


class JumpingClock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def make_harvest_posts(count: int) -> None:
    """Reports 0 … count-1, written in the order they are published (the last is newest)."""
    now = utcnow()
    for i in range(count):
        make_post(
            f"Report {i}",
            f"The harvest season, part {i}.",
            commit=False,
            published_at=now - timedelta(hours=count - i),
        )
    db.session.commit()


def result_titles(html: str) -> list[str]:
    found = re.findall(r'class="entry-title"><a href="[^"]+" rel="bookmark">(.*?)</a>', html)
    return [re.sub(r"</?mark>", "", t) for t in found]


# -- per-address rate limits: the 429 page ------------------------------------------------


@pytest.mark.parametrize("app_config", [{"SEARCH_RATE_LIMIT": "2 per minute"}])
def test_searches_over_the_limit_get_the_429_page_with_retry_after(client, ctx):
    make_post("Harvest", "harvest season")

    assert client.get("/?s=harvest").status_code == 200
    assert client.get("/?s=season").status_code == 200
    refused = client.get("/?s=rice")

    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Too many requests" in html
    assert "You have searched a lot in a short time" in html
    assert 'class="site-title"' in html  # the site's own design, not a bare error
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert f"wait {refused.headers['Retry-After']} seconds" in html
    assert refused.headers["Cache-Control"] == "no-store"
    # Search pages are shared through the caches: no per-reader rate-limit headers on them.
    assert not any(h.startswith("X-RateLimit") for h in client.get("/?s=harvest").headers.keys())
    # Reading is not searching: the front page and a post are not limited.
    assert client.get("/").status_code == 200


DEEP = {"POSTS_PER_PAGE": 1, "DEEP_PAGES_FROM": 3, "DEEP_PAGE_RATE_LIMIT": "2 per minute"}


@pytest.mark.parametrize("app_config", [DEEP])
def test_deep_listing_and_comment_pages_share_one_limit(client, ctx):
    post = make_post("Harvest", "harvest season")
    for i in range(6):
        make_post(f"Post {i}")
    permalink = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"

    assert client.get("/page/2/").status_code == 200  # before DEEP_PAGES_FROM: free
    assert client.get("/page/3/").status_code == 200
    assert client.get("/page/4/").status_code == 200
    assert client.get("/page/5/").status_code == 429
    assert client.get(permalink, query_string={"cpage": "7"}).status_code == 429

    # The first pages, a post and search are not part of that budget.
    assert client.get("/").status_code == 200
    assert client.get("/page/2/").status_code == 200
    assert client.get(permalink).status_code == 200
    assert client.get("/?s=harvest").status_code == 200


# -- the per-worker cap on concurrent searches ------------------------------------------


@pytest.mark.parametrize("app_config", [{"SEARCH_MAX_CONCURRENT": 1}])
def test_a_search_beyond_the_workers_cap_gets_a_quick_503(app, client, ctx):
    make_post("Harvest", "harvest season")

    with search_slots().taken() as held:  # another search is running in this worker
        assert held
        busy = client.get("/?s=harvest")
        front_page = client.get("/")

    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == str(app.config["SEARCH_BUSY_RETRY_AFTER"])
    assert busy.headers["Cache-Control"] == "no-store"
    assert "Many people are searching right now" in busy.get_data(as_text=True)
    assert front_page.status_code == 200
    # The slot is free again once that search is done, and each search gives its slot back.
    assert client.get("/?s=harvest").status_code == 200
    assert client.get("/?s=season").status_code == 200


@pytest.mark.parametrize("app_config", [{"SEARCH_MAX_CONCURRENT": 2}])
def test_slots_are_shared_by_the_workers_threads(app, ctx):
    slots = search_slots()
    taken = []

    def search_in_a_thread(entered: threading.Event, leave: threading.Event) -> None:
        with slots.taken() as got:
            taken.append(got)
            entered.set()
            leave.wait(10)

    leave = threading.Event()
    threads = []
    for _ in range(2):
        entered = threading.Event()
        thread = threading.Thread(target=search_in_a_thread, args=(entered, leave))
        thread.start()
        entered.wait(10)
        threads.append(thread)
    with slots.taken() as third:
        assert not third
    leave.set()
    for thread in threads:
        thread.join(10)
    assert taken == [True, True]
    with slots.taken() as again:
        assert again


# -- the time budget --------------------------------------------------------------------


def test_sqlite_deadline_aborts_a_long_statement_and_is_removed_afterwards():
    connection = sqlite3.connect(":memory:")
    clock = JumpingClock(step=1.0)

    with sqlite_deadline(connection, 0.5, clock) as stopped:
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            connection.execute(LONG_SQLITE_QUERY).fetchone()
    assert stopped == [True]

    # The same connection, back in the pool, runs the same statement to its end.
    assert connection.execute(LONG_SQLITE_QUERY).fetchone() == (200000,)
    with sqlite_deadline(connection, 5.0, JumpingClock(step=0.0)) as stopped:
        assert connection.execute(LONG_SQLITE_QUERY).fetchone() == (200000,)
    assert stopped == []
    connection.close()


def test_search_past_its_budget_on_sqlite_gets_a_plain_page(app, client, ctx):
    if on_postgres():
        pytest.skip("SQLite's progress handler; PostgreSQL has its own test below")
    clock = JumpingClock(step=0.0)
    app.config.update(SEARCH_CLOCK=clock, SEARCH_TIME_BUDGET_MS=0)
    make_harvest_posts(400)
    steps = []
    raw = db.session.connection().connection.dbapi_connection
    raw.set_progress_handler(lambda: steps.append(1), 1)
    assert client.get("/?s=harvest").status_code == 200
    raw.set_progress_handler(None, 0)
    assert len(steps) > 3 * PROGRESS_STEPS, "the search is too small to be stopped midway"

    app.config["SEARCH_TIME_BUDGET_MS"] = 1000
    restart_worker(app)  # a changed setting takes a restart (the page above is kept)
    clock.step = 0.4  # each look at the clock: 0.4 s later; over 1 s at the third look
    slow = client.get("/?s=harvest")

    html = slow.get_data(as_text=True)
    assert slow.status_code == 200
    assert "This search took too long" in html
    assert "Try more words" in html
    assert result_titles(html) == []
    assert slow.headers["Cache-Control"] == "no-store"

    clock.step = 0.0
    found = client.get("/?s=harvest").get_data(as_text=True)
    assert "This search took too long" not in found
    assert "At least 500 posts found" not in found and "400 posts found" in found


@pytest.mark.skipif(not on_postgres(), reason="needs BLOGAPP_TEST_DATABASE_URL (PostgreSQL)")
def test_search_past_its_budget_on_postgres_gets_a_plain_page(app, client, ctx):
    app.config.update(SEARCH_TIME_BUDGET_MS=200)
    make_post("Harvest", "harvest season")
    client.get("/")  # the sidebar is kept: after this, only the search reads posts
    assert "1 post found" in client.get("/?s=harvest").get_data(as_text=True)
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"
    db.session.rollback()

    restart_worker(app)  # the search above is kept: this one must reach the database
    # Another connection holds the posts table: the search waits for it, past its budget.
    # The timer lets go after 10 s in any case, so a broken budget fails instead of hanging.
    locker = db.engine.connect()
    transaction = locker.begin()
    locker.exec_driver_sql("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
    release = threading.Timer(10, transaction.rollback)
    release.start()
    try:
        slow = client.get("/?s=harvest")
    finally:
        release.cancel()
        if transaction.is_active:
            transaction.rollback()
        locker.close()

    html = slow.get_data(as_text=True)
    assert slow.status_code == 200
    assert "This search took too long" in html
    assert slow.headers["Cache-Control"] == "no-store"
    db.session.rollback()
    assert "1 post found" in client.get("/?s=harvest").get_data(as_text=True)


# -- ranking a bounded candidate set ----------------------------------------------------


@pytest.mark.parametrize("app_config", [{"SEARCH_MAX_CANDIDATES": 3}])
def test_only_the_newest_matches_are_ranked_but_title_matches_are_kept(client, ctx):
    now = utcnow()
    make_post("Harvest festival", "An old post about it.", published_at=now - timedelta(days=90))
    make_post("Old news", "harvest season long ago", published_at=now - timedelta(days=80))
    make_harvest_posts(5)

    html = client.get("/?s=harvest").get_data(as_text=True)

    # The 3 newest matches, and the post with the word in its title, which comes first.
    assert result_titles(html) == ["Harvest festival", "Report 4", "Report 3", "Report 2"]
    assert "At least 4 posts found" in html


# -- canonical search URLs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [
        ("/?s=Election+budget", "/?s=budget+election"),
        ("/?s=budget+ELECTION+Budget", "/?s=budget+election"),
        ("/?s=++election+++budget+", "/?s=budget+election"),
        ("/page/2/?s=election+budget&utm_source=x", "/page/2/?s=budget+election"),
        ("/page/1/?s=budget", "/?s=budget"),
    ],
)
def test_the_same_words_in_another_order_or_case_redirect_to_one_url(client, asked, canonical, ctx):
    response = client.get(asked)

    assert response.status_code == 301
    assert response.headers["Location"] == canonical


def test_the_canonical_search_url_is_served_and_shows_the_words(client, ctx):
    for i in range(12):
        make_post(f"Budget {i}", "The election budget.")

    page = client.get("/?s=budget+election")
    later = client.get("/?s=budget+election&utm_source=newsletter")

    assert page.status_code == 200
    assert "Search results for “budget election”" in page.get_data(as_text=True)
    assert 'href="/page/2/?s=budget+election"' in page.get_data(as_text=True)
    assert later.status_code == 200  # unused parameters: the page cache's business
    followed = client.get("/?s=Election+BUDGET", follow_redirects=True)
    assert followed.request.full_path == "/?s=budget+election"
    assert followed.get_data(as_text=True) == page.get_data(as_text=True)


def test_a_shortened_query_keeps_its_url_and_notice(client, ctx):
    response = client.get("/", query_string={"s": "Word " * 100})

    assert response.status_code == 200
    assert "shortened to its first 200 characters" in response.get_data(as_text=True)


# -- what an operator sees --------------------------------------------------------------


def test_turned_away_requests_are_summed_up_in_the_log_not_one_line_each(caplog):
    clock = JumpingClock(step=0.0)
    shed = ShedLog(interval=10.0, clock=clock)

    with caplog.at_level(logging.WARNING, logger="blogapp.search"):
        shed.note("over the search rate limit", "203.0.113.9")  # the first: at once
        for _ in range(40):
            shed.note("over the search rate limit", "203.0.113.9")
        shed.note("searches turned away (all slots busy)", "198.51.100.7")
        clock.now += 10
        shed.note("over the search rate limit", "203.0.113.9")

    lines = [r.getMessage() for r in caplog.records if r.name == "blogapp.search"]
    assert len(lines) == 2
    assert "1 over the search rate limit" in lines[0]
    assert "41 over the search rate limit, 1 searches turned away (all slots busy)" in lines[1]
    assert "203.0.113.9 (41)" in lines[1]


def test_searches_are_still_answered_when_the_limits_storage_is_down(database_url, tmp_path, ctx):
    # Its own app: the suite's fixture resets the limits, which needs their storage.
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )  # nobody listens
    with app.app_context():
        if on_postgres():
            db.session.execute(text("TRUNCATE posts RESTART IDENTITY CASCADE"))
        make_post("Harvest", "harvest season")

        response = app.test_client().get("/?s=harvest")

        assert response.status_code == 200
        assert "1 post found" in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
