"""Failed logins and comments counted once for every worker (blogapp/throttle.py), in
process: the database store (SQLite, or PostgreSQL when BLOGAPP_TEST_DATABASE_URL is
set) and the Redis store (BLOGAPP_TEST_REDIS_URL; only that database is flushed).

Time is moved on through the throttle's clock, never slept away. Real servers with
several workers: tests/test_throttle_servers.py."""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import redis
from sqlalchemy import func, select

from blogapp import create_app, throttle
from blogapp.auth import two_factor
from blogapp.extensions import db
from blogapp.models import ThrottleHit
from tests.conftest import BASE_CONFIG
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from

PASSWORD = "correct horse battery"
REDIS_URL = os.environ.get("BLOGAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def set(self, **since_start) -> None:
        self.now = START + timedelta(**since_start)


def use_clock(app) -> Clock:
    clock = Clock()
    app.extensions[throttle.EXTENSION].clock = clock
    return clock


@pytest.fixture
def clock(app, ctx) -> Clock:
    return use_clock(app)


def log_in(client, username, password, address="192.0.2.1"):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    data = {
        "username": username,
        "password": password,
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
    }
    return client.post("/login", data=data, environ_base=environ)


def tried(response) -> bool:
    """The password was checked (and was wrong): the form came back with the error."""
    if response.status_code == 200:
        assert "Invalid username or password." in response.get_data(as_text=True)
        return True
    assert response.status_code == 429, response.status_code
    return False


def stored_hits() -> int:
    return db.session.scalar(select(func.count()).select_from(ThrottleHit))


def test_a_throttled_account_refuses_the_right_password_with_the_same_answer(
    app, client, clock, ctx
):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "5 per 15 minutes"  # the default is higher
    make_user("sokha", password=PASSWORD)
    # One address per attempt, as a botnet would: the account's own count stops them.
    assert [tried(log_in(client, "sokha", "guess", f"10.0.0.{n}")) for n in range(8)] == [
        True
    ] * 5 + [False] * 3

    right = log_in(client, "sokha", PASSWORD, "10.0.0.100")
    wrong = log_in(client, "sokha", "guess", "10.0.0.101")

    for response in (right, wrong):
        assert response.status_code == 429
        assert "Too many failed attempts to log in" in response.get_data(as_text=True)
        assert "wait 15 minutes" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "900"
        assert '<link rel="stylesheet"' in response.get_data(as_text=True)  # the site's page
    assert right.get_data() == wrong.get_data()
    assert client.get("/admin/").status_code == 302  # not logged in


def test_the_window_slides(client, clock, ctx):
    make_user("sokha", password=PASSWORD)
    for minute in range(5):  # one failure a minute, 09:00 to 09:04
        clock.set(minutes=minute)
        assert tried(log_in(client, "sokha", "guess"))

    clock.set(minutes=14, seconds=30)
    refused = log_in(client, "sokha", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"  # when the 09:00 failure leaves the window

    # At 09:15 the first failure is 15 minutes old: room for one attempt, not five.
    clock.set(minutes=15)
    assert tried(log_in(client, "sokha", "guess"))
    again = log_in(client, "sokha", PASSWORD)
    assert again.status_code == 429 and again.headers["Retry-After"] == "60"

    clock.set(minutes=16)
    assert log_in(client, "sokha", PASSWORD).status_code == 302


def test_a_successful_login_does_not_reset_the_address_for_other_accounts(app, client, clock, ctx):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "5 per 15 minutes"  # the default is higher
    make_user("sokha", password=PASSWORD)
    for n in range(4):
        assert tried(log_in(client, f"user{n}", "guess", "198.51.100.7"))

    assert log_in(app_client(client), "sokha", PASSWORD, "198.51.100.7").status_code == 302

    # The success was not counted and forgave nothing: one failure left for this address.
    assert tried(log_in(client, "user4", "guess", "198.51.100.7"))
    assert log_in(client, "user5", "guess", "198.51.100.7").status_code == 429
    assert log_in(app_client(client), "sokha", PASSWORD, "198.51.100.7").status_code == 429
    # Another address is not affected.
    assert log_in(app_client(client), "sokha", PASSWORD, "198.51.100.8").status_code == 302


def app_client(client):
    return client.application.test_client()


def test_successful_logins_are_not_counted(client, clock, ctx):
    make_user("sokha", password=PASSWORD)
    for _ in range(8):
        assert log_in(app_client(client), "sokha", PASSWORD).status_code == 302
    assert stored_hits() == 0


def test_two_workers_count_together(app, database_url, tmp_path, ctx):
    """Two apps on one database, as two gunicorn workers: one count, not one each."""
    make_user("sokha", password=PASSWORD)
    db.session.commit()
    config = {
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per 15 minutes",
    }
    # Not the test's app: each request then has its own app context, as in a worker.
    workers = [create_app(config), create_app(config)]
    try:
        answers = [
            tried(log_in(workers[n % 2].test_client(), "sokha", "guess", f"10.9.0.{n}"))
            for n in range(10)
        ]
        refused = log_in(workers[1].test_client(), "sokha", PASSWORD, "10.9.0.99")
    finally:
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()
    assert answers == [True] * 5 + [False] * 5
    assert refused.status_code == 429


def test_rows_are_pruned_and_name_no_one(app, client, clock, runner, ctx):
    for n in range(3):
        assert tried(log_in(client, "sokha", "guess", f"10.2.0.{n}"))
    digests = db.session.scalars(select(ThrottleHit.key_digest)).all()
    assert len(digests) == 9  # per address and account, per address, per account
    assert not any("sokha" in d or "10.2.0" in d for d in digests)

    # A later attempt, by anyone, deletes the rows whose window is over: those of
    # 15 minutes; the account's count is of an hour.
    clock.set(minutes=15)
    assert tried(log_in(client, "dara", "guess", "10.3.0.1"))
    assert stored_hits() == 3 + 3

    clock.set(minutes=80)
    result = runner.invoke(args=["prune-throttle"])
    assert result.exit_code == 0, result.output
    assert "Deleted 6 expired throttle entries." in result.output
    assert stored_hits() == 0


def test_a_limit_of_several_windows_holds_each(app, client, clock, ctx):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute; 4 per hour"
    for n in range(3):
        assert tried(log_in(client, "sokha", "guess", f"10.4.0.{n}"))
    assert log_in(client, "sokha", "guess", "10.4.0.9").headers["Retry-After"] == "60"
    clock.set(minutes=1)
    assert tried(log_in(client, "sokha", "guess", "10.4.0.10"))
    assert log_in(client, "sokha", "guess", "10.4.0.11").headers["Retry-After"] == "3540"


@pytest.fixture
def app_config():
    return {"COMMENT_RATE_LIMIT": "2 per minute"}


def post_comment(client, post, body, address="203.0.113.5"):
    page = client.get(f"/{post.published_at:%Y/%m/%d}/{post.slug}/")
    html = page.get_data(as_text=True)
    token = html.split('name="form_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    return client.post(
        f"/comments/post/{post.id}",
        environ_base={"REMOTE_ADDR": address},
        headers=BROWSER_POST,
        data={
            "author_name": "Reader",
            "author_email": "reader@example.org",
            "author_url": "",
            "body": body,
            "parent_id": "",
            "form_token": token,
        },
    )


def test_comments_are_counted_per_address_and_the_window_slides(client, clock, ctx):
    post = make_post()
    assert post_comment(client, post, "First.").status_code == 302
    clock.set(seconds=20)
    assert post_comment(client, post, "Second.").status_code == 302

    refused = post_comment(client, post, "Third.")
    assert refused.status_code == 429
    assert "You are doing that too often" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "40"
    assert post_comment(client, post, "Elsewhere.", address="203.0.113.6").status_code == 302

    clock.set(seconds=60)
    assert post_comment(client, post, "Third, later.").status_code == 302
    assert post_comment(client, post, "Fourth.").status_code == 429


def test_ratelimit_enabled_false_counts_nothing(app, client, ctx):
    app.config["RATELIMIT_ENABLED"] = False
    assert all(tried(log_in(client, "sokha", "guess")) for _ in range(8))
    assert stored_hits() == 0


def test_startup_says_once_where_limits_are_counted(
    database_url, tmp_path, caplog, monkeypatch, ctx
):
    monkeypatch.setattr(throttle, "_announced", set())
    config = {
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per 15 minutes",
    }
    caplog.set_level(logging.INFO, logger="blogapp.throttle")
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"

    made = [
        create_app(config),
        create_app(config),
        create_app({**config, "REDIS_URL": "redis://:secret@127.0.0.1:6379/9"}),
    ]

    lines = [r.getMessage() for r in caplog.records if r.name == "blogapp.throttle"]
    assert lines == [
        f"login and comment limits are counted in the database ({backend}), shared by every "
        + ("worker" if backend == "sqlite" else "worker and host"),
        "login and comment limits are counted in Redis (redis://127.0.0.1:6379/9), shared by "
        "every worker and host",
    ]
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_a_limit_that_is_not_one_stops_startup(database_url, capsys):
    with pytest.raises(SystemExit) as stopped:
        create_app(
            {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "LOGIN_RATE_LIMIT": "often"}
        )
    assert stopped.value.code == 3
    assert (
        "blogapp: error: LOGIN_RATE_LIMIT: 'often' is not a rate limit such as '5 per 15 minutes'"
    ) in capsys.readouterr().err


@pytest.fixture
def redis_app(app, database_url, tmp_path, ctx):
    """An app on Redis (beside the test's, which empties the database); its requests
    push their own app context, as in a worker."""
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "REDIS_URL": REDIS_URL,
            "LOGIN_ACCOUNT_RATE_LIMIT": "5 per 15 minutes",
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()
    server.flushdb()
    server.close()


def test_on_redis_the_window_slides_and_successes_are_taken_back(redis_app, ctx):
    clock = use_clock(redis_app)
    make_user("sokha", password=PASSWORD)
    client = redis_app.test_client
    assert log_in(client(), "sokha", PASSWORD).status_code == 302  # not counted
    for minute in range(5):
        clock.set(minutes=minute)
        assert tried(log_in(client(), "sokha", "guess", f"10.5.0.{minute}"))

    clock.set(minutes=14, seconds=30)
    refused = log_in(client(), "sokha", PASSWORD, "10.5.0.50")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"

    clock.set(minutes=15)
    assert tried(log_in(client(), "sokha", "guess", "10.5.0.51"))
    assert log_in(client(), "sokha", PASSWORD, "10.5.0.52").status_code == 429
    clock.set(minutes=16)
    assert log_in(client(), "sokha", PASSWORD, "10.5.0.53").status_code == 302
    keys = redis.Redis.from_url(REDIS_URL).keys("blogapp:throttle:*")
    assert keys and not any(b"sokha" in key or b"10.5.0" in key for key in keys)
    assert stored_hits() == 0  # nothing in the database


def test_when_redis_does_not_answer_logins_are_refused(app, database_url, tmp_path, caplog, ctx):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make_user("sokha", password=PASSWORD)
    without_redis = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        }
    )
    response = log_in(without_redis.test_client(), "sokha", PASSWORD)
    with without_redis.app_context():
        db.engine.dispose()
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert any("Redis does not answer" in r.getMessage() for r in caplog.records)


