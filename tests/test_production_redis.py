"""With REDIS_URL set, rate limits and the cache live in Redis, shared by every
worker and host. Runs against the real Redis server (BLOGAPP_TEST_REDIS_URL,
database 15 by default; only that database is flushed)."""

from __future__ import annotations

import json
import logging
import os

import pytest
import redis

from blogapp import create_app
from blogapp.extensions import csrf, db, limiter
from blogapp.request_log import logger
from tests.conftest import BASE_CONFIG
from tests.factories import make_category, make_post
from tests.helpers import FakeClock
from tests.servers import require

REDIS_URL = os.environ.get("BLOGAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_db():
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError:
        require("Redis", False, f"a Redis server at {REDIS_URL} (apt-get install redis-server)")
    server.flushdb()
    yield server
    server.flushdb()
    server.close()


@pytest.fixture
def worker_app(monkeypatch, database_url, tmp_path, app, ctx):
    """Build apps as gunicorn workers do: settings from the environment."""
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    made = []

    def build(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        worker = create_app(
            {
                **BASE_CONFIG,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            }
        )

        @worker.route("/limited", methods=["POST"])  # a kept GET costs no limit
        @csrf.exempt
        @limiter.limit("2 per minute")
        def limited():
            return "ok"

        made.append(worker)
        return worker

    yield build
    for worker in made:
        with worker.app_context():
            db.engine.dispose()


def test_rate_limits_are_stored_in_redis_and_outlive_a_worker(worker_app, redis_db):
    first = worker_app()
    client = first.test_client()
    assert [client.post("/limited").status_code for _ in range(2)] == [200, 200]
    assert any(b"LIMIT" in key.upper() for key in redis_db.keys("*"))

    # A new worker (a fresh storage connection) sees the same counter.
    second = worker_app()
    refused = second.test_client().post("/limited")
    assert refused.status_code == 429
    assert "Too many requests" in refused.get_data(as_text=True)


def test_ratelimit_enabled_false_turns_limits_off(worker_app, redis_db):
    relaxed = worker_app(BLOGAPP_RATELIMIT_ENABLED="false")
    client = relaxed.test_client()
    assert [client.post("/limited").status_code for _ in range(6)] == [200] * 6


def test_kept_pages_are_shared_between_workers(worker_app, redis_db, ctx, caplog):
    make_post("Cached")
    first, second = worker_app(), worker_app()
    assert first.config["CACHE_TYPE"] == "RedisCache"
    page = first.test_client().get("/")
    assert any(b"kept-page:" in key for key in redis_db.keys("*"))
    # The second worker never rendered it: its readers get the page kept in Redis.
    caplog.clear()
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="blogapp.request"):
            again = [second.test_client().get("/") for _ in range(2)]
    finally:
        logger.removeHandler(caplog.handler)
    assert [answer.get_data() for answer in again] == [page.get_data()] * 2
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "blogapp.request"]
    assert [line["cache"] for line in lines] == ["hit", "hit"]


def test_a_change_in_one_worker_reaches_the_sidebar_of_another(worker_app, redis_db, ctx):
    make_post("Sidebar")
    reader, writer = worker_app(), worker_app()
    clock = FakeClock()
    reader.config["CLOCK"] = clock
    assert "Economy" not in reader.test_client().get("/").get_data(as_text=True)

    with writer.app_context():
        make_category("Economy")  # its commit stores a new content version

    # Within the bound: the reader's worker trusts the version it read that long.
    clock.advance(reader.config["CONTENT_VERSION_CACHE_SECONDS"] + 0.01)
    assert "Economy" in reader.test_client().get("/").get_data(as_text=True)
