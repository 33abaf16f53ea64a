"""Lockdown for a bad day: one switch that holds every new comment, or closes
comments everywhere, until a time the editor picks, then lets go by itself.

Kept as two rows of the ``settings`` table, so every worker sees the switch at once
and writing it renews the content version (``blogapp.content_version``) like any
setting: kept pages and threads are drawn again with the notice. Its end is a time,
not a job: ``current()`` compares it with ``clock.now()``, and the content version
carries the end (``UNTIL_KEY`` is one of its ``CHANGES_AT`` keys), so the first
request after it renews the version and no kept page outlives the lockdown. The
audit log records who pressed the switch and when (the admin write hook)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from blogapp.clock import now
from blogapp.extensions import db
from blogapp.models import Setting
from blogapp.site_settings import forget_stored_settings, stored_settings

MODE_KEY = "comments.lockdown"
UNTIL_KEY = "comments.lockdown_until"  # seconds since the epoch
HOLD, CLOSE = "hold", "close"
MODES = {
    HOLD: _l("Hold every new comment for a moderator"),
    CLOSE: _l("Close comments everywhere"),
}
NOTICES = {
    HOLD: _l(
        "Comments are being held for moderation for a while. Yours will appear once "
        "a moderator has read it."
    ),
    CLOSE: _l("Comments are closed on the whole site for a while."),
}


@dataclass(frozen=True)
class Lockdown:
    mode: str
    until: datetime

    @property
    def notice(self) -> str:
        return str(NOTICES[self.mode])

    @property
    def closes(self) -> bool:
        return self.mode == CLOSE


def current() -> Lockdown | None:
    """The lockdown in force now, or None (none set, or its time is over)."""
    stored = stored_settings()
    mode, until = stored.get(MODE_KEY, ""), stored.get(UNTIL_KEY, "")
    if mode not in MODES or not until.isdigit():
        return None
    end = datetime.fromtimestamp(int(until), UTC)
    return Lockdown(mode, end) if end > now() else None


def switch_on(mode: str, until: datetime) -> None:
    """Hold or close until ``until`` (commits). ValueError for a mode or a time that
    cannot be (the caller says so in words)."""
    if mode not in MODES:
        raise ValueError("unknown lockdown mode")
    if until <= now():
        raise ValueError("the end of a lockdown must be in the future")
    _store(mode, str(int(until.timestamp())))


def switch_off() -> None:
    _store("", "")


def _store(mode: str, until: str) -> None:
    db.session.merge(Setting(key=MODE_KEY, value=mode))
    db.session.merge(Setting(key=UNTIL_KEY, value=until))
    db.session.commit()
    forget_stored_settings()
