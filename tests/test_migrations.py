"""`flask --app blogapp db upgrade` builds the schema from empty, on the database
the suite runs on (SQLite, or PostgreSQL when BLOGAPP_TEST_DATABASE_URL is set),
and the result matches the models exactly (Alembic's autogenerate finds nothing
to add, drop or change)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine, make_url

import blogapp.models  # noqa: F401  (puts every table on db.metadata)
from blogapp.extensions import db
from blogapp.search.schema import include_object
from tests.conftest import POSTGRES_URL, on_postgres

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_database_url(tmp_path, ctx):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database
    next to the test database (dropped afterwards)."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_migrations"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _engine_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _flask_db(url: str, tmp_path, *command: str) -> None:
    """``flask --app blogapp db <command>`` on ``url``, in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
    env.update(DATABASE_URL=url, BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"))
    run = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "db", *command],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


def _upgrade(url: str, tmp_path, revision: str = "head") -> None:
    _flask_db(url, tmp_path, "upgrade", revision)


def _downgrade(url: str, tmp_path, revision: str) -> None:
    _flask_db(url, tmp_path, "downgrade", revision)


@contextmanager
def _database_at(url: str, tmp_path, revision: str, *statements: str) -> Iterator[Engine]:
    """The empty database upgraded to ``revision`` with ``statements`` run (rows a
    migration after it must keep): an engine on it, disposed afterwards."""
    _upgrade(url, tmp_path, revision)
    engine = create_engine(_engine_url(url))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        yield engine
    finally:
        engine.dispose()


def test_db_upgrade_from_empty_matches_the_models(empty_database_url, tmp_path, ctx):
    _upgrade(empty_database_url, tmp_path)

    engine = create_engine(_engine_url(empty_database_url))
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {t.name for t in db.metadata.sorted_tables} <= tables
            # The search index is made by its own migration, not by the models.
            if conn.dialect.name == "sqlite":
                assert "posts_fts" in tables
            else:
                assert "search_vector" in {c["name"] for c in inspect(conn).get_columns("posts")}
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": False,
                    "include_object": include_object,
                },
            )
            differences = compare_metadata(context, db.metadata)
    finally:
        engine.dispose()
    # Non-empty: a model changed without a migration.
    assert differences == [], "\n".join(str(d)[:200] for d in differences)


def test_db_upgrade_twice_is_harmless(empty_database_url, tmp_path):
    for _ in range(2):
        _upgrade(empty_database_url, tmp_path)


NEVER_REUSED = sorted(
    t.name for t in db.metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
)
ROWS = [
    "INSERT INTO users (id, login, email, display_name, role, password_hash,"
    " is_active_account, session_token, created_at) VALUES"
    " (7, 'sokha', 's@example.org', 'Sokha', 'admin', '', true, '', '2026-01-01 00:00:00')",
    "INSERT INTO posts (id, title, slug, content_format, body, body_html, excerpt, excerpt_html,"
    " has_more, search_text, first_image_url, source_line, status, language, comment_mode,"
    " sticky, published_at, created_at, updated_at, author_id, comment_count, guid) VALUES"
    " (3, 'Water rights', 'water-rights', 'markdown', 'Dams.', '<p>Dams.</p>', '', '', false,"
    " 'Water rights Dams upstream', '', '', 'published', 'en', 'open', false,"
    " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 7, 2, '')",
]
COMMENT = (
    "INSERT INTO comments (id, post_id, parent_id, depth, author_name, author_email,"
    " author_url, author_ip, user_agent, body, body_html, status, created_at, remote_actor)"
    " VALUES ({id}, 3, {parent}, 0, 'Dara', 'dara@example.org', '', '', '', 'Hi', '<p>Hi</p>',"
    " 'approved', '2026-01-01 00:00:00', '')"
)


def test_upgrade_rebuilds_the_tables_whose_ids_leave_the_database(
    empty_database_url, tmp_path, ctx
):
    """On a database with rows: every row, reference and the search index survive, and
    afterwards a deleted row's id is never given again (SQLite; PostgreSQL never did)."""
    with _database_at(
        empty_database_url,
        tmp_path,
        "e19b4d7a2c55",
        *ROWS,
        COMMENT.format(id=10, parent="NULL"),
        COMMENT.format(id=11, parent=10),
        "INSERT INTO mail_subscribers (id, email, created_at) VALUES"
        " (5, 'dara@example.org', '2026-01-01 00:00:00')",
        "INSERT INTO mail_subscriptions (subscriber_id, post_id, comment_id, scope,"
        " created_at) VALUES (5, 3, 11, 'replies', '2026-01-01 00:00:00')",
    ) as engine:
        _upgrade(empty_database_url, tmp_path)
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                schema = dict(
                    conn.exec_driver_sql(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                    ).all()
                )
                assert [t for t in NEVER_REUSED if "AUTOINCREMENT" not in schema[t]] == []
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql(
                    "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'upstream'"
                ).all() == [(3,)]
            assert conn.exec_driver_sql(
                "SELECT c.id, c.parent_id, p.slug, u.login FROM comments c"
                " JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = p.author_id"
                " ORDER BY c.id"
            ).all() == [(10, None, "water-rights", "sokha"), (11, 10, "water-rights", "sokha")]
            assert conn.exec_driver_sql(
                "SELECT s.email FROM mail_subscriptions m JOIN mail_subscribers s"
                " ON s.id = m.subscriber_id WHERE m.comment_id = 11"
            ).all() == [("dara@example.org",)]
            # Foreign keys are on again, and they cascade as before.
            conn.exec_driver_sql("DELETE FROM comments WHERE id = 11")
            assert conn.exec_driver_sql("SELECT count(*) FROM mail_subscriptions").scalar() == 0
            if conn.dialect.name == "sqlite":  # (rows given ids by hand skip PG's sequence)
                conn.exec_driver_sql(
                    COMMENT.replace("{id}, ", "").replace("(id, ", "(").format(parent=10)
                )
                assert conn.exec_driver_sql("SELECT max(id) FROM comments").scalar() == 12


