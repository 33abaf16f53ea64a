"""Reading counts (``blogapp.stats``): numbers per post and per day, never a record of
a visit.

Two kinds of table. The daily counts (``stats_post_days``, ``stats_sources``) are
kept as long as the site wants and hold no address, user agent or full referrer: a
post, a day, a language, a channel, a referrer's domain and numbers. The working rows
behind "unique readers" (``stats_readers``, ``stats_hits``) hold a keyed hash of the
reader's address and user agent under the day's salt (``StatsDay.salt``); when the
day is over, its salt and its working rows are deleted (``blogapp.stats.ingest.
close_days``), so nothing links two days or leads back to an address."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import UTCDateTime

# Where a view came from (``StatsSource.channel``).
CHANNELS = ("newsletter", "telegram", "facebook", "search", "fediverse", "site", "other", "direct")


class StatsDay(db.Model):
    """A counted day in the site's time zone. ``salt`` keys the day's reader hashes
    while the day is open; it is set to NULL when the day is closed, and the day's
    numbers are final from then on. ``readers`` counts the site's distinct readers."""

    __tablename__ = "stats_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    readers: Mapped[int] = mapped_column(Integer, default=0)


class StatsReader(db.Model):
    """A reader of an open day, known only by ``digest`` (a keyed hash of address and
    user agent under the day's salt): how many pages they asked for and whether they
    asked for robots.txt, the behaviour that marks a robot. Deleted with the day's salt."""

    __tablename__ = "stats_readers"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    robots: Mapped[bool] = mapped_column(default=False)


class StatsHit(db.Model):
    """Views of one post by one reader of an open day, by channel and referrer's
    domain: what the day's counts are made from again after each ingest, so a reader
    found to be a robot leaves them. Deleted with the day's salt."""

    __tablename__ = "stats_hits"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE", name="fk_stats_hits_post"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    referrer: Mapped[str] = mapped_column(String(253), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class StatsPostDay(db.Model):
    """A post's views and distinct readers on a day (robots left out). ``language`` is
    the post's when counted."""

    __tablename__ = "stats_post_days"
    __table_args__ = (Index("ix_stats_post_days_day", "day"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE", name="fk_stats_post_days_post"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(10))
    views: Mapped[int] = mapped_column(Integer, default=0)
    readers: Mapped[int] = mapped_column(Integer, default=0)


class StatsSource(db.Model):
    """A post's views on a day from one channel and referring domain ("" for none)."""

    __tablename__ = "stats_sources"
    __table_args__ = (Index("ix_stats_sources_day", "day"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE", name="fk_stats_sources_post"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    referrer: Mapped[str] = mapped_column(String(253), primary_key=True)
    language: Mapped[str] = mapped_column(String(10))
    views: Mapped[int] = mapped_column(Integer, default=0)


class StatsLog(db.Model):
    """How far ``flask stats ingest`` has read an access log: the file's inode and the
    byte after the last whole line read, so the next run starts there and a rotated
    file is finished before the new one is begun."""

    __tablename__ = "stats_logs"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger, default=0)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    ingested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
