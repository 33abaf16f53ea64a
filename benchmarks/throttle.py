"""What counting an attempt costs (blogapp/throttle.py): ``hit()`` for a comment (one
counter) and a login (two), on each store, in process and one thread.

    python -m benchmarks.throttle [--database-url URL] [--redis-url URL] [-n 2000]

SQLite (a new file) always; PostgreSQL and Redis when given (the Redis database is
flushed). Prints the median and 99th percentile in ms and the SQL statements per hit.
Every hit is from another address, so each adds rows, as under a spread-out attack."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy import event, text

from blogapp import create_app, throttle
from blogapp.extensions import db


def measure(app, n: int) -> list[str]:
    rows = []
    with app.app_context(), app.test_request_context("/", method="POST"):
        db.create_all()
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        for label, counters in (
            ("comment (1 counter)", lambda i: [throttle.Counter("bench-c", f"a{i}", "5/minute")]),
            (
                "login (2 counters)",
                lambda i: [
                    throttle.Counter("bench-l", f"u{i}", "5/minute"),
                    throttle.Counter("bench-a", f"a{i}", "5/minute"),
                ],
            ),
        ):
            times = []
            statements.clear()
            for i in range(n):
                started = time.perf_counter()
                verdict = throttle.hit(*counters(i))
                times.append((time.perf_counter() - started) * 1000)
                assert verdict.allowed
            times.sort()
            rows.append(
                f"{label:20} median {statistics.median(times):6.3f} ms  "
                f"p99 {times[int(len(times) * 0.99)]:6.3f} ms  "
                f"{len(statements) / n:4.1f} statements/hit"
            )
        db.session.remove()
        db.engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args(argv)
    base = {"TESTING": True, "SECRET_KEY": "benchmark-secret-key-0123456789", "REDIS_URL": None}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        targets = [("SQLite", {"SQLALCHEMY_DATABASE_URI": sqlite})]
        if args.database_url:
            targets.append(("PostgreSQL", {"SQLALCHEMY_DATABASE_URI": args.database_url}))
        if args.redis_url:
            redis.Redis.from_url(args.redis_url).flushdb()
            targets.append(
                ("Redis", {"SQLALCHEMY_DATABASE_URI": sqlite, "REDIS_URL": args.redis_url})
            )
        for name, config in targets:
            app = create_app({**base, **config, "UPLOAD_FOLDER": folder})
            if name == "PostgreSQL":
                with app.app_context():
                    db.create_all()
                    db.session.execute(text("DELETE FROM throttle_hits"))
                    db.session.commit()
            for row in measure(app, args.n):
                print(f"{name:11} {row}")
        if args.redis_url:
            redis.Redis.from_url(args.redis_url).flushdb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
