"""Running in production: settings from the environment, the secret key check,
/healthz, the request log, backups, and SQLite under concurrent writers."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from blogapp import create_app
from blogapp.extensions import db
from blogapp.models import Setting
from tests.conftest import BASE_CONFIG, POSTGRES_URL, on_postgres
from tests.factories import make_post, make_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def sqlite_app(path: Path, **config):
    """An app on its own SQLite file with the schema, whichever database the suite runs on."""
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "UPLOAD_FOLDER": str(path.parent / "uploads"),
            **config,
        }
    )
    with app.app_context():
        db.create_all()
    return app


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_") and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite'}",
        **extra,
    )
    return env


# --- settings ---------------------------------------------------------------------------


def test_every_setting_can_come_from_the_environment(monkeypatch, database_url, app, ctx):
    monkeypatch.setenv("BLOGAPP_SITE_NAME", "Env Notes")
    monkeypatch.setenv("BLOGAPP_POSTS_PER_PAGE", "2")
    monkeypatch.setenv("BLOGAPP_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-0123456789")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    for i in range(3):
        make_post(f"Env post {i}")
    env_app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})

    assert env_app.config["POSTS_PER_PAGE"] == 2
    assert env_app.config["RATELIMIT_ENABLED"] is False
    assert env_app.config["SECRET_KEY"] == "from-the-environment-0123456789"
    assert env_app.config["CACHE_TYPE"] == "RedisCache"
    html = env_app.test_client().get("/").get_data(as_text=True)
    assert "Env Notes" in html
    assert html.count('rel="bookmark"') == 2
    with env_app.app_context():
        db.engine.dispose()


def test_database_url_accepts_the_usual_postgres_spellings(monkeypatch, tmp_path):
    monkeypatch.setenv("BLOGAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://blog:pw@db.internal:5432/blog")
    app = create_app({"TESTING": True, "SECRET_KEY": BASE_CONFIG["SECRET_KEY"]})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://blog:pw@db.internal:5432/blog"
    )


def test_debug_is_off_unless_asked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("BLOGAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-0123456789")
    assert create_app().debug is False


# --- the secret key -----------------------------------------------------------------------


def test_the_old_published_development_key_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "dev-only-not-secret"})
    assert stopped.value.code == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("blogapp: error: SECRET_KEY")


@pytest.mark.parametrize("key", ["", "short"])
def test_production_refuses_a_missing_or_short_key(key, capsys):
    with pytest.raises(SystemExit):
        create_app({"PRODUCTION": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": key})
    assert "SECRET_KEY" in capsys.readouterr().err


def test_flask_cli_in_production_without_a_key_says_so_in_one_line(tmp_path):
    env = clean_env(tmp_path, BLOGAPP_PRODUCTION="true")
    refused = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "routes"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 3
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]
    assert "SECRET_KEY" in refused.stderr

    env["SECRET_KEY"] = "a-real-secret-key-for-production-use-0123456789"
    started = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "routes"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr
    assert "/healthz" in started.stdout


# --- health -------------------------------------------------------------------------------


def test_healthz_answers_200_when_the_database_answers(client, ctx):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "uri",
    [
        "sqlite:////nonexistent-directory/blogapp.sqlite",
        "postgresql://postgres@127.0.0.1:1/blogapp?connect_timeout=2",
    ],
)
def test_healthz_answers_503_when_the_database_does_not(uri, tmp_path, caplog):
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "UPLOAD_FOLDER": str(tmp_path)}
    )
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable\n"
    assert any("database does not answer" in r.getMessage() for r in caplog.records)


# --- logs ---------------------------------------------------------------------------------


def request_lines(caplog, ctx, *paths, **headers) -> list[dict]:
    """The JSON lines of ``blogapp.request`` for these requests (the logger does not
    propagate: caplog's handler is put on it)."""
    from blogapp.request_log import logger

    caplog.clear()
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="blogapp.request"):
            client = ctx.app.test_client()
            for path in paths:
                client.get(path, headers=headers)
    finally:
        logger.removeHandler(caplog.handler)
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "blogapp.request"]


