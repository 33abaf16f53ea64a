"""Times are stored in UTC and shown in the site's time zone (``TIMEZONE``)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def site_zone() -> ZoneInfo:
    return _zone(current_app.config["TIMEZONE"])


def to_local(value: datetime) -> datetime:
    return value.astimezone(site_zone())


def local_to_utc(value: datetime) -> datetime:
    """A naive wall-clock time typed in the site's zone, as aware UTC."""
    return value.replace(tzinfo=site_zone()).astimezone(UTC)


def format_date(value: datetime) -> str:
    local = to_local(value)
    return f"{local:%B} {local.day}, {local.year}"


def format_datetime(value: datetime) -> str:
    local = to_local(value)
    return f"{format_date(value)} at {local:%H:%M}"
