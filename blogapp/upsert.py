"""``INSERT … ON CONFLICT`` for whichever database the session is bound to.

SQLite and PostgreSQL spell it alike in SQLAlchemy (``on_conflict_do_nothing``,
``on_conflict_do_update``), each in its own dialect module. Only the dialect in use
is imported: on SQLite, PostgreSQL's (2 MB of code per worker) is never loaded."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any):
    """The dialect's ``insert(table)``, which has the ON CONFLICT clauses."""
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise RuntimeError(f"blogapp runs on SQLite or PostgreSQL, not {name}")
    return importlib.import_module(f"sqlalchemy.dialects.{name}").insert(table)
