"""``flask --app blogapp backup PATH``: a consistent copy of the live database.

SQLite's online backup API copies the database while the site keeps running;
in WAL mode it reads one snapshot, so the file at PATH holds one committed
state, and writers are not held up. PostgreSQL has its own
tool for this, pg_dump; the command says how to run it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url


def sqlite_path(database_uri: str) -> Path | None:
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise click.ClickException("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` with the online backup API; ``target``
    appears only once the copy is complete."""
    if not source.is_file():
        raise click.ClickException(f"No database at {source}.")
    if target.is_dir():
        raise click.ClickException(f"{target} is a directory; give a file name.")
    if not target.parent.is_dir():
        raise click.ClickException(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # One step: in WAL mode the copy reads a single snapshot and writers carry on
        # meanwhile; copying in several steps would restart whenever a writer commits.
        src.backup(dst, pages=-1)
        # The copy is a plain rollback-journal file: one file, no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)


def postgres_instructions(database_uri: str) -> str:
    url = make_url(database_uri).set(drivername="postgresql")
    shown = url.render_as_string(hide_password=True)
    return (
        "This site runs on PostgreSQL; back it up with pg_dump, which takes a consistent\n"
        "snapshot while the site runs:\n\n"
        f"  pg_dump --format=custom --file=PATH '{shown}'\n\n"
        "(give the password with PGPASSWORD or ~/.pgpass) and restore into an empty database:\n\n"
        "  pg_restore --no-owner --dbname=NEW_DATABASE_URL PATH\n"
    )


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the live SQLite database to PATH (for PostgreSQL: how to use pg_dump)."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    source = sqlite_path(uri)
    if source is None:
        click.echo(postgres_instructions(uri), err=True)
        raise SystemExit(1)
    backup_sqlite(source, path)
    size = path.stat().st_size
    click.echo(f"Backed up {source} to {path} ({size:,} bytes).")
