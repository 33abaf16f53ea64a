"""A time budget for the search query, so no search holds a worker's thread long.

SQLite: a progress handler on the DBAPI connection, called every
``PROGRESS_STEPS`` virtual-machine instructions, aborts the statement once the
budget is spent (SQLite then raises "interrupted"); it is removed afterwards,
since the connection goes back to the pool. PostgreSQL: ``SET LOCAL
statement_timeout`` for the search statement, put back to the default after it;
the server cancels the statement itself.

Either way the caller gets ``SearchTooSlow`` with the session rolled back, and
shows a plain page. The clock is injectable: tests put one that jumps in the
app's config as ``SEARCH_CLOCK`` (``search.views`` reads it; no setting of its own)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

# About a tenth of a millisecond of SQLite work between two looks at the clock:
# each look takes the GIL, so not much more often than that.
PROGRESS_STEPS = 10_000
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement_timeout cancel


class SearchTooSlow(Exception):
    """The search query ran past its budget and was stopped."""


@dataclass(frozen=True)
class TimeBudget:
    seconds: float  # 0 or less: no budget
    clock: Callable[[], float] = field(default=time.monotonic)

    @contextmanager
    def applied(self, session: Session) -> Iterator[None]:
        """Run the block's statements under the budget; raises ``SearchTooSlow``."""
        if self.seconds <= 0:
            yield
            return
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            with _postgres_timeout(session, self.seconds):
                yield
        elif connection.dialect.name == "sqlite":
            with _stop_on_sqlite(
                session, connection.connection.dbapi_connection, self.seconds, self.clock
            ):
                yield
        else:
            yield


@contextmanager
def sqlite_deadline(
    dbapi_connection: sqlite3.Connection, seconds: float, clock: Callable[[], float]
) -> Iterator[list[bool]]:
    """Abort statements run on ``dbapi_connection`` in the block once ``seconds``
    have passed on ``clock``; the yielded list holds True once it did."""
    deadline = clock() + seconds
    stopped: list[bool] = []

    def over_budget() -> int:
        if clock() >= deadline:
            stopped.append(True)
            return 1  # non-zero: SQLite abandons the statement
        return 0

    dbapi_connection.set_progress_handler(over_budget, PROGRESS_STEPS)
    try:
        yield stopped
    finally:
        dbapi_connection.set_progress_handler(None, 0)


@contextmanager
def _stop_on_sqlite(session: Session, dbapi_connection, seconds: float, clock) -> Iterator[None]:
    with sqlite_deadline(dbapi_connection, seconds, clock) as stopped:
        try:
            yield
        except OperationalError as error:
            if not stopped:
                raise
            session.rollback()
            raise SearchTooSlow from error


@contextmanager
def _postgres_timeout(session: Session, seconds: float) -> Iterator[None]:
    milliseconds = max(1, round(seconds * 1000))  # 0 would mean no timeout at all
    session.connection().exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")
    try:
        yield
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != QUERY_CANCELED:
            raise
        session.rollback()  # the transaction is aborted; the SET LOCAL goes with it
        raise SearchTooSlow from error
    session.connection().exec_driver_sql("SET LOCAL statement_timeout = DEFAULT")
