"""The audit log of admin writes, decided in one place.

A SQLAlchemy session hook, like the content version's: whenever a request sent by a
logged-in user (any method but GET/HEAD/OPTIONS) writes rows, through flushed
objects or through ``update()``/``delete()``/``insert()`` statements, one
``AuditEntry`` per row (or one per statement) is inserted in that same transaction:
the write and its entry commit together or not at all. No view records anything
by hand, so a new admin screen is logged the day it is added.

Every table is logged except the bookkeeping ones in ``NOT_AUDITED`` (the log itself,
throttle counters, used link nonces, the moderation log, which has its own screen).
An entry names the fields that changed, never their values (a password hash, a
session token or a TOTP secret never reaches the log). Its label names the row for
people (a title, a login); a row of readers' data (a comment, a subscriber) is named
by its id alone: a reader's name or address in the log could never be erased.

Command-line jobs that write in bulk (``flask import-wxr``) call ``record()`` once.

The log is append-only from the application's side: nothing deletes it, and a
trigger (SQLite and PostgreSQL) refuses DELETE and every UPDATE but one: blanking a
label (``erase_reader``, ``prune``), for entries written before labels stopped
naming readers."""

from __future__ import annotations

from collections import defaultdict

from flask import g, has_request_context, request
from sqlalchemy import and_, event, func, insert, inspect, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause, TextClause

from blogapp import clock
from blogapp.extensions import db
from blogapp.models import (
    AuditAction,
    AuditEntry,
    Comment,
    MailSubscriber,
    ModerationEvent,
    NewsletterSubscriber,
    Setting,
    ThrottleHit,
    UsedToken,
    User,
)
from blogapp.reader_data import Reader

NOT_AUDITED = frozenset(
    {
        AuditEntry.__tablename__,
        ThrottleHit.__tablename__,
        UsedToken.__tablename__,
        ModerationEvent.__tablename__,
    }
)
VERSION_KEY = "content_version"  # blogapp.content_version's own row: bookkeeping
# Settings rows no one writes by hand: the content version, the site's share card's name.
BOOKKEEPING_KEYS = frozenset({VERSION_KEY, "site_card"})
# Columns drawn from others, which are logged when they change: a share card's name.
DERIVED_FIELDS = {"posts": frozenset({"share_card"})}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LABEL_FIELDS = ("title", "login", "name", "key", "original_name", "old_path", "device", "subject")
# Tables of readers' data: their rows get no label (their id is in ``row_id``).
READER_TABLES = frozenset(
    {
        Comment.__tablename__,
        MailSubscriber.__tablename__,
        NewsletterSubscriber.__tablename__,
    }
)
# More rows than this of one table and action in one flush (a bulk action) make one entry.
GROUP_ABOVE = 20
_G_ACTOR = "blogapp_audit_actor"


# -- who and from where ---------------------------------------------------------------


def _may_audit() -> bool:
    """A writing request of a logged-in user: checked before anything costs more."""
    if not has_request_context() or request.method in SAFE_METHODS:
        return False
    # flask-login's anonymous user is no User; reading an attribute could load a row.
    return isinstance(g.get("_login_user"), User)


def _request_actor(connection: Connection) -> dict | None:
    """The logged-in user of a writing request, as columns of an entry; else None.

    Reads only what flask-login already loaded (never loads a user inside a flush);
    the login comes from the row's cached state or one Core query."""
    found = g.get(_G_ACTOR)
    if found is not None:
        return found
    state = inspect(g.get("_login_user"))
    if state.identity is None:
        return None
    user_id = state.identity[0]
    login = state.dict.get("login") or connection.scalar(
        select(User.login).where(User.id == user_id)
    )
    found = {
        "actor_id": user_id,
        "actor_login": login or "",
        "address": (request.remote_addr or "")[:45],
        "request": f"{request.method} {request.path}"[:300],
    }
    setattr(g, _G_ACTOR, found)
    return found


def record(
    action: str,
    *,
    table: str = "",
    row_id: str = "",
    label: str = "",
    changes: str = "",
    actor_login: str = "",
    address: str = "",
) -> None:
    """One entry written by hand, in the open transaction: for command-line jobs
    (``actor_login`` names the job's operator, e.g. "cli:import-wxr")."""
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "created_at": clock.now(),
                "actor_id": None,
                "actor_login": actor_login[:60],
                "address": address[:45],
                "request": "",
                "action": action[:20],
                "table_name": table[:60],
                "row_id": row_id[:60],
                "label": label[:200],
                "changes": changes,
            }
        ],
    )


# -- what changed -----------------------------------------------------------------------


def _label(obj) -> str:
    state = inspect(obj)
    if state.mapper.local_table.name in READER_TABLES:
        return ""
    for name in LABEL_FIELDS:
        value = state.dict.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return ""


def _changed_fields(obj) -> list[str]:
    # AttributeState.history never loads anything (relationships are lazy="raise").
    return [attr.key for attr in inspect(obj).attrs if attr.history.has_changes()]


