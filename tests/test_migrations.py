"""`flask --app blogapp db upgrade` builds the schema from empty, on the database
the suite runs on (SQLite, or PostgreSQL when BLOGAPP_TEST_DATABASE_URL is set),
and the result matches the models exactly (Alembic's autogenerate finds nothing
to add, drop or change)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

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


def test_db_upgrade_from_empty_matches_the_models(empty_database_url, tmp_path, ctx):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
    env.update(DATABASE_URL=empty_database_url, BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"))
    upgraded = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "db", "upgrade"],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert upgraded.returncode == 0, upgraded.stderr

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
                opts={"compare_type": True, "compare_server_default": False,
                      "include_object": include_object},
            )
            differences = compare_metadata(context, db.metadata)
    finally:
        engine.dispose()
    # Non-empty: a model changed without a migration.
    assert differences == [], "\n".join(str(d)[:200] for d in differences)


def test_db_upgrade_twice_is_harmless(empty_database_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
    env.update(DATABASE_URL=empty_database_url, BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"))
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "blogapp", "db", "upgrade"],
            env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        )
        assert run.returncode == 0, run.stderr
