"""The mail worker's heartbeat: each pass of a lane (``flask deliver``, one pass or
``--loop``) writes the time it ended to a small file, ``MAIL_HEARTBEAT_FILE``
(``instance/mail-worker.heartbeat`` unless set). ``flask doctor`` and ``/metrics``
read it: a worker that stopped, or hangs, stops writing.

A file rather than a row: a write every few seconds would take SQLite's write lock
and change nothing a reader sees. The worker and the site share the instance folder
on the usual single host; a worker on another host points the setting at a shared
path."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app

from blogapp.clock import now

_beating = threading.Lock()


def heartbeat_path(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("MAIL_HEARTBEAT_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "mail-worker.heartbeat"


def beat(lane: str) -> None:
    """Record that ``lane`` finished a pass now (written whole, then renamed into place)."""
    path = heartbeat_path()
    # The lanes are threads of one worker: each reads the file, adds its own time and
    # writes it back, one at a time, or one would drop another's lane (and rename the
    # temporary file from under it).
    with _beating:
        beats = _read(path)
        beats[lane] = now().isoformat()
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(beats, sort_keys=True))
            os.replace(temporary, path)
        except OSError as error:  # a full disk must not stop the mail
            current_app.logger.warning("mail worker heartbeat not written: %s", error)


def last_beats(app: Flask | None = None) -> dict[str, datetime]:
    """When each lane last finished a pass; empty when the worker never ran here."""
    found: dict[str, datetime] = {}
    for lane, moment in _read(heartbeat_path(app)).items():
        try:
            found[lane] = datetime.fromisoformat(moment)
        except (TypeError, ValueError):
            continue
    return found


def _read(path: Path) -> dict[str, str]:
    try:
        beats = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return beats if isinstance(beats, dict) else {}
