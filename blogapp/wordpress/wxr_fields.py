"""A WXR record's fields read as this blog's values: dates, slugs, the language of a
text, the host of a URL; and the chunking of long ``IN (...)`` lists."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import regex
from flask import current_app

from blogapp import clock
from blogapp.content import slugify
from blogapp.dates import local_to_utc
from blogapp.wordpress.html_fragments import text_of
from blogapp.wordpress.import_report import ImportReport
from blogapp.wordpress.wxr_reader import WxrError, WxrItem

IN_CHUNK = 500  # values per SQL IN (...) list

_SLUG_OK = regex.compile(r"^[\p{L}\p{M}\p{N}_-]+$")
_KHMER = regex.compile(r"[\u1780-\u17ff]")
_LATIN = regex.compile(r"[A-Za-z]")
_WP_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})")
_LANGUAGE_SAMPLE = 4000  # characters of a body enough to tell Khmer from English


def parse_wp_date(value: str, line: int | None, *, local: bool) -> datetime | None:
    """A WXR date ('YYYY-MM-DD HH:MM:SS') as aware UTC; None for an empty or zero date."""
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    # Read by hand: strptime costs more than the rest of a comment's row (110,000 dates
    # in a large export).
    parts = _WP_DATE.fullmatch(value)
    try:
        if parts is None:
            raise ValueError(value)
        naive = datetime(*map(int, parts.groups()))  # type: ignore[misc]
    except ValueError:
        raise WxrError(f"invalid date {value!r} (expected YYYY-MM-DD HH:MM:SS)", line) from None
    return local_to_utc(naive) if local else naive.replace(tzinfo=UTC)


def item_date(gmt: str, local: str, line: int | None) -> datetime | None:
    return parse_wp_date(gmt, line, local=False) or parse_wp_date(local, line, local=True)


def item_dates(item: WxrItem, report: ImportReport) -> tuple[datetime, datetime]:
    """(published, modified) of a post, page or attachment; now when it has no date."""
    published = item_date(item.post_date_gmt, item.post_date, item.line)
    if published is None:
        published = clock.now()
        if item.status in ("publish", "future", "private"):
            report.warn(f"{item.post_type} {item.wp_id} has no date; using now", item.line)
    modified = item_date(item.modified_gmt, item.modified, item.line) or published
    return published, modified


def clean_slug(raw: str) -> str:
    """A WordPress slug, percent-decoded so Khmer reads as Khmer; re-slugged if odd."""
    slug = unicodedata.normalize("NFC", unquote(raw.strip())).lower()
    if slug and not _SLUG_OK.match(slug):
        slug = slugify(slug)
    return slug[:200]


def guess_language(title: str, body: str) -> str:
    """Khmer when the title (else the start of the text) is mostly Khmer letters."""
    sample = title.strip() or text_of(body[:_LANGUAGE_SAMPLE])
    if len(_KHMER.findall(sample)) > len(_LATIN.findall(sample)):
        return "km"
    return current_app.config.get("SITE_LANGUAGE", "en")


def host_of(url: str) -> str:
    """The host of ``url``, lower case and without ``www.``, as the old site's base URLs
    and its links may name it either way."""
    host = urlsplit(url.strip()).netloc.lower()
    return host[4:] if host.startswith("www.") else host


T = TypeVar("T")


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