# -- who a lock keeps out: the address that guessed, not the writer ------------------


def test_one_address_is_locked_out_of_one_account_and_no_one_else_is(client, clock, ctx):
    make_user("sokha", password=PASSWORD)
    assert [tried(log_in(client, "sokha", "guess", "203.0.113.9")) for _ in range(6)] == [
        True
    ] * 5 + [False]
    assert log_in(app_client(client), "sokha", PASSWORD, "203.0.113.9").status_code == 429

    # The writer, from their own address, is not kept out.
    assert log_in(app_client(client), "sokha", PASSWORD, "198.51.100.20").status_code == 302


def test_guesses_from_many_addresses_lock_the_account_only_far_later(app, client, clock, ctx):
    make_user("sokha", password=PASSWORD)
    # Two guesses from each of ten addresses: twenty, four times what one address gets.
    for n in range(20):
        assert tried(log_in(client, "sokha", "guess", f"10.5.0.{n % 10}"))

    assert log_in(app_client(client), "sokha", PASSWORD, "198.51.100.20").status_code == 302


def test_a_locked_account_lets_in_a_writer_who_proves_the_second_factor(app, client, clock, ctx):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "10 per 15 minutes"
    plain = make_user("dara", password=PASSWORD)
    writer = make_user("sokha", password=PASSWORD)
    two_factor.start_enrolment(writer)
    db.session.commit()
    secret = two_factor.two_factor_of(writer).secret
    assert two_factor.confirm_enrolment(writer, pyotp.TOTP(secret).now()) is not None
    db.session.commit()
    for user in (plain, writer):
        for n in range(10):
            assert tried(log_in(client, user.login, "guess", f"10.6.{n}.1"))

    # The account's lock: a wrong password, or a right one with no second factor, is refused.
    wrong = log_in(app_client(client), "sokha", "guess", "198.51.100.20")
    assert wrong.status_code == 429
    assert log_in(app_client(client), "dara", PASSWORD, "198.51.100.20").status_code == 429
    # A right one goes on to the code, and the code lets the writer in.
    browser = app_client(client)
    step = log_in(browser, "sokha", PASSWORD, "198.51.100.21")
    assert step.status_code == 302 and step.headers["Location"] == "/login/code"
    page = browser.get("/login/code").get_data(as_text=True)
    # The next step's code: the one of this step was spent confirming the enrolment.
    code = pyotp.TOTP(secret).at(time.time() + 30)
    done = browser.post("/login/code", data={"csrf_token": csrf_token_from(page), "code": code})
    assert done.status_code == 302
    assert browser.get("/admin/").status_code == 200
