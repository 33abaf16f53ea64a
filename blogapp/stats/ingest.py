"""``flask stats ingest LOGFILE``: counts the views in nginx's access log (the
``blogapp_stats`` format of deploy/nginx-blogapp-stats.conf) into the daily rows.

Reads on from where the last run stopped (``StatsLog``: the file's inode and the byte
after the last whole line), and after a rotation first finishes the old file
(``LOGFILE.1``, which logrotate's ``delaycompress`` leaves uncompressed) before the
new one. A run is one transaction: its rows and the new position are saved together,
so a run that fails saves nothing and the next one reads the same lines again.

A view is a GET of a post's permalink answered 200 (or 304 to a browser revalidating).
A reader is a keyed hash of the address and user agent under the day's salt; the
address itself stays in this process's memory for the run. Robots are left out by
their user agent, and by behaviour: a reader who asks for robots.txt, or for more
than ``STATS_ROBOT_PAGES`` pages in a day. That is why an open day's counts are made
again from its working rows (``StatsHit``) after every run. When the day is over its
salt and working rows are deleted (``close_days``), and its counts stay as they are."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import and_, case, delete, distinct, func, literal, or_, select, update

from blogapp.clock import now
from blogapp.dates import site_zone
from blogapp.extensions import db
from blogapp.models import (
    Post,
    RemoteActor,
    StatsDay,
    StatsHit,
    StatsLog,
    StatsPostDay,
    StatsReader,
    StatsSource,
)
from blogapp.stats.channels import Channels, referrer_domain

# $time_iso8601 $status $request_method "$request_uri" "$http_referer" "$http_user_agent"
# $remote_addr (nginx writes a quote inside a field as \x22, so none ends a field early).
LINE = re.compile(rb'^(\S+) (\d{3}) ([A-Z]+) "([^"]*)" "([^"]*)" "([^"]*)" (\S+)$')
POST_PATH = re.compile(rb"^/\d{4}/\d{2}/\d{2}/([^/?]+)/$")
ROBOT_AGENT = re.compile(
    rb"bot|crawl|spider|slurp|archiv|scrap|fetch|preview|curl|wget|python|java/|go-http"
    rb"|libwww|httpclient|http\.rb|okhttp|axios|node|headless|phantom|lighthouse|pingdom"
    rb"|uptime|monitor|check|feed|rss|facebookexternalhit|whatsapp|mastodon|pleroma|akkoma"
    rb"|misskey|^-?$",
    re.IGNORECASE,
)
NOT_PAGES = (b"/static/", b"/uploads/", b"/favicon")
VIEWED = (b"200", b"304")
CHUNK = 1 << 20


class LogError(Exception):
    """A log file that cannot be read, in words for the operator."""


@dataclass
class Report:
    lines: int = 0  # whole lines read
    views: int = 0  # post views counted (robots' included, then left out per day)
    robots: int = 0  # lines left out for their user agent
    late: int = 0  # lines of a day already closed
    unreadable: int = 0  # lines not in the blogapp_stats format

    def summary(self) -> str:
        return (
            f"Read {self.lines} line(s): {self.views} post view(s), {self.robots} by "
            f"robots' user agents, {self.late} of closed days, {self.unreadable} "
            "not in the blogapp_stats format."
        )


class _Lines:
    """The whole lines of a file from ``start``; ``end`` is the byte after the last."""

    def __init__(self, file, start: int) -> None:
        self.file, self.end = file, start

    def __iter__(self):
        self.file.seek(self.end)
        rest = b""
        while chunk := self.file.read(CHUNK):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                self.end += len(line) + 1
                yield line


def today() -> date:
    return now().astimezone(site_zone()).date()


class _Count:
    """What one run saw, per day, before it is merged with the day's working rows."""

    def __init__(self, channels: Channels, posts: dict[str, tuple[int, str]]) -> None:
        self.channels, self.posts = channels, posts
        self.hits: dict[tuple, int] = defaultdict(int)  # (day, digest, post, channel, domain)
        self.pages: dict[tuple[date, bytes], int] = defaultdict(int)
        self.robots: set[tuple[date, bytes]] = set()
        self.salts: dict[date, bytes | None] = {}
        self.zone = site_zone()
        self._days: dict[bytes, date] = {}
        self._digests: dict[tuple, bytes] = {}
        self._referrers: dict[bytes, str] = {}
        self._robots: dict[bytes, bool] = {}

    def day_of(self, stamp: bytes) -> date:
        key = stamp[:16] + stamp[19:]  # to the minute, with the offset
        day = self._days.get(key)
        if day is None:
            moment = datetime.fromisoformat(stamp.decode("ascii"))
            day = self._days[key] = moment.astimezone(self.zone).date()
        return day

    def salt_of(self, day: date) -> bytes | None:
        if day not in self.salts:
            row = db.session.get(StatsDay, day)
            if row is None:
                row = StatsDay(day=day, salt=secrets.token_bytes(32), readers=0)
                db.session.add(row)
            self.salts[day] = row.salt
        return self.salts[day]

    def digest_of(self, day: date, salt: bytes, address: bytes, agent: bytes) -> bytes:
        if address == b"-":
            return b""  # a log without addresses: views, but no readers
        key = (day, address, agent)
        digest = self._digests.get(key)
        if digest is None:
            digest = hashlib.blake2b(address + b"\n" + agent, key=salt, digest_size=16).digest()
            self._digests[key] = digest
        return digest

    def domain_of(self, referrer: bytes) -> str:
        domain = self._referrers.get(referrer)
        if domain is None:
            text = referrer.decode("ascii", "replace")
            domain = self._referrers[referrer] = referrer_domain(text)
        return domain

    def line(self, line: bytes, report: Report) -> None:
        match = LINE.match(line)
        if match is None:
            report.unreadable += 1
            return
        stamp, status, method, uri, referrer, agent, address = match.groups()
        robot = self._robots.get(agent)
        if robot is None:
            robot = self._robots[agent] = ROBOT_AGENT.search(agent) is not None
        if robot:
            report.robots += 1
            return
        if method != b"GET" or status not in VIEWED:
            return
        try:
            day = self.day_of(stamp)
        except (ValueError, UnicodeDecodeError):
            report.unreadable += 1
            return
        salt = self.salt_of(day)
        if salt is None:
            report.late += 1
            return
        digest = self.digest_of(day, salt, address, agent)
        path, _, query = uri.partition(b"?")
        if path == b"/robots.txt":
            self.robots.add((day, digest))
            return
        if path.startswith(NOT_PAGES):
            return
        self.pages[(day, digest)] += 1
        found = POST_PATH.match(path)
        if found is None:
            return
        slug = found.group(1)
        if b"\\x" in slug:  # bytes a client sent unencoded: nginx logs them as \xHH
            slug = slug.replace(b"\\x", b"%")
        post = self.posts.get(unquote(slug.decode("ascii", "replace")))
        if post is None:
            return
        ref = ""
        if b"ref=" in query:
            ref = parse_qs(query.decode("ascii", "replace")).get("ref", [""])[0]
        domain = self.domain_of(referrer)
        channel = self.channels.of(ref, domain)
        self.hits[(day, digest, post[0], channel, domain if channel != "site" else "")] += 1
        report.views += 1


