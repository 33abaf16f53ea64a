"""Counting the attempts that protect people, where every worker and host sees them.

Failed logins (per account name and per client address) and comments (per address)
and two-factor codes are limited here, and password-reset mails are meant to be: a caller
names what it counts and whose attempts they are (a ``Counter``), ``hit()`` answers
whether one more is allowed and, if not, in how many seconds it will be. Limits that
only shed load may stay with Flask-Limiter's per-worker memory
(``blogapp.extensions.limiter``); this module is for limits an attacker must not
multiply by the number of workers.

The store is Redis when ``REDIS_URL`` is set (a sorted set of attempt times per key,
changed by one Lua script), else the database (rows of ``throttle_hits``; on SQLite in
one ``commit_write()``, on PostgreSQL under an advisory lock per key). Either way
checking and counting are one atomic step, so any number of workers, or requests at
once, get exactly the configured number of attempts. The window slides: "5 per 15
minutes" means at most 5 in any 15 minutes, not 5 since the quarter hour began.

``hit()`` counts an attempt *before* the work it guards (a password check), so
attempts still in flight count too; ``release()`` takes one back when it proved
harmless (the password was right). Each counted attempt deletes the rows whose time is
up (``prune()``; also ``flask prune-throttle``).

A password-reset mail, say, would be limited per account and per address with::

    verdict = throttle.hit(
        Counter("reset-mail-account", email, config["RESET_MAIL_RATE_LIMIT"]),
        Counter("reset-mail-address", client_address(), config["RESET_MAIL_RATE_LIMIT"]),
    )
    if not verdict.allowed:
        return throttle.refused(verdict, "Too many reset mails; please wait and try again.")

Time comes from the app's clock, ``app.extensions["blogapp.throttle"].clock`` (aware
UTC datetimes); tests replace it to move time on instead of sleeping."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app
from limits import parse_many
from sqlalchemy import BigInteger, Integer, and_, bindparam, delete, func, insert, select, text
from sqlalchemy.engine import make_url

from blogapp.clock import now
from blogapp.database import commit_write
from blogapp.errors import render_error
from blogapp.extensions import db
from blogapp.models import ThrottleHit
from blogapp.onion import client_key
from blogapp.security import ConfigurationError

EXTENSION = "blogapp.throttle"
# Settings checked at startup, so a typo stops the server instead of every login.
LIMIT_SETTINGS = (
    "LOGIN_RATE_LIMIT",
    "LOGIN_ADDRESS_RATE_LIMIT",
    "LOGIN_ACCOUNT_RATE_LIMIT",
    "COMMENT_RATE_LIMIT",
    "NEWSLETTER_SIGNUP_RATE_LIMIT",
    "PASSWORD_RESET_RATE_LIMIT",
    "PASSWORD_RESET_ACCOUNT_RATE_LIMIT",
    "FEDIVERSE_INBOX_ACTOR_RATE_LIMIT",
    "FEDIVERSE_INBOX_HOST_RATE_LIMIT",
)
# How long to refuse when the store does not answer: a lock that fails closed.
UNAVAILABLE_RETRY_SECONDS = 30
PRUNE_LOCK = 0x626C6F67_70727565  # PostgreSQL advisory lock id: one pruner at a time

log = logging.getLogger("blogapp.throttle")


@dataclass(frozen=True)
class Counter:
    """Whose attempts at what, and how many a window allows.

    ``scope`` names what is counted ("login-account", "comment-address"); ``key`` whose
    attempts they are (an account name, a client address); ``limit`` is in the notation
    of the settings, "5 per 15 minutes" (several joined by ";" must all hold)."""

    scope: str
    key: str
    limit: str


@dataclass(frozen=True)
class Verdict:
    """``allowed``, or refused for ``retry_after`` more seconds. ``receipt`` is what
    ``release()`` needs to take the counted attempt back."""

    allowed: bool
    retry_after: int = 0
    receipt: tuple = field(default=(), repr=False)


@dataclass(frozen=True)
class Window:
    amount: int
    seconds: int


@functools.lru_cache(maxsize=64)
def parse_limit(text: str) -> tuple[Window, ...]:
    """``"5 per 15 minutes"`` as windows; ValueError with a plain message if it is not one."""
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items:
        raise ValueError(f"{text!r} is not a rate limit such as '5 per 15 minutes'")
    return tuple(Window(item.amount, item.get_expiry()) for item in items)


@dataclass
class Throttle:
    """What ``init_app`` keeps in ``app.extensions``: the store and the clock."""

    store: DatabaseStore | RedisStore
    clock: Callable[[], datetime] = now


# (scope, HMAC of the key, windows): one counter as the stores see it.
Counted = tuple[str, str, tuple[Window, ...]]


def hit(*counters: Counter) -> Verdict:
    """Count one attempt on every counter if each has room; if one has none, count
    nothing and say when there will be.

    A counted attempt must stay counted whatever the request does next, so in the
    database this commits: call it before the request writes anything."""
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True):
        return Verdict(True)
    throttle: Throttle = app.extensions[EXTENSION]
    secret = str(app.config["SECRET_KEY"]).encode()
    counted = [(c.scope, _digest(secret, c.scope, c.key), parse_limit(c.limit)) for c in counters]
    try:
        return throttle.store.hit(counted, throttle.clock())
    except throttle.store.errors:
        log.exception("Redis does not answer: refusing attempts for %ss", UNAVAILABLE_RETRY_SECONDS)
        return Verdict(False, UNAVAILABLE_RETRY_SECONDS)


def release(verdict: Verdict) -> None:
    """Take back the attempt ``hit()`` counted (it proved harmless: a right password).

    In the database this joins the session's transaction: it is committed with the
    success it records. Only that attempt is taken back; earlier failures stay counted."""
    if not verdict.receipt:
        return
    store = current_app.extensions[EXTENSION].store
    try:
        store.release(verdict.receipt)
    except store.errors:  # the attempt stays counted: harmless, unlike failing the login
        log.exception("Redis does not answer: an attempt stays counted")


def prune() -> int:
    """Delete every counted attempt whose window is over; the number deleted."""
    throttle: Throttle = current_app.extensions[EXTENSION]
    return throttle.store.prune(throttle.clock())


def client_address() -> str:
    """The client address, or the Tor circuit of an onion visitor (``blogapp.onion``)."""
    return client_key()


def refused(verdict: Verdict, message: str | None = None):
    """The site's 429 page with ``Retry-After``."""
    body, code = render_error(429, message)
    return body, code, {"Retry-After": str(verdict.retry_after)}


