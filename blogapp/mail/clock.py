"""The current time for the outbox, signed links and reader edits: aware UTC, or
what ``app.config["CLOCK"]`` returns when a test injects a callable there (not a
setting: nothing in the environment can set it), so expiry is tested without
sleeping."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def now() -> datetime:
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)
