"""Times are stored in UTC and shown in the site's time zone (``TIMEZONE``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import get_month_names
from flask import current_app
from flask_babel import gettext

from blogapp.digits import page_digits
from blogapp.interface_language import current_language


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
    """A day as the page's language writes it: "November 29, 2026", "២៩ វិច្ឆិកា ២០២៦"."""
    local = to_local(value)
    language = current_language()
    if language == "en":
        return f"{local:%B} {local.day}, {local.year}"
    return _written_day(local.date(), language, bool(current_app.config["KHMER_DIGITS"]))


@lru_cache(maxsize=4096)
def _written_day(day: date, language: str, khmer_digits: bool) -> str:
    """A day in ``language`` (not English), worked out once per worker: a page shows a
    dozen dates and Babel's formatting is slow. ``khmer_digits``: ``KHMER_DIGITS``,
    which ``page_digits`` reads."""
    return page_digits(babel_format_date(day, "long", locale=language), language)


def format_datetime(value: datetime) -> str:
    local = to_local(value)
    return gettext(
        "%(date)s at %(time)s", date=format_date(value), time=page_digits(f"{local:%H:%M}")
    )


def month_name(month: int) -> str:
    language = current_language()
    if language == "en":
        # As format_date writes English: Babel's locale data (with its global data, some
        # 4 MB in each worker) is loaded only by a page in another language.
        return f"{datetime(2000, month, 1):%B}"
    return get_month_names("wide", locale=language)[month]


def format_month(year: int, month: int) -> str:
    """A month archive's heading: "November 2026", "វិច្ឆិកា ២០២៦"."""
    return f"{month_name(month)} {page_digits(str(year))}"


def format_day(year: int, month: int, day: int) -> str:
    return format_date(datetime(year, month, day, 12, tzinfo=site_zone()))
