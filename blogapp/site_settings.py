"""The ``settings`` table, read once per request.

It holds a handful of rows (the content version behind ETags, the admin's comment
rules), so one small query reads them all: a post page pays one query for both
instead of one each, and a rule an admin saves is in force on every worker at once."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Setting

_G_KEY = "blogapp_stored_settings"


def stored_settings() -> dict[str, str]:
    """Every stored setting, as key -> value, read at most once per request."""
    if not has_request_context():
        return _load()
    stored = g.get(_G_KEY)
    if stored is None:
        stored = _load()
        setattr(g, _G_KEY, stored)
    return stored


def forget_stored_settings() -> None:
    """Call after writing a setting, so the rest of the request reads it anew."""
    if has_request_context():
        g.pop(_G_KEY, None)


# Built once: read on every page, and SQLAlchemy reuses the statement's cache key.
_ALL_SETTINGS = select(Setting.key, Setting.value)


def _load() -> dict[str, str]:
    return dict(db.session.execute(_ALL_SETTINGS).all())
