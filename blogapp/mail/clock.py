"""The current time for the outbox and signed links: aware UTC, from the
``CLOCK`` setting when a test injects one, so expiry is tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def now() -> datetime:
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)