def _channels() -> Channels:
    own = {urlsplit(current_app.config["SITE_URL"]).hostname or ""}
    if current_app.config.get("ONION_ADDRESS"):
        own.add(current_app.config["ONION_ADDRESS"])
    fediverse = set(Channels().fediverse)
    for uri in db.session.scalars(select(RemoteActor.uri)):
        host = urlsplit(uri).hostname
        if host:
            fediverse.add(host.removeprefix("www."))
    return Channels(own=frozenset(own), fediverse=frozenset(fediverse))


def _posts() -> dict[str, tuple[int, str]]:
    rows = db.session.execute(select(Post.slug, Post.id, Post.language))
    return {slug: (post_id, language) for slug, post_id, language in rows}


def _sources(path: str, state: StatsLog):
    """The files to read, each from where to start: the rotated file's rest first."""
    try:
        current = os.stat(path)
    except OSError as error:
        raise LogError(f"Cannot read {path}: {error.strerror}.") from error
    if state.inode and current.st_ino != state.inode:
        rotated = f"{path}.1"
        try:
            old = os.stat(rotated)
        except OSError:
            old = None
        first = [(rotated, state.position)] if old and old.st_ino == state.inode else []
        return [*first, (path, 0)]
    if current.st_size < state.position:
        return [(path, 0)]  # truncated in place (copytruncate)
    return [(path, state.position)]


def ingest(path: str) -> Report:
    """Count what ``path`` holds past the last run, and save it with the new position.
    One run at a time (a lock file in the instance folder): two runs reading from the
    same position would count the same lines twice."""
    lock_path = os.path.join(current_app.instance_path, "stats-ingest.lock")
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LogError("Another `flask stats ingest` is running; this one stopped.") from error
        return _ingest(os.path.abspath(path))