def _entries_of_flush(session: Session) -> list[dict]:
    entries = []
    for action, objects in (
        (AuditAction.INSERT, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    ):
        for obj in objects:
            table = inspect(obj).mapper.local_table.name
            if table in NOT_AUDITED or (isinstance(obj, Setting) and obj.key in BOOKKEEPING_KEYS):
                continue
            changes = ""
            if action == "update":
                derived = DERIVED_FIELDS.get(table, frozenset())
                fields = [f for f in _changed_fields(obj) if f not in derived]
                if not fields or not session.is_modified(obj):
                    continue
                changes = ", ".join(fields)
            identity = inspect(obj).identity
            row_id = ",".join(str(part) for part in identity) if identity else ""
            entries.append(
                {
                    "action": action,
                    "table_name": table,
                    "row_id": row_id[:60],
                    "label": _label(obj),
                    "changes": changes,
                }
            )
    return _grouped(entries)


def _grouped(entries: list[dict]) -> list[dict]:
    """A bulk action's many rows as one entry per table and action."""
    by_kind = defaultdict(list)
    for entry in entries:
        by_kind[entry["table_name"], entry["action"]].append(entry)
    grouped = []
    for (table, action), rows in by_kind.items():
        if len(rows) <= GROUP_ABOVE:
            grouped.extend(rows)
            continue
        ids = ", ".join(row["row_id"] for row in rows)
        changes = sorted({c for row in rows for c in row["changes"].split(", ") if c})
        grouped.append(
            {
                "action": action,
                "table_name": table,
                "row_id": "",
                "label": f"{len(rows)} rows",
                "changes": f"{', '.join(changes)}{'; ' if changes else ''}rows {ids}",
            }
        )
    return grouped


def _write(connection: Connection, actor: dict, entries: list[dict]) -> None:
    if not entries:
        return
    moment = clock.now()
    connection.execute(
        insert(AuditEntry), [{"created_at": moment, **actor, **entry} for entry in entries]
    )


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if not _may_audit():
        return
    connection = session.connection()
    actor = _request_actor(connection)
    if actor is not None:
        _write(connection, actor, _entries_of_flush(session))


def _statement_entry(state) -> dict | None:
    statement = state.statement
    if isinstance(statement, TextClause):
        verb = statement.text.split(None, 1)[0].lower() if statement.text.strip() else ""
        if verb not in ("insert", "update", "delete", "replace"):
            return None
        return {
            "action": verb,
            "table_name": "",
            "row_id": "",
            "label": "SQL statement",
            "changes": "",
        }
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    options = state.execution_options
    if options.get("blogapp_version_write") or options.get("blogapp_not_audited"):
        return None
    table = getattr(getattr(statement, "table", None), "name", "")
    if not table or table in NOT_AUDITED:
        return None
    action = (
        AuditAction.INSERT
        if state.is_insert
        else AuditAction.UPDATE
        if state.is_update
        else AuditAction.DELETE
    )
    values = getattr(statement, "_values", None) or {}
    changes = ", ".join(sorted(getattr(column, "key", str(column)) for column in values))
    where = getattr(statement, "whereclause", None)
    columns = (
        sorted({node.key for node in visitors.iterate(where) if isinstance(node, ColumnClause)})
        if where is not None
        else []
    )
    label = f"rows where {', '.join(columns)}" if columns else "every row"
    return {
        "action": action,
        "table_name": table,
        "row_id": "",
        "label": label[:200],
        "changes": changes,
    }


def _do_orm_execute(state) -> None:
    if (
        not (
            state.is_insert
            or state.is_update
            or state.is_delete
            or isinstance(state.statement, TextClause)
        )
        or not _may_audit()
    ):
        return
    entry = _statement_entry(state)
    if entry is None:
        return
    connection = state.session.connection()
    actor = _request_actor(connection)
    if actor is not None:
        _write(connection, actor, [entry])


def watch_admin_writes() -> None:
    """Install the session hooks (once per process: ``db.session`` is shared)."""
    for name, hook in (("after_flush", _after_flush), ("do_orm_execute", _do_orm_execute)):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)


# -- readers' data in old labels ----------------------------------------------------


def _blank_labels(*where) -> int:
    return db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.label != "", *where)
        .values(label="")
        .execution_options(synchronize_session=False)
    ).rowcount


def erase_reader(reader: Reader) -> int:
    """Blank the labels that name ``reader``: their address, or the name on one of
    their comments (entries written before labels stopped naming readers). In the
    open transaction; how many."""
    return _blank_labels(
        or_(
            func.lower(AuditEntry.label) == reader.email,
            and_(
                AuditEntry.table_name == Comment.__tablename__,
                AuditEntry.row_id.in_([str(i) for i in reader.comment_ids]),
            ),
        )
    )


def prune() -> int:
    """Blank every label of a row of readers' data that an older version wrote (a
    name, an address); how many. Commits."""
    blanked = _blank_labels(AuditEntry.table_name.in_(READER_TABLES), AuditEntry.row_id != "")
    db.session.commit()
    return blanked


# -- append-only ----------------------------------------------------------------------

# The one UPDATE allowed: the label blanked, every other column as it was.
_KEPT = (
    "id",
    "created_at",
    "actor_id",
    "actor_login",
    "address",
    "request",
    "action",
    "table_name",
    "row_id",
    "changes",
)
_SQLITE_LABEL_BLANKED = "NEW.label = '' AND " + " AND ".join(
    f"NEW.{name} IS OLD.{name}" for name in _KEPT
)
_SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    f"WHEN NOT ({_SQLITE_LABEL_BLANKED}) "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
_POSTGRES_LABEL_BLANKED = (
    f"NEW.label = '' AND ({', '.join(f'NEW.{n}' for n in _KEPT)}) "
    f"IS NOT DISTINCT FROM ({', '.join(f'OLD.{n}' for n in _KEPT)})"
)
_POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN IF TG_OP = 'UPDATE' AND {_POSTGRES_LABEL_BLANKED} THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION 'the audit log is append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
]


def create_append_only_triggers(connection: Connection) -> None:
    """Refuse DELETE, and UPDATE but for a blanked label, on the audit log (called by
    ``create_all`` and the migrations; replaces older triggers). TRUNCATE by the
    database's owner, e.g. a restore, still works."""
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def _after_create(target, connection: Connection, **kw) -> None:
    create_append_only_triggers(connection)


event.listen(AuditEntry.__table__, "after_create", _after_create)
