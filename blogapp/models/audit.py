"""The audit log of admin writes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime, utcnow


# What an audit entry records: a row written by an admin's request (insert, update,
# delete), or a job written by hand with ``blogapp.audit.record``.
class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    ERASE = "erase"


class AuditEntry(db.Model):
    """One admin write: who (id and login, kept as text so the entry outlives the
    account), from where, by which request, what (table, row, the fields changed).
    Written by ``blogapp.audit``'s session hook in the transaction of the write.
    Append-only: no view updates or deletes it, and a trigger refuses both."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_created", "table_name", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives users
    actor_login: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    request: Mapped[str] = mapped_column(String(300), default="")  # "POST /admin/posts/3/edit"
    action: Mapped[str] = mapped_column(String(20))  # an AuditAction
    table_name: Mapped[str] = mapped_column(String(60), default="")
    row_id: Mapped[str] = mapped_column(String(60), default="")
    label: Mapped[str] = mapped_column(String(200), default="")  # a title, a login, a key
    changes: Mapped[str] = mapped_column(Text, default="")  # field names, never values