def per_address(scope: str, setting: str):
    """View decorator: every request from one client address counts against
    ``config[setting]``; over it, ``refused()``."""

    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            verdict = hit(Counter(scope, client_address(), current_app.config[setting]))
            if not verdict.allowed:
                return refused(verdict)
            return view(*args, **kwargs)

        return limited

    return decorate


def _digest(secret: bytes, scope: str, key: str) -> str:
    return hmac.new(secret, f"{scope}\0{key}".encode(), hashlib.sha256).hexdigest()


_HITS = ThrottleHit.__table__
# Built once (the request path runs them on every attempt): Core statements whose
# compiled form SQLAlchemy keeps, with the values bound at each run.
_IN_WINDOW = and_(
    _HITS.c.scope == bindparam("scope"),
    _HITS.c.key_digest == bindparam("digest"),
    _HITS.c.created_at > bindparam("since"),
)
_COUNT = select(func.count()).select_from(_HITS).where(_IN_WINDOW)
_NTH_OLDEST = (
    select(_HITS.c.created_at)
    .where(_IN_WINDOW)
    .order_by(_HITS.c.created_at)
    .offset(bindparam("skip", type_=Integer))
    .limit(1)
)
_INSERT = insert(_HITS).returning(_HITS.c.id)
_PRUNE = delete(_HITS).where(_HITS.c.expires_at <= bindparam("now"))
_RELEASE = delete(_HITS).where(_HITS.c.id.in_(bindparam("ids", expanding=True)))
_PG_NO_FLUSH = text("SET LOCAL synchronous_commit TO OFF")
_PG_LOCK = select(func.pg_advisory_xact_lock(bindparam("lock", type_=BigInteger)))
_PG_TRY_PRUNE = select(func.pg_try_advisory_xact_lock(bindparam("lock", type_=BigInteger)))


class DatabaseStore:
    """Attempts as ``throttle_hits`` rows, in the site's own database."""

    errors: tuple[type[Exception], ...] = ()  # a database error is the request's own

    def __init__(self, backend: str) -> None:
        self.postgres = backend == "postgresql"
        self.description = f"the database ({backend})"

    def hit(self, counted: list[Counted], now: datetime) -> Verdict:
        def count() -> Verdict:
            if self.postgres:
                # A crash may forget the last few counted attempts: an attempt need not
                # wait for PostgreSQL to flush its log to disk.
                db.session.execute(_PG_NO_FLUSH)
                # Two workers counting the same key take turns; sorted, so never a deadlock.
                for scope, digest, _ in sorted(counted):
                    db.session.execute(_PG_LOCK, {"lock": _lock_id(scope, digest)})
            self._prune(now)
            waits = [
                self._wait(scope, digest, window, now)
                for scope, digest, windows in counted
                for window in windows
            ]
            if any(wait is not None for wait in waits):
                return Verdict(False, max(w for w in waits if w is not None))
            receipt = tuple(
                db.session.execute(
                    _INSERT,
                    {
                        "scope": scope,
                        "key_digest": digest,
                        "created_at": now,
                        "expires_at": now + timedelta(seconds=max(w.seconds for w in windows)),
                    },
                ).scalar_one()
                for scope, digest, windows in counted
            )
            return Verdict(True, 0, receipt)

        return commit_write(count)

    def _wait(self, scope: str, digest: str, window: Window, now: datetime) -> int | None:
        """Seconds until ``window`` has room for one more attempt; None if it has now."""
        params = {
            "scope": scope,
            "digest": digest,
            "since": now - timedelta(seconds=window.seconds),
        }
        count = db.session.execute(_COUNT, params).scalar_one()
        if count < window.amount:
            return None
        # Room comes back when enough of the oldest attempts leave the window.
        freed_by = db.session.execute(
            _NTH_OLDEST, {**params, "skip": count - window.amount}
        ).scalar()
        if freed_by is None:  # a limit of 0: never any room
            return window.seconds
        remaining = freed_by + timedelta(seconds=window.seconds) - now
        # Another worker's attempt may carry a stamp a hair later than this one's now.
        return min(window.seconds, max(1, math.ceil(remaining.total_seconds())))

    def _prune(self, now: datetime) -> int:
        if self.postgres and not db.session.execute(_PG_TRY_PRUNE, {"lock": PRUNE_LOCK}).scalar():
            return 0  # another worker is pruning right now
        return db.session.execute(_PRUNE, {"now": now}).rowcount

    def release(self, receipt: tuple) -> None:
        db.session.execute(_RELEASE, {"ids": list(receipt)})

    def prune(self, now: datetime) -> int:
        return commit_write(lambda: self._prune(now))


