"""The current time for the outbox, signed links and reader edits: aware UTC from
the app's ``CLOCK`` (``blogapp.models.utcnow``), which tests move instead of sleeping."""

from __future__ import annotations

from datetime import datetime

from blogapp.models import utcnow


def now() -> datetime:
    return utcnow()