def test_one_json_line_per_request_with_status_time_and_id(caplog, ctx):
    lines = request_lines(caplog, ctx, "/healthz", "/no-such-page/", "/%0aforged-line/", "/", "/")
    assert len(lines) == 5
    assert lines[0]["method"] == "GET" and lines[0]["path"] == "/healthz"
    assert lines[0]["status"] == 200 and lines[0]["route"] == "health.healthz"
    assert isinstance(lines[0]["ms"], float) and lines[0]["cache"] == "none"
    assert lines[1]["status"] == 404
    assert lines[2]["path"] == "/\nforged-line/"  # one line still: JSON escapes it
    assert [line["cache"] for line in lines[3:]] == ["render", "hit"]
    assert len({line["id"] for line in lines}) == 5 and len(lines[0]["id"]) == 32
    assert "ip" in lines[0]  # COMMENT_IP_RETENTION_DAYS keeps addresses by default
    raw = [r.getMessage() for r in caplog.records if r.name == "blogapp.request"]
    assert all("\n" not in line for line in raw)


def test_each_line_is_exactly_what_the_json_encoder_writes(caplog, ctx):
    """The line is built field by field: it must stay the encoder's own bytes, whatever
    the path holds (quotes, backslashes, Khmer, control characters)."""
    request_lines(
        caplog, ctx, '/"quoted"\\back/%E1%9E%81%E1%9F%92%E1%9E%98%E1%9F%82%E1%9E%9A/%01/', "/"
    )
    raw = [r.getMessage() for r in caplog.records if r.name == "blogapp.request"]
    assert len(raw) == 2
    for written in raw:
        assert json.dumps(json.loads(written), ensure_ascii=True, separators=(",", ":")) == written
    assert json.loads(raw[0])["path"] == '/"quoted"\\back/ខ្មែរ/\x01/'


def test_no_address_in_the_log_when_none_is_kept(caplog, ctx):
    ctx.app.config["COMMENT_IP_RETENTION_DAYS"] = 0
    [line] = request_lines(caplog, ctx, "/healthz")
    assert "ip" not in line


