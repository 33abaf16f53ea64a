"""The login limit under real gunicorn with 4 workers, as an attacker meets it: every
request on a new connection, so any worker may answer. On SQLite with no Redis (the
default setup), on PostgreSQL (BLOGAPP_TEST_DATABASE_URL; skipped without it) and with
Redis (BLOGAPP_TEST_REDIS_URL; only that database is flushed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from blogapp import create_app
from blogapp.extensions import db
from tests.conftest import BASE_CONFIG, on_postgres
from tests.factories import make_user
from tests.servers import Answer, fetch, free_port, wait_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET = "throttle-test-secret-key-0123456789abcdef"
REDIS_URL = os.environ.get("BLOGAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"
LIMIT = 5  # per account and per address ("5 per 15 minutes"), set below: lower than the defaults
ATTEMPTS = 20
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log_in(port: int, username: str, password: str, address: str):
    """GET the form, then POST it, each on a new connection, from ``address``
    (one trusted proxy in front: the server takes the client from X-Forwarded-For)."""
    page = fetch(port, "/login", timeout=60)
    assert page.status == 200, page.status
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    form = {
        "username": username,
        "password": password,
        "csrf_token": _CSRF.search(page.text).group(1),
    }
    return fetch(
        port,
        "/login",
        "POST",
        body=urlencode(form).encode(),
        timeout=60,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-Forwarded-For": address,
        },
    )


def tried(answer: Answer) -> bool:
    status, headers, html = answer.status, answer.headers, answer.text
    if status == 200:
        assert "Invalid username or password." in html
        return True
    assert status == 429, (status, html[:300])
    assert "Too many failed attempts to log in" in html
    retry_after = int(headers["Retry-After"])
    assert 0 < retry_after <= 900
    return False


def make_accounts() -> None:
    make_user("sokha", password=PASSWORD)
    make_user("dara", password=PASSWORD)
    db.session.commit()


@pytest.fixture
def site(request, tmp_path, ctx):
    """(DATABASE_URL, REDIS_URL or None, the store's words in the startup log), with
    the schema and two accounts in the database."""
    store = request.param
    if store == "postgresql":
        if not on_postgres():
            pytest.skip("BLOGAPP_TEST_DATABASE_URL is not set")
        app = request.getfixturevalue("app")  # empties the test database
        make_accounts()
        db.session.remove()
        yield app.config["SQLALCHEMY_DATABASE_URI"], None, "the database (postgresql)"
        return
    database_url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    setup = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    with setup.app_context():
        db.create_all()
        make_accounts()
        db.session.remove()
        db.engine.dispose()
    if store == "sqlite":
        yield database_url, None, "the database (sqlite)"
        return
    server = redis.Redis.from_url(REDIS_URL)
    server.flushdb()
    parts = REDIS_URL.rsplit("/", 1)
    try:
        yield database_url, REDIS_URL, f"Redis ({parts[0]}/{parts[1]})"
    finally:
        server.flushdb()
        server.close()


@pytest.fixture
def gunicorn(site, tmp_path):
    database_url, redis_url, store = site
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_") and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        BLOGAPP_BIND=f"127.0.0.1:{port}",
        BLOGAPP_WORKERS="4",
        BLOGAPP_SITE_URL=f"http://127.0.0.1:{port}",
        BLOGAPP_PROXY_FIX_COUNT="1",
        BLOGAPP_LOGIN_ACCOUNT_RATE_LIMIT=f"{LIMIT} per 15 minutes",
        BLOGAPP_LOGIN_ADDRESS_RATE_LIMIT=f"{LIMIT} per 15 minutes",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(port, "/healthz", server, log, seconds=60)
        yield port, log, store
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("site", ["sqlite", "postgresql", "redis"], indirect=True)
def test_four_workers_allow_exactly_the_configured_failed_logins(gunicorn):
    port, log, store = gunicorn

    # One account, 20 wrong passwords in turn, each from another address.
    answers = [tried(log_in(port, "sokha", "guess", f"10.0.0.{n}")) for n in range(ATTEMPTS)]
    assert answers == [True] * LIMIT + [False] * (ATTEMPTS - LIMIT)
    # The right password, from yet another address, gets the same refusal.
    assert not tried(log_in(port, "sokha", PASSWORD, "10.0.0.200"))

    # Another account, 20 wrong passwords all at once: still exactly LIMIT checked.
    results: dict[int, bool] = {}
    start = threading.Barrier(ATTEMPTS)

    def attacker(n: int) -> None:
        page = fetch(port, "/login", timeout=60)
        form = {
            "username": "dara",
            "password": "guess",
            "csrf_token": _CSRF.search(page.text).group(1),
        }
        start.wait(timeout=60)
        results[n] = tried(
            fetch(
                port,
                "/login",
                "POST",
                body=urlencode(form).encode(),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": page.headers["Set-Cookie"].split(";", 1)[0],
                    "X-Forwarded-For": f"10.1.0.{n}",
                },
                timeout=60,
            )
        )

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == ATTEMPTS
    assert sum(results.values()) == LIMIT
    assert not tried(log_in(port, "dara", PASSWORD, "10.1.0.200"))

    # One address trying 20 accounts: the address's count stops it.
    answers = [tried(log_in(port, f"user{n}", "guess", "10.2.0.1")) for n in range(ATTEMPTS)]
    assert answers == [True] * LIMIT + [False] * (ATTEMPTS - LIMIT)

    output = log.read_text()
    # Each worker said once where it counts.
    assert output.count(f"login and comment limits are counted in {store}") == 4, output
    assert "Traceback" not in output
