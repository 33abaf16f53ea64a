"""What the stats screens show, each a few grouped queries over the daily rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from blogapp.config import LANGUAGES as SITE_LANGUAGES
from blogapp.extensions import db
from blogapp.models import Post, StatsDay, StatsLog, StatsPostDay, StatsSource

LANGUAGES = tuple(language.code for language in SITE_LANGUAGES)
TOP = 10


def views_by_day(first: date, last: date) -> dict[tuple[date, str], int]:
    rows = db.session.execute(
        select(StatsPostDay.day, StatsPostDay.language, func.sum(StatsPostDay.views))
        .where(StatsPostDay.day.between(first, last))
        .group_by(StatsPostDay.day, StatsPostDay.language)
    )
    return {(day, language): int(views) for day, language, views in rows}


def readers_by_day(first: date, last: date) -> int:
    """The sum of each day's distinct readers (a reader on two days counts twice)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StatsDay.readers), 0)).where(
                StatsDay.day.between(first, last)
            )
        )
    )


@dataclass(frozen=True)
class TopPost:
    post_id: int
    title: str
    views: int
    readers: int


def top_posts(first: date, last: date) -> dict[str, list[TopPost]]:
    """The most viewed posts of each language; readers summed over the days."""
    found: dict[str, list[TopPost]] = {}
    for language in LANGUAGES:
        views = func.sum(StatsPostDay.views).label("views")
        rows = db.session.execute(
            select(Post.id, Post.title, views, func.sum(StatsPostDay.readers))
            .join(Post, Post.id == StatsPostDay.post_id)
            .where(StatsPostDay.day.between(first, last), StatsPostDay.language == language)
            .group_by(Post.id, Post.title)
            .order_by(views.desc(), Post.id)
            .limit(TOP)
        )
        found[language] = [TopPost(i, t, int(v), int(r)) for i, t, v, r in rows]
    return found


def channels(first: date, last: date, post_id: int | None = None) -> list[tuple[str, dict]]:
    """Each channel with its views per language, the busiest first."""
    stmt = (
        select(StatsSource.channel, StatsSource.language, func.sum(StatsSource.views))
        .where(StatsSource.day.between(first, last))
        .group_by(StatsSource.channel, StatsSource.language)
    )
    if post_id is not None:
        stmt = stmt.where(StatsSource.post_id == post_id)
    table: dict[str, dict[str, int]] = {}
    for channel, language, views in db.session.execute(stmt):
        table.setdefault(channel, {})[language] = int(views)
    return sorted(table.items(), key=lambda item: (-sum(item[1].values()), item[0]))


def referrers(first: date, last: date) -> list[tuple[str, int]]:
    views = func.sum(StatsSource.views).label("views")
    rows = db.session.execute(
        select(StatsSource.referrer, views)
        .where(StatsSource.day.between(first, last), StatsSource.referrer != "")
        .group_by(StatsSource.referrer)
        .order_by(views.desc(), StatsSource.referrer)
        .limit(TOP)
    )
    return [(domain, int(n)) for domain, n in rows]


def logs() -> list[StatsLog]:
    return list(db.session.scalars(select(StatsLog).order_by(StatsLog.path)))


@dataclass(frozen=True)
class PostNumbers:
    views_30: int
    readers_30: int
    views_all: int
    channels: list[tuple[str, dict]]


def post_numbers(post_id: int, last: date) -> PostNumbers:
    first = last - timedelta(days=29)
    recent = db.session.execute(
        select(
            func.coalesce(func.sum(StatsPostDay.views), 0),
            func.coalesce(func.sum(StatsPostDay.readers), 0),
        ).where(StatsPostDay.post_id == post_id, StatsPostDay.day.between(first, last))
    ).one()
    total = db.session.scalar(
        select(func.coalesce(func.sum(StatsPostDay.views), 0)).where(
            StatsPostDay.post_id == post_id
        )
    )
    return PostNumbers(
        int(recent[0]), int(recent[1]), int(total), channels(first, last, post_id=post_id)
    )