def _ingest(path: str) -> Report:
    state = db.session.get(StatsLog, path)
    if state is None:
        state = StatsLog(path=path, inode=0, position=0, lines=0)
        db.session.add(state)
    count, report = _Count(_channels(), _posts()), Report()
    for name, start in _sources(path, state):
        try:
            with open(name, "rb") as file:
                lines = _Lines(file, start)
                for line in lines:
                    report.lines += 1
                    count.line(line, report)
                inode = os.fstat(file.fileno()).st_ino
        except OSError as error:
            raise LogError(f"Cannot read {name}: {error.strerror}.") from error
    state.inode, state.position = inode, lines.end
    state.lines += report.lines
    state.ingested_at = now()
    for day in sorted(
        {key[0] for key in count.pages}
        | {key[0] for key in count.hits}
        | {key[0] for key in count.robots}
    ):
        _merge_day(day, count)
    close_days(before=today())
    db.session.commit()
    return report


def _merge_day(day: date, count: _Count) -> None:
    """Add this run's working rows to the day's, and make its counts again from them
    (in SQL: an ingest of a busy day writes only what it read)."""
    value = day.isoformat() if _dialect() == "sqlite" else day
    seen = {digest for (d, digest) in count.pages if d == day}
    seen |= {digest for (d, digest) in count.robots if d == day}
    _upsert(
        "stats_readers",
        ("day", "digest"),
        ("pages", "robots"),
        "pages = stats_readers.pages + excluded.pages, "
        "robots = stats_readers.robots OR excluded.robots",
        [
            (value, digest, count.pages.get((day, digest), 0), (day, digest) in count.robots)
            for digest in seen
        ],
    )
    _upsert(
        "stats_hits",
        ("day", "digest", "post_id", "channel", "referrer"),
        ("views",),
        "views = stats_hits.views + excluded.views",
        [
            (value, digest, post_id, channel, referrer, views)
            for (d, digest, post_id, channel, referrer), views in count.hits.items()
            if d == day
        ],
    )

    limit = int(current_app.config["STATS_ROBOT_PAGES"])
    robots = select(StatsReader.digest).where(
        StatsReader.day == day,
        or_(StatsReader.robots, StatsReader.pages > limit),
        StatsReader.digest != b"",
    )
    counted = and_(StatsHit.day == day, StatsHit.digest.not_in(robots))
    known = case((StatsHit.digest != b"", StatsHit.digest))  # NULL for a log without addresses
    for model in (StatsPostDay, StatsSource):
        db.session.execute(delete(model).where(model.day == day))
    db.session.execute(
        StatsPostDay.__table__.insert().from_select(
            ["day", "post_id", "language", "views", "readers"],
            select(
                literal(day),
                StatsHit.post_id,
                Post.language,
                func.sum(StatsHit.views),
                func.count(distinct(known)),
            )
            .join(Post, Post.id == StatsHit.post_id)
            .where(counted)
            .group_by(StatsHit.post_id, Post.language),
        )
    )
    db.session.execute(
        StatsSource.__table__.insert().from_select(
            ["day", "post_id", "channel", "referrer", "language", "views"],
            select(
                literal(day),
                StatsHit.post_id,
                StatsHit.channel,
                StatsHit.referrer,
                Post.language,
                func.sum(StatsHit.views),
            )
            .join(Post, Post.id == StatsHit.post_id)
            .where(counted)
            .group_by(StatsHit.post_id, StatsHit.channel, StatsHit.referrer, Post.language),
        )
    )
    everyone = select(func.count(distinct(known))).where(counted).scalar_subquery()
    db.session.execute(update(StatsDay).where(StatsDay.day == day).values(readers=everyone))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _upsert(
    table: str, keys: tuple[str, ...], values: tuple[str, ...], update_set: str, rows: list[tuple]
) -> None:
    """Add ``rows`` to a working table, straight to the driver: a busy day's run writes
    hundreds of thousands of them, and SQLAlchemy's work per parameter would double the
    run's time. The same SQL on SQLite and PostgreSQL but for the placeholders."""
    if not rows:
        return
    mark = "?" if _dialect() == "sqlite" else "%s"
    columns = keys + values
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update_set}"
    )
    db.session.connection().exec_driver_sql(sql, rows)


def close_days(before: date) -> int:
    """Forget the salts and reader hashes of the days before ``before``: their counts
    are final. Works in the open transaction; returns how many days were closed."""
    days = list(
        db.session.scalars(
            select(StatsDay.day).where(StatsDay.day < before, StatsDay.salt.is_not(None))
        )
    )
    if days:
        db.session.execute(delete(StatsReader).where(StatsReader.day.in_(days)))
        db.session.execute(delete(StatsHit).where(StatsHit.day.in_(days)))
        db.session.execute(update(StatsDay).where(StatsDay.day.in_(days)).values(salt=None))
    return len(days)


def prune() -> str:
    """``flask prune``'s job: a day's hashes are forgotten a day after it ended even
    when no ingest runs (the ingest forgets them at its first run after midnight)."""
    closed = close_days(before=today() - timedelta(days=1))
    db.session.commit()
    return f"Forgot the reader hashes of {closed} finished day(s) of reading counts."
