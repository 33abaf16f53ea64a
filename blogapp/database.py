"""Engine settings per database.

SQLite is set up for a web server with several workers: WAL so readers never
wait for a writer, a busy timeout so writers queue instead of failing, and
foreign keys enforced.

The busy timeout alone is not enough. pysqlite opens every transaction with a
deferred ``BEGIN``: a request that reads and then writes holds only a read
snapshot, and when another worker commits first, SQLite cannot upgrade that
snapshot to a write lock and fails at once with "database is locked", without
waiting. So pysqlite's own BEGIN is switched off and the ``begin`` event emits
``BEGIN IMMEDIATE`` (take the write lock up front, queueing on the busy
timeout) for transactions that may write: requests whose method is not GET or
HEAD, work outside a request (CLI commands), and blocks inside
``write_transaction()``. Reads in GET requests keep a plain deferred BEGIN, so
they never wait for writers. This is SQLAlchemy's documented pysqlite recipe."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_force_immediate: ContextVar[bool] = ContextVar("blogapp_write_transaction", default=False)


def configure_engine(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        options["connect_args"] = connect_args
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@contextmanager
def write_transaction() -> Iterator[None]:
    """Transactions begun inside this block take SQLite's write lock at BEGIN.

    For the rare GET request that writes (say, refreshing a stored value)."""
    token = _force_immediate.set(True)
    try:
        yield
    finally:
        _force_immediate.reset(token)


def sqlite_begin_statement() -> str:
    if _force_immediate.get():
        return "BEGIN IMMEDIATE"
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return "BEGIN"
    return "BEGIN IMMEDIATE"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Transactions are begun by _sqlite_begin below, not by pysqlite.
    dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return  # for PRAGMAs (checkpoint, vacuum) that must run outside a transaction
    dbapi_connection = conn.connection.dbapi_connection
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Straight on the DB-API connection: a BEGIN is not one of a page's queries.
    dbapi_connection.execute(sqlite_begin_statement())
