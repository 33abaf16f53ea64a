"""Which old archives to keep: the newest of each of the last ``daily`` days that
have one, the newest of each of the last ``weekly`` ISO weeks, and the newest of
each of the last ``monthly`` months (grandfather-father-son). An archive kept by any
rule stays; the rest are deleted. A pure function over names and times, so tests
call it directly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

ARCHIVE_NAME = re.compile(r"^blogapp-(\d{8}T\d{6}Z)\.tar\.age$")


def archive_name(at: datetime) -> str:
    return f"blogapp-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.age"


def archive_time(name: str) -> datetime | None:
    found = ARCHIVE_NAME.match(name)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def to_keep(times: Iterable[datetime], daily: int, weekly: int, monthly: int) -> set[datetime]:
    newest_first = sorted(set(times), reverse=True)
    kept: set[datetime] = set()
    for count, period in (
        (daily, lambda t: t.date()),
        (weekly, lambda t: t.isocalendar()[:2]),
        (monthly, lambda t: (t.year, t.month)),
    ):
        periods: list = []
        for at in newest_first:
            key = period(at)
            if key in periods:
                continue
            if len(periods) >= count:
                break
            periods.append(key)
            kept.add(at)
    return kept


def prune_folder(folder: Path, daily: int, weekly: int, monthly: int) -> list[Path]:
    """Delete the archives in ``folder`` (named by ``archive_name``) that no rule
    keeps; other files are left alone. Returns what was deleted."""
    archives = {}
    for path in folder.iterdir():
        at = archive_time(path.name)
        if at is not None and path.is_file():
            archives[at] = path
    kept = to_keep(archives, daily, weekly, monthly)
    deleted = []
    for at, path in sorted(archives.items()):
        if at not in kept:
            path.unlink()
            deleted.append(path)
    return deleted
