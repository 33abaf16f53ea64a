"""What every model module shares: the aware-UTC column type, ``utcnow`` and
the table option that keeps ids from being handed out twice."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from blogapp.clock import now

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# The models' name for blogapp.clock.now, the one wall clock: column defaults and
# ``Post.public`` ask it; code outside the models asks blogapp.clock.
utcnow = now


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database.

    SQLite has no time zone type, so values are stored as naive UTC and made
    aware again when read; PostgreSQL uses ``timestamptz``."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The ids of these tables leave the database: in sessions, URLs, signed links, mails
# and outbox keys. SQLite hands a deleted row's id to the next insert unless the table
# says AUTOINCREMENT; a session or a link naming a deleted row would then reach
# another. (PostgreSQL's sequences never go back; the option means nothing there.)
# Each table with an integer id says either this or why not (tests/test_id_reuse.py).
NEVER_REUSED = {"sqlite_autoincrement": True}
