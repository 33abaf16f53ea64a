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
they never wait for writers. This is SQLAlchemy's documented pysqlite recipe.

A POST that mostly reads and checks (a reader's comment) would hold the one write
lock all that time and make every other worker's write wait, so it runs inside
``read_transactions()``: its reads begin deferred, and its write is a separate,
short ``write_transaction()`` begun after the read transaction has ended.

Writers in ``write_transaction()`` also take turns before their BEGIN: threads on a
lock, worker processes on an exclusive ``flock`` of a file beside the database
(``<database>-writers``). Waiting on the busy timeout alone, a writer polls and
sleeps up to 100 ms between tries, so it may sleep on while the lock is free; under
a stream of comment POSTs the slowest waited over a second.

Services do not sequence these blocks and their commits themselves: they call
``commit_write(work)`` (one short write, committed) or ``read_then_write(read,
write)`` (look first without the write lock, then write what was decided, or
nothing when the read found nothing to do: most passes of a periodic job). Both
end whatever transaction is open first, since a read snapshot must not become a
write; both commit the write phase, or roll it back when it raises, so no service
commits in its middle. A write phase that finds what its read phase saw has changed
(another worker got there first) raises ``Changed``, and ``read_then_write`` reads
and decides again, a few times. "database is locked" is not retried: the write
phase begins with ``BEGIN IMMEDIATE`` and queues on the busy timeout, and the read
phase never writes, so the error that would call for a retry (a read snapshot
turned into a write) cannot happen, and the one that can (30 seconds of queueing)
would only be waited out three times. Reads (functions that only look) never
commit or roll back: ending a transaction is the caller's, and these helpers'."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import TypeVar

from flask import Flask, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from blogapp.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Reads and decides again this many times in all, when the write finds it outdated.
WRITE_ATTEMPTS = 3
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The BEGIN chosen by the innermost read_transactions()/write_transaction() block, if any.
_begin_override: ContextVar[str | None] = ContextVar("blogapp_begin", default=None)
# Inside write_transaction() (the outermost block waits for the turn), and the
# writers' queue: a lock for this process's threads and, per database file, the
# descriptor this process locks, opened after any fork.
_writing: ContextVar[bool] = ContextVar("blogapp_writing", default=False)
_turns = threading.Lock()
_turn_files: dict[str, tuple[int, int]] = {}  # database path -> (pid, descriptor)


def listen_on_session(hooks: dict[str, Callable[..., object]]) -> None:
    """Install session event hooks, once per process: ``db.session`` is one scoped
    session shared by every app, so a second app (tests, a CLI command) must not add
    the same hook twice."""
    for name, hook in hooks.items():
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)


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
def _begin_with(statement: str) -> Iterator[None]:
    token = _begin_override.set(statement)
    try:
        yield
    finally:
        _begin_override.reset(token)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Transactions begun inside this block take SQLite's write lock at BEGIN, after
    the writers before them in the queue (see the module's docstring).

    For the rare GET request that writes (say, refreshing a stored value), and for
    the write of a request that reads inside ``read_transactions()``. Enter it with no
    transaction open (commit or roll back first): one holding SQLite's lock would
    keep the writer ahead in the queue waiting for it."""
    if _writing.get():  # nested: the outer block has the turn
        with _begin_with("BEGIN IMMEDIATE"):
            yield
        return
    if db.session().in_transaction():
        raise RuntimeError("end the open transaction before write_transaction()")
    token = _writing.set(True)
    try:
        with _writers_turn(), _begin_with("BEGIN IMMEDIATE"):
            yield
    finally:
        _writing.reset(token)


@contextmanager
def _writers_turn() -> Iterator[None]:
    descriptor = _turn_file()
    if descriptor is None:  # PostgreSQL, or no file to lock: no queue
        yield
        return
    with _turns:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _turn_file() -> int | None:
    """This process's descriptor of the SQLite database's queue file, if any."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = os.path.abspath(url.database) + "-writers"
    with _turns:
        known = _turn_files.get(path)
        if known is not None and known[0] == os.getpid():
            return known[1]
        try:  # a descriptor inherited through fork would share the lock: open our own
            descriptor = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            return None
        _turn_files[path] = (os.getpid(), descriptor)
        return descriptor


def read_transactions() -> AbstractContextManager[None]:
    """Transactions begun inside this block (outside a nested ``write_transaction()``)
    begin deferred, even in a POST: they read without taking SQLite's write lock.

    Do not write in them: SQLite cannot turn a read snapshot into a write once another
    connection has committed, and then fails at once with "database is locked"
    instead of waiting."""
    return _begin_with("BEGIN")


Seen = TypeVar("Seen")
Result = TypeVar("Result")


class Changed(Exception):
    """Raised by a write phase: what the read phase saw changed before the write (a
    conditional UPDATE touched no row, a row it needs is gone)."""


def commit_write(work: Callable[[], Result]) -> Result:
    """``work()`` in one short write transaction, committed; rolled back if it raises.

    Ends an open (read) transaction first. Inside another write phase (a job's
    composer run by the mail worker's write) ``work`` joins that one, which commits."""
    if _writing.get():
        return work()
    if db.session().in_transaction():
        db.session.commit()  # a read snapshot cannot become a write; nothing is lost
    with write_transaction():
        try:
            result = work()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return result


def read_then_write(
    read: Callable[[], Seen | None],
    write: Callable[[Seen], Result],
    *,
    attempts: int = WRITE_ATTEMPTS,
) -> Result | None:
    """``read()`` without SQLite's write lock, then ``write(what_read_returned)`` in a
    short write transaction (``commit_write``). A read that returns None found nothing
    to write: its transaction ends and no write lock is taken (None is returned). When
    ``write`` raises ``Changed``, both run again, up to ``attempts`` times in all; the
    last ``Changed`` is the caller's.

    For a request or job that mostly looks and checks (a comment judged, a chunk of
    mails composed) and writes little: other workers' writes go on meanwhile."""
    return again_if_changed(lambda: _read_then_write(read, write), attempts=attempts)


def again_if_changed(attempt: Callable[[], Result], *, attempts: int = WRITE_ATTEMPTS) -> Result:
    """``attempt()``, a read phase ending in a ``commit_write``, run again from its read
    while the write raises ``Changed``, up to ``attempts`` times in all; the last
    ``Changed`` is the caller's. For a read phase too entwined with a form to hand over
    as a function of its own (a reader's comment, judged while its form is validated)."""
    for _ in range(attempts - 1):
        try:
            return attempt()
        except Changed:
            pass
    return attempt()


def _read_then_write(
    read: Callable[[], Seen | None], write: Callable[[Seen], Result]
) -> Result | None:
    if _writing.get():  # inside another write phase: both phases join it, which commits
        seen = read()
        return None if seen is None else write(seen)
    if db.session().in_transaction():
        db.session.commit()  # the read phase begins its own, deferred, transaction
    with read_transactions():
        seen = read()
    if seen is None:
        db.session.commit()  # the read phase's, which wrote nothing
        return None
    return commit_write(lambda: write(seen))


# How long a write made aside (``write_aside``) waits for the lock before giving up.
ASIDE_WAIT_MS = 200


def write_aside(work: Callable[[Session], Result]) -> Result | None:
    """``work(session)`` committed on a session and connection of its own, leaving the
    caller's transaction as it is: for a read that stores something derived on the
    way (the content versions once a scheduled post is due), since a read must never
    end or commit its caller's transaction.

    None when the write cannot be made at once: inside a write phase (this thread has
    the writers' turn), or the lock stays held longer than ``ASIDE_WAIT_MS`` (perhaps
    by the caller's own connection, in a POST). The caller keeps what it read, and a
    later read tries again."""
    if _writing.get():
        return None
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _sqlite_wait(conn, ASIDE_WAIT_MS)
        try:
            with _begin_with("BEGIN IMMEDIATE"), Session(bind=conn) as session:
                if not sqlite:
                    session.execute(text(f"SET LOCAL lock_timeout = {ASIDE_WAIT_MS}"))
                result = work(session)
                session.commit()
                return result
        # The BEGIN is sent straight to SQLite (see _sqlite_begin): its refusal comes unwrapped.
        except (OperationalError, sqlite3.OperationalError):
            return None
        finally:
            if sqlite:
                _sqlite_wait(conn, SQLITE_BUSY_TIMEOUT_MS)


def _sqlite_wait(conn: Connection, milliseconds: int) -> None:
    # Straight on the DB-API connection, outside any transaction (see _sqlite_begin).
    conn.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={milliseconds}")


def sqlite_begin_statement() -> str:
    override = _begin_override.get()
    if override is not None:
        return override
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
    # 256 KiB of page cache per connection instead of 2 MiB: a worker holds up to one
    # connection per thread, each cache is dropped whenever another worker writes, and
    # the operating system's file cache, shared by all workers, serves the rest.
    cursor.execute("PRAGMA cache_size=-256")
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
