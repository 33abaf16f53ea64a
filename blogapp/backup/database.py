"""The database's part of a backup: a consistent snapshot taken while the site
runs, its restore into an empty database, and a fingerprint (rows and a hash per
table) that a verify run compares after restoring.

Each database's own tool rather than rows copied by SQLAlchemy: SQLite's online
backup API gives a file that *is* the database (indexes, the search index, its
triggers, ``sqlite_sequence`` so that ids are never given twice); on PostgreSQL
``pg_dump`` carries the generated search column, the audit log's triggers and every
sequence, which a row-by-row copy would have to rebuild by hand. On PostgreSQL the
fingerprint is read in the very snapshot that pg_dump reads (``pg_export_snapshot``
and ``pg_dump --snapshot``), so counts taken while readers comment still match."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import URL, Connection, make_url

from blogapp.backup.archive import BackupError
from blogapp.search.schema import is_search_index_object

SQLITE_MEMBER = "database/blogapp.sqlite"
POSTGRES_MEMBER = "database/blogapp.pgdump"


def backend(uri: str) -> str:
    name = make_url(uri).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def sqlite_file(uri: str) -> Path:
    url = make_url(uri)
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


# --- snapshot ---------------------------------------------------------------------------


def snapshot(uri: str, folder: Path) -> tuple[str, Path, dict, str | None]:
    """Write the database's snapshot into ``folder``; return its member name, its
    file, the fingerprint of what it holds and the schema revision (Alembic)."""
    if backend(uri) == "sqlite":
        target = folder / "blogapp.sqlite"
        copy_sqlite(sqlite_file(uri), target)
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as conn:
                found = fingerprint(conn), revision(conn)
        finally:
            engine.dispose()
        # The app's connect hook (blogapp.database) put the copy in WAL mode; the archive
        # holds one plain file.
        with closing(sqlite3.connect(target)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")
        return SQLITE_MEMBER, target, *found
    target = folder / "blogapp.pgdump"
    engine = create_engine(uri)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            _pg_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={target}",
                ],
                engine.url,
            )
            found = fingerprint(conn), revision(conn)
            conn.rollback()
    finally:
        engine.dispose()
    return POSTGRES_MEMBER, target, *found


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup API: one consistent snapshot while writers carry on."""
    if not source.is_file():
        raise BackupError(f"No database at {source}.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # One step: in WAL mode the copy reads a single snapshot and writers carry on
        # meanwhile; copying in several steps would restart whenever a writer commits.
        src.backup(dst, pages=-1)
        # The copy is a plain rollback-journal file: one file, no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def fingerprint(conn: Connection) -> dict[str, dict]:
    """Rows and a SHA-256 over every row (in primary-key order) of every table but the
    search index's, which the database derives from ``posts``."""
    metadata = MetaData()
    names = [n for n in inspect(conn).get_table_names() if not is_search_index_object(n)]
    metadata.reflect(conn, only=names)
    found: dict[str, dict] = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if not is_search_index_object(c.name)]
        order = list(table.primary_key.columns) or columns
        digest = hashlib.sha256()
        rows = 0
        for row in conn.execute(select(*columns).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
            rows += 1
        found[table.name] = {"rows": rows, "sha256": digest.hexdigest()}
    return found


# --- restore ----------------------------------------------------------------------------


def tables_in(uri: str) -> list[str]:
    if backend(uri) == "sqlite" and not sqlite_file(uri).exists():
        return []
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(uri: str, member: Path, replace: bool) -> None:
    """Load the snapshot ``member`` into the database at ``uri``, which must be empty
    unless ``replace`` (then everything in it is dropped first)."""
    found = tables_in(uri)
    if found and not replace:
        raise BackupError(
            f"The database is not empty ({len(found)} tables, {', '.join(sorted(found)[:3])}…): "
            "restore into an empty one, or give --replace to drop what it holds."
        )
    if backend(uri) == "sqlite":
        if member.name != "blogapp.sqlite":
            raise BackupError("This archive holds a PostgreSQL dump; restore it into PostgreSQL.")
        target = sqlite_file(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restoring")
        shutil.copyfile(member, partial)
        for suffix in ("-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(partial, target)
        return
    if member.name != "blogapp.pgdump":
        raise BackupError("This archive holds a SQLite database; restore it into SQLite.")
    engine = create_engine(uri)
    try:
        if found:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        _pg_tool(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={engine.url.database}",
                str(member),
            ],
            engine.url,
        )
    finally:
        engine.dispose()


@contextmanager
def scratch_database(uri: str, folder: Path) -> Iterator[str]:
    """An empty database of the same kind as ``uri`` for a verify run: a file in
    ``folder``, or a new PostgreSQL database beside the site's, dropped afterwards."""
    if backend(uri) == "sqlite":
        yield f"sqlite:///{folder / 'verify.sqlite'}"
        return
    url = make_url(uri)
    name = f"{url.database}_verify_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def read_fingerprint(uri: str) -> tuple[dict, str | None]:
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            return fingerprint(conn), revision(conn)
    finally:
        engine.dispose()


def _pg_tool(command: list[str], url: URL) -> None:
    """Run pg_dump or pg_restore with the connection in libpq's environment variables,
    so the password is never on a command line that ``ps`` shows."""
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", url.host or url.query.get("host")),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[variable] = str(value)
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt install postgresql-client).")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
