"""The database-specific search index, which ``db.create_all`` cannot express.

SQLite: an FTS5 table with the trigram tokenizer over ``posts.title`` and
``posts.search_text`` (external content, so the text is stored once), kept in
step by triggers. Trigrams match any substring, so a Khmer word in the middle
of a sentence with no spaces is found as readily as an English word.

PostgreSQL: a generated ``posts.search_vector`` column
(``to_tsvector('simple', …)`` of title and text) with a GIN index for word
search, and a ``pg_trgm`` GIN index on ``search_text`` for substrings (Khmer,
parts of words). PostgreSQL keeps both in step by itself. The column is not
declared on the model: the ORM never reads or writes it.

``create_search_index`` is what the Alembic migration calls (7b3e1c9a4d20); it is
idempotent and indexes existing rows. ``register_search_index`` (called by
``create_app``) makes ``db.create_all()`` run it too.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection

from blogapp.models import Post

FTS_TABLE = "posts_fts"
# FTS5's trigram tokenizer arrived in SQLite 3.34.0, MATERIALIZED common table
# expressions (which the search query needs to stay fast) in 3.35.0.
MIN_SQLITE = (3, 35, 0)

_SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title, search_text, content='posts', content_rowid='id', tokenize='trigram')""",
    # External-content FTS5 tables are told about changes with the old values
    # ("delete") and the new ones, as the SQLite documentation prescribes.
    f"""CREATE TRIGGER IF NOT EXISTS posts_fts_insert AFTER INSERT ON posts BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS posts_fts_delete AFTER DELETE ON posts BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS posts_fts_update AFTER UPDATE OF title, search_text ON posts
    BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
    # Index the rows that exist already (a migration on a live database).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]

# A stored, generated tsvector: title words weigh more (A) than body words (D), and
# ranking reads it instead of parsing every matching post's text again.
PG_VECTOR_COLUMN = "search_vector"
_POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""ALTER TABLE posts ADD COLUMN IF NOT EXISTS {PG_VECTOR_COLUMN} tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('simple'::regconfig, coalesce(search_text, '')), 'D')
        ) STORED""",
    f"CREATE INDEX IF NOT EXISTS ix_posts_search_vector ON posts USING gin ({PG_VECTOR_COLUMN})",
    "CREATE INDEX IF NOT EXISTS ix_posts_search_trgm ON posts USING gin (search_text gin_trgm_ops)",
]
# The extension stays: other objects may use it, and dropping it needs ownership.
_POSTGRES_DROP = [
    "DROP INDEX IF EXISTS ix_posts_search_trgm",
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    f"ALTER TABLE posts DROP COLUMN IF EXISTS {PG_VECTOR_COLUMN}",
]


def is_search_index_object(name: str | None) -> bool:
    """Tables and indexes made here, which the models do not declare: Alembic's
    autogenerate must leave them alone (``include_object`` in migrations/env.py)."""
    return bool(name) and (
        name == FTS_TABLE
        or name.startswith(FTS_TABLE + "_")  # FTS5's shadow tables: _data, _idx, _docsize…
        or name in (PG_VECTOR_COLUMN, "ix_posts_search_vector", "ix_posts_search_trgm")
    )


def include_object(object, name, type_, reflected, compare_to) -> bool:
    """For ``context.configure(include_object=include_object)`` in migrations/env.py."""
    return not (reflected and compare_to is None and is_search_index_object(name))


def check_sqlite_version() -> None:
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise RuntimeError(
            f"Search needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer (FTS5 trigram); "
            f"this Python has {sqlite3.sqlite_version}."
        )


def create_search_index(connection: Connection) -> None:
    """Create the search index for ``connection``'s database. Call from the
    migration's ``upgrade()`` as ``create_search_index(op.get_bind())``."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        check_sqlite_version()
        statements = _SQLITE_CREATE
    elif dialect == "postgresql":
        statements = _POSTGRES_CREATE
    else:
        return
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_index(connection: Connection) -> None:
    """Remove the search index. Call from the migration's ``downgrade()`` as
    ``drop_search_index(op.get_bind())`` before the posts table is dropped."""
    dialect = connection.dialect.name
    statements = {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRES_DROP}.get(dialect, [])
    for statement in statements:
        connection.exec_driver_sql(statement)


def _after_create(target, connection: Connection, **kw) -> None:
    create_search_index(connection)


def _before_drop(target, connection: Connection, **kw) -> None:
    drop_search_index(connection)


def register_search_index() -> None:
    """Make ``db.create_all()`` build the index right after ``posts`` (and
    ``db.drop_all()`` remove it first), as tests and benchmarks create the schema that
    way. ``create_app`` calls this once (``register_extensions``); calling it again
    adds nothing."""
    table = Post.__table__
    if not event.contains(table, "after_create", _after_create):
        event.listen(table, "after_create", _after_create)
        event.listen(table, "before_drop", _before_drop)