def _lock_id(scope: str, digest: str) -> int:
    raw = hashlib.sha256(f"{scope}\0{digest}".encode()).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


# KEYS: one sorted set per counter (members: attempts, scores: their times in ms).
# ARGV: now (ms), the new member, then per key: how many windows, and for each its
# amount and length (ms). Answers 0 after counting, or the ms to wait (counting nothing).
_HIT_SCRIPT = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local pos = 3
local wait = 0
local longest = {}
for i, key in ipairs(KEYS) do
  local windows = {}
  longest[i] = 0
  for j = 1, tonumber(ARGV[pos]) do
    local amount, length = tonumber(ARGV[pos + 2 * j - 1]), tonumber(ARGV[pos + 2 * j])
    windows[j] = {amount, length}
    if length > longest[i] then longest[i] = length end
  end
  pos = pos + 1 + 2 * #windows
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest[i])
  for _, window in ipairs(windows) do
    local since = '(' .. (now - window[2])
    local count = redis.call('ZCOUNT', key, since, '+inf')
    if count >= window[1] then
      local freed = redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT',
                               count - window[1], 1)
      local ms = window[2]
      if freed[2] then ms = tonumber(freed[2]) + window[2] - now end
      -- A stamp another worker took a hair after this request's ``now`` would make it
      -- longer than the window itself.
      if ms > window[2] then ms = window[2] end
      if ms > wait then wait = ms end
    end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, longest[i])
end
return 0
"""


class RedisStore:
    """Attempts in Redis, shared by every worker and host that uses it."""

    def __init__(self, url: str) -> None:
        import redis  # only workers with REDIS_URL load it (several MB)

        self.errors = redis.RedisError
        self.client = redis.Redis.from_url(url)
        self._hit = self.client.register_script(_HIT_SCRIPT)
        parts = urlsplit(url)  # the address without a password, for the log
        self.description = (
            f"Redis ({parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path or '/0'})"
        )

    def hit(self, counted: list[Counted], now: datetime) -> Verdict:
        keys = [f"blogapp:throttle:{scope}:{digest}" for scope, digest, _ in counted]
        member = secrets.token_hex(8)
        args: list[int | str] = [_ms(now), member]
        for _, _, windows in counted:
            args.append(len(windows))
            for window in windows:
                args += [window.amount, window.seconds * 1000]
        wait_ms = int(self._hit(keys=keys, args=args))
        if wait_ms > 0:
            return Verdict(False, max(1, math.ceil(wait_ms / 1000)))  # Redis: one clock
        return Verdict(True, 0, tuple((key, member) for key in keys))

    def release(self, receipt: tuple) -> None:
        with self.client.pipeline() as pipe:
            for key, member in receipt:
                pipe.zrem(key, member)
            pipe.execute()

    def prune(self, now: datetime) -> int:
        return 0  # each key expires in Redis when its longest window has passed


def _ms(moment: datetime) -> int:
    # Whole milliseconds: exact in Lua's doubles, which print 14 significant digits.
    return int(moment.timestamp() * 1000)


def init_app(app: Flask) -> None:
    """Check the limit settings, choose the store, say which."""
    for name in LIMIT_SETTINGS:
        try:
            parse_limit(str(app.config[name]))
        except ValueError as error:
            raise ConfigurationError(f"{name}: {error}") from None
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        store: DatabaseStore | RedisStore = RedisStore(redis_url)
    else:
        store = DatabaseStore(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name())
    app.extensions[EXTENSION] = Throttle(store)
    _announce(store.description)


_announced: set[tuple[int, str]] = set()


def _announce(where: str) -> None:
    """Once per process (each gunicorn worker): where the limits are counted."""
    if (os.getpid(), where) in _announced:
        return
    _announced.add((os.getpid(), where))
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    shared = "every worker" if where.endswith("(sqlite)") else "every worker and host"
    log.info("login and comment limits are counted in %s, shared by %s", where, shared)