def test_nginxs_request_id_is_kept_and_returned_and_a_bad_one_replaced(client, ctx, caplog):
    nginx_id = "0f3c2a9be1d84b7a9c6e5d4f3a2b1c0d"
    answer = client.get("/healthz", headers={"X-Request-ID": nginx_id})
    assert answer.headers["X-Request-ID"] == nginx_id
    forged = client.get("/healthz", headers={"X-Request-ID": '<script>" x'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    [line] = request_lines(caplog, ctx, "/healthz", **{"X-Request-ID": nginx_id})
    assert line["id"] == nginx_id


def test_a_kept_page_carries_its_own_id_in_the_header_only(client, ctx):
    first, second = client.get("/"), client.get("/")
    assert first.get_data() == second.get_data()  # the same bytes for every reader
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert first.headers["X-Request-ID"].encode() not in first.get_data()


def test_only_5xx_pages_show_the_id(app, client, ctx, login_as):
    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    anonymous = client.get("/no-such-page/")
    assert anonymous.status_code == 404 and "public" in anonymous.headers["Cache-Control"]
    assert anonymous.headers["X-Request-ID"].encode() not in anonymous.get_data()
    assert b"request id" not in anonymous.get_data()

    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = client.get("/boom-for-test")
    assert failed.status_code == 500 and "no-store" in failed.headers["Cache-Control"]
    assert f"quote the request id {failed.headers['X-Request-ID']}" in failed.get_data(as_text=True)

    login_as(make_user("writer"))  # a 4xx is the same for a writer: no id in the page
    personal = client.get("/no-such-page/")
    assert personal.status_code == 404 and "private" in personal.headers["Cache-Control"]
    assert personal.headers["X-Request-ID"] not in personal.get_data(as_text=True)


# --- backups ------------------------------------------------------------------------------


def test_backup_copies_a_live_sqlite_database_consistently(tmp_path):
    """The archive's database is one committed state though a writer runs meanwhile
    (the whole archive: tests/test_backup.py)."""
    from pyrage import x25519

    key = x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(f"{key}\n")
    source = tmp_path / "live.sqlite"
    app = sqlite_app(source, BACKUP_RECIPIENTS=[str(key.to_public())])
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        for i in range(20):
            make_post(f"Backed up {i}")
        db.session.remove()
        db.engine.dispose()
    stop = threading.Event()
    written = []

    def writer():
        # Each transaction adds a category and a tag together: a consistent copy has as many
        # of one as of the other.
        conn = sqlite3.connect(source, timeout=30, isolation_level=None)
        n = 0
        while not stop.is_set():
            n += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO categories (name, slug, description) VALUES (?, ?, '')",
                (f"c{n}", f"c{n}"),
            )
            time.sleep(0.001)
            conn.execute("INSERT INTO tags (name, slug) VALUES (?, ?)", (f"t{n}", f"t{n}"))
            conn.execute("COMMIT")
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.2)
        target = tmp_path / "copy.tar.age"
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
    finally:
        stop.set()
        thread.join()

    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert written, "the writer never ran"
    assert not (tmp_path / "copy.tar.age.partial").exists()
    copy = tmp_path / "restored" / "copy.sqlite"
    restored = app.test_cli_runner().invoke(
        args=[
            "restore",
            str(target),
            "--identity",
            str(tmp_path / "key.txt"),
            "--database-url",
            f"sqlite:///{copy}",
            "--uploads",
            str(tmp_path / "restored" / "up"),
            "--into",
            str(tmp_path / "restored"),
        ]
    )
    assert restored.exit_code == 0, restored.output
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        categories = conn.execute("SELECT count(*) FROM categories").fetchone()[0]
        tags = conn.execute("SELECT count(*) FROM tags").fetchone()[0]
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    finally:
        conn.close()
    assert categories == tags
    assert posts == 20


def test_backup_refuses_a_folder_that_does_not_exist(tmp_path):
    app = sqlite_app(tmp_path / "live.sqlite")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "nope" / "x.tar.age")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


# --- SQLite under concurrent writers --------------------------------------------------------


def test_concurrent_read_then_write_requests_never_fail_on_sqlite(tmp_path, ctx):
    """The pattern that breaks a deferred BEGIN: read, think, then write. With BEGIN
    IMMEDIATE for POSTs, writers queue on the busy timeout: no "database is locked" and
    no lost update."""
    app = sqlite_app(tmp_path / "busy.sqlite", PROPAGATE_EXCEPTIONS=False)

    @app.post("/bump")
    def bump():
        row = db.session.get(Setting, "counter")
        value = int(row.value) if row else 0
        time.sleep(0.002)  # the view does some work between its read and its write
        if row is None:
            db.session.add(Setting(key="counter", value=str(value + 1)))
        else:
            row.value = str(value + 1)
        db.session.commit()
        return "ok"

    app.config["WTF_CSRF_ENABLED"] = False
    threads, per_thread = 12, 15
    statuses: list[int] = []

    def worker():
        client = app.test_client()
        for _ in range(per_thread):
            statuses.append(client.post("/bump").status_code)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    assert statuses == [200] * (threads * per_thread)
    with app.app_context():
        stored = db.session.scalar(select(Setting.value).where(Setting.key == "counter"))
        assert int(stored) == threads * per_thread
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        db.engine.dispose()


def test_postgresql_suite_database_answers(app, ctx):
    """The suite runs here too when BLOGAPP_TEST_DATABASE_URL is set (scripts/test)."""
    name = db.engine.dialect.name
    assert name == ("postgresql" if on_postgres() else "sqlite")
    if on_postgres():
        assert POSTGRES_URL.split("/")[-1].split("?")[0] in str(db.engine.url)
