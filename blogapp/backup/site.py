"""The whole site in one archive, and back: ``make_backup``, ``restore_backup``,
``verify_backup``. The commands (``blogapp.backup.cli``) and ``flask upgrade`` call
these; each takes the app explicitly and works outside a request.

A restore first decrypts and checks the whole archive into a staging folder beside
its targets; only an archive that passed every check touches the database, the
uploads or the instance folder, so a wrong key or a truncated file changes nothing."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from blogapp import clock
from blogapp.backup import database
from blogapp.backup.archive import (
    FORMAT,
    VERSION,
    BackupError,
    Written,
    read_archive,
    write_archive,
)
from blogapp.backup.prune import archive_name
from blogapp.backup.settings import redacted_database, settings_without_secrets, write_config
from blogapp.backup.status import record_backup, record_verify

SETTINGS_MEMBER = "instance/settings.json"


@contextmanager
def private_folder(near: Path) -> Iterator[Path]:
    """A folder only this user can read, on the same disk as ``near`` (not /tmp,
    which may be memory), removed afterwards."""
    near.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=near) as name:
        os.chmod(name, 0o700)
        yield Path(name)


def upload_members(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        return []
    return [
        ("uploads/" + path.relative_to(folder).as_posix(), path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]


def make_backup(
    app: Flask, dest: Path, recipients: list[Any], *, record: bool = True
) -> tuple[Path, Written]:
    """Write the site's archive to ``dest`` (a file, or a folder to name it in).
    ``record``: this is the site's latest backup for the health checks (``flask
    upgrade``'s rollback point is not: it stays on the server)."""
    now = clock.now(app=app)
    target = dest / archive_name(now) if dest.is_dir() else dest
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with private_folder(Path(app.instance_path)) as work:
        member, snapshot_file, tables, revision = database.snapshot(uri, work)
        settings, left_out = settings_without_secrets(app)
        settings_file = work / "settings.json"
        settings_file.write_text(json.dumps({"settings": settings, "left_out": left_out}))
        uploads = upload_members(Path(app.config["UPLOAD_FOLDER"]))
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": now.isoformat(),
            "database": {
                "backend": database.backend(uri),
                "member": member,
                "revision": revision,
                "tables": tables,
            },
            "uploads": len(uploads),
            "secrets_left_out": left_out,
        }
        written = write_archive(
            target,
            recipients,
            [(member, snapshot_file), (SETTINGS_MEMBER, settings_file), *uploads],
            manifest,
        )
    if record:
        record_backup(app, now, target, written.sha256, written.size)
    return target, written


@dataclass(frozen=True)
class Restored:
    revision: str | None
    tables: int
    rows: int
    uploads: int
    config: Path | None  # the config.py written, if one was


def restore_backup(
    app: Flask,
    archive: Path,
    identities: list[Any],
    *,
    database_uri: str,
    uploads: Path,
    into: Path,
    replace: bool = False,
) -> Restored:
    """Restore ``archive`` into ``database_uri``, ``uploads`` and the instance folder
    ``into``. All three must be empty, unless ``replace``: then the database and the
    uploads are replaced and the instance folder's config is left as it is (a
    rollback on the same server)."""
    into.mkdir(parents=True, exist_ok=True)
    if not replace:
        _refuse_non_empty(database_uri, uploads, into)
    with private_folder(uploads.parent) as staging:
        unpacked = read_archive(archive, identities, staging)
        manifest = unpacked.manifest
        member = staging / manifest["database"]["member"]
        # Checked before anything changes: the database's kind and the folders' state.
        expected = (
            "blogapp.sqlite" if database.backend(database_uri) == "sqlite" else ("blogapp.pgdump")
        )
        if member.name != expected:
            raise BackupError(
                f"This archive holds a {manifest['database']['backend']} database; "
                f"restore it into {manifest['database']['backend']}."
            )
        database.restore(database_uri, member, replace)
        staged_uploads = staging / "uploads"
        staged_uploads.mkdir(exist_ok=True)
        if uploads.exists():
            old = staging / "uploads-replaced"
            os.replace(uploads, old)
        os.replace(staged_uploads, uploads)
        config = None
        if not replace:  # a rollback keeps the server's own settings
            config = write_config(into, staging / "instance" / "settings.json", archive.name)
    tables = manifest["database"]["tables"]
    return Restored(
        revision=manifest["database"]["revision"],
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        uploads=manifest["uploads"],
        config=config,
    )


def _refuse_non_empty(database_uri: str, uploads: Path, into: Path) -> None:
    if database.tables_in(database_uri):
        raise BackupError(
            f"The database {redacted_database(database_uri)} is not empty: restore "
            "into an empty one (or, to replace this site's data, give --replace)."
        )
    if uploads.is_dir() and any(uploads.iterdir()):
        raise BackupError(
            f"The uploads folder {uploads} is not empty: restore into an empty instance "
            "(or, to replace this site's data, give --replace)."
        )
    if (into / "config.py").exists():
        raise BackupError(
            f"The instance folder {into} already has a config.py: restore into an empty "
            "instance folder (or, to replace this site's data, give --replace)."
        )


@dataclass(frozen=True)
class Verified:
    tables: int
    rows: int
    uploads: int
    revision: str | None


def verify_backup(app: Flask, archive: Path, identities: list[Any]) -> Verified:
    """Restore ``archive`` into a scratch database and folder and compare every
    table's rows and hash, and every file's hash, with its manifest. Records the
    result for ``backup_status``."""
    now = clock.now(app=app)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    sha256 = ""
    try:
        with private_folder(Path(app.instance_path)) as work:
            unpacked = read_archive(archive, identities, work / "archive")
            sha256 = unpacked.sha256
            manifest = unpacked.manifest
            with database.scratch_database(uri, work) as scratch:
                database.restore(
                    scratch, work / "archive" / manifest["database"]["member"], replace=False
                )
                tables, revision = database.read_fingerprint(scratch)
            expected = manifest["database"]["tables"]
            if tables != expected:
                differing = sorted(
                    name
                    for name in set(tables) | set(expected)
                    if tables.get(name) != expected.get(name)
                )
                raise BackupError(
                    "The restored database differs from the manifest in: "
                    + ", ".join(differing[:10])
                )
            if revision != manifest["database"]["revision"]:
                raise BackupError("The restored database's schema revision differs.")
    except BackupError:
        record_verify(app, now, archive, sha256, ok=False)
        raise
    record_verify(app, now, archive, sha256, ok=True)
    return Verified(
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        uploads=manifest["uploads"],
        revision=revision,
    )
