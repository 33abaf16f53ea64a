"""The record of the last backup and the last verify run, in the instance folder
(``backup-status.json``), for ``flask doctor`` and the health screen:
``backup_status(app)`` says how old the last backup is and whether that very archive
(by the SHA-256 of its encrypted bytes) was verified since.

A file, not a table: a restore replaces the database, and the record must survive it
(and a verify run on another machine writes to its own instance folder).

A leaf module: it imports nothing of the app."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask

STATUS_FILE = "backup-status.json"


@dataclass(frozen=True)
class BackupStatus:
    last_backup_at: datetime | None  # aware UTC; None: no backup made from this instance
    last_backup_archive: str | None
    verified: bool  # the last backup's archive passed `flask backup --verify`
    last_verify_at: datetime | None
    last_verify_ok: bool | None  # the last verify run's result, of whichever archive

    def age_seconds(self, now: datetime) -> float | None:
        if self.last_backup_at is None:
            return None
        return (now - self.last_backup_at).total_seconds()


def _path(app: Flask) -> Path:
    return Path(app.instance_path) / STATUS_FILE


def _read(app: Flask) -> dict:
    try:
        return json.loads(_path(app).read_text())
    except (OSError, ValueError):
        return {}


def _write(app: Flask, record: dict) -> None:
    path = _path(app)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(partial, path)


def record_backup(app: Flask, at: datetime, archive: Path, sha256: str, size: int) -> None:
    record = _read(app)
    record["backup"] = {
        "at": at.isoformat(),
        "archive": str(archive),
        "sha256": sha256,
        "size": size,
    }
    _write(app, record)


def record_verify(app: Flask, at: datetime, archive: Path, sha256: str, ok: bool) -> None:
    record = _read(app)
    record["verify"] = {"at": at.isoformat(), "archive": str(archive), "sha256": sha256, "ok": ok}
    if ok:
        record.setdefault("verified", [])
        record["verified"] = [*record["verified"][-99:], sha256]
    _write(app, record)


def backup_status(app: Flask) -> BackupStatus:
    record = _read(app)
    backup = record.get("backup") or {}
    verify = record.get("verify") or {}
    return BackupStatus(
        last_backup_at=datetime.fromisoformat(backup["at"]) if backup.get("at") else None,
        last_backup_archive=backup.get("archive"),
        verified=bool(backup.get("sha256")) and backup["sha256"] in record.get("verified", []),
        last_verify_at=datetime.fromisoformat(verify["at"]) if verify.get("at") else None,
        last_verify_ok=verify.get("ok"),
    )