def test_the_featured_image_columns_come_and_go_keeping_posts_whole(
    empty_database_url, tmp_path, ctx
):
    """The featured image's migration rebuilds posts on SQLite: rows, AUTOINCREMENT and
    the search index's triggers survive it both ways."""
    with _database_at(empty_database_url, tmp_path, "b36d5a1c7e20", *ROWS) as engine:
        _upgrade(empty_database_url, tmp_path, "b8d4f2a61c37")
        with engine.begin() as conn:
            assert conn.exec_driver_sql(
                "SELECT slug, featured_media_id, featured_alt FROM posts"
            ).all() == [("water-rights", None, "")]
            if conn.dialect.name == "sqlite":
                schema = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'posts'"
                ).scalar()
                assert "AUTOINCREMENT" in schema
                conn.exec_driver_sql("UPDATE posts SET search_text = 'Water rights sediment'")
                assert conn.exec_driver_sql(
                    "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'sediment'"
                ).all() == [(3,)]
        _downgrade(empty_database_url, tmp_path, "b36d5a1c7e20")
        with engine.begin() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("posts")}
            assert not {c for c in columns if c.startswith("featured_")}
            assert conn.exec_driver_sql("SELECT slug FROM posts").all() == [("water-rights",)]


def test_the_submissions_migration_comes_and_goes_keeping_profiles_whole(
    empty_database_url, tmp_path, ctx
):
    """Submissions' table and the unconfirmed flag on author profiles: added, and
    dropped again with every profile (and SQLite's AUTOINCREMENT) kept."""
    with _database_at(
        empty_database_url,
        tmp_path,
        "b33c0a7e5d12",
        "INSERT INTO author_profiles (id, slug, name, names, bio, affiliation,"
        " disclosure, same_as, is_pen_name, wp_login, created_at) VALUES (4, 'dara',"
        " 'Dara', '{}', '', '', '', '', false, '', '2026-01-01 00:00:00')",
    ) as engine:
        _upgrade(empty_database_url, tmp_path)
        with engine.begin() as conn:
            assert conn.exec_driver_sql(
                "SELECT slug, is_unconfirmed FROM author_profiles"
            ).all() == [("dara", False)]
            assert "submissions" in inspect(conn).get_table_names()
        _downgrade(empty_database_url, tmp_path, "b33c0a7e5d12")
        with engine.begin() as conn:
            assert "submissions" not in inspect(conn).get_table_names()
            columns = {c["name"] for c in inspect(conn).get_columns("author_profiles")}
            assert "is_unconfirmed" not in columns
            assert conn.exec_driver_sql("SELECT slug FROM author_profiles").all() == [("dara",)]
            if conn.dialect.name == "sqlite":
                schema = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'author_profiles'"
                ).scalar()
                assert "AUTOINCREMENT" in schema


def test_the_link_previews_table_comes_and_goes(empty_database_url, tmp_path, ctx):
    """Link cards' table: added on top of the submissions revision, dropped again with
    the media it pointed at kept."""
    with _database_at(
        empty_database_url,
        tmp_path,
        "c6e2a9d4b718",
        "INSERT INTO media (id, filename, thumb_filename, original_name, mime_type,"
        " width, height, size_bytes, alt, caption, credit, source_url, created_at)"
        " VALUES (5, 'a.png', 'a.png', 'a.png', 'image/png', 10, 10, 9, '', '', '',"
        " 'https://example.org/a.png', '2026-01-01 00:00:00')",
    ) as engine:
        _upgrade(empty_database_url, tmp_path)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO link_previews (key, url, status, title, description, site_name,"
                " media_id, error, fetched_at) VALUES ('k', 'https://example.org/', 'card',"
                " 'T', '', '', 5, '', '2026-01-01 00:00:00')"
            )
        _downgrade(empty_database_url, tmp_path, "c6e2a9d4b718")
        with engine.begin() as conn:
            assert "link_previews" not in inspect(conn).get_table_names()
            assert conn.exec_driver_sql("SELECT filename FROM media").all() == [("a.png",)]


def test_the_sitemap_and_import_indexes_come_and_go_keeping_posts_whole(
    empty_database_url, tmp_path, ctx
):
    """Issue 35's two indexes on posts (the sitemap's dates, the import's GUIDs): added
    on a database with posts, dropped again, the posts kept both ways."""
    wanted = {"ix_posts_status_published_updated", "ix_posts_guid"}
    with _database_at(empty_database_url, tmp_path, "b36d5a1c7e20", *ROWS) as engine:
        _upgrade(empty_database_url, tmp_path, "a4d7e2c95b31")
        with engine.begin() as conn:
            assert not wanted & {i["name"] for i in inspect(conn).get_indexes("posts")}
        _upgrade(empty_database_url, tmp_path)
        with engine.begin() as conn:
            indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("posts")}
            assert indexes["ix_posts_status_published_updated"] == [
                "status",
                "published_at",
                "updated_at",
            ]
            assert indexes["ix_posts_guid"] == ["guid"]
            assert conn.exec_driver_sql("SELECT slug FROM posts").all() == [("water-rights",)]
        _downgrade(empty_database_url, tmp_path, "a4d7e2c95b31")
        with engine.begin() as conn:
            assert not wanted & {i["name"] for i in inspect(conn).get_indexes("posts")}
            assert conn.exec_driver_sql("SELECT slug FROM posts").all() == [("water-rights",)]
