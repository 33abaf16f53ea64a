"""``python -m benchmarks.stats_ingest``: a day of nginx's reading-counts log
(``blogapp_stats`` format), one million lines by default, counted by ``flask stats
ingest`` into a fresh SQLite database of 1,000 posts.

The log is generated with known figures: 100,000 readers (address and browser) who
read posts, the home page and archives, arriving directly, from the newsletter,
Telegram, Facebook, search engines and Mastodon; robots by user agent; and scrapers
that ask for robots.txt first. The command runs as its own process, as the timer
starts it, and is timed from start to finish (start-up included), in wall time and
in the CPU time it used; its peak memory is the kernel's high-water mark. Then the
counted views are checked against the generated ones, and a second run must read
nothing. Target: one million lines within 60 seconds of the process's CPU time (user
and system), which is its wall time on a machine with a core to spare: the run is one
thread and SQLite works inside it. The wall time and the load average are printed
beside it, since on a shared machine the wall time says more about the neighbours.
Figures, not a test: nothing here fails a build."""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60
BENCH_KEY = "benchmark-stats-key-not-secret-0123456789"
POSTS = 1_000
READERS = 100_000
BROWSERS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
]
ROBOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1",
    "TelegramBot (like TwitterBot)",
    "curl/8.5.0",
]
REFERRERS = [
    "-",
    "-",
    "-",
    "https://t.me/news_kh/1234",
    "https://l.facebook.com/l.php?u=x",
    "https://www.google.com.kh/",
    "https://duckduckgo.com/",
    "https://mastodon.social/@reader/111",
    "https://bench.example.org/",
]


@dataclass
class StatsResult:
    lines: int
    seconds: float  # wall time
    cpu: float  # user and system time of the process
    load: float  # the machine's load average (1 minute) at the end of the run
    peak_mb: float
    counted: int  # views in the database after the run
    expected: int  # views by readers the generator made
    again: str  # what the second run said

    @property
    def passed(self) -> bool:
        exact = self.counted == self.expected and "Read 0 line(s)" in self.again
        return exact and self.cpu <= TARGET_SECONDS * self.lines / 1_000_000


def prepare(database_url: str) -> list[str]:
    """The posts' paths, in a new database."""
    from blogapp import create_app
    from blogapp.extensions import db
    from blogapp.models import Post

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": BENCH_KEY})
    published = datetime(2026, 1, 15, 3, tzinfo=UTC)
    with app.app_context():
        db.create_all()
        db.session.execute(
            Post.__table__.insert(),
            [
                dict(
                    title=f"Op-ed {n}",
                    slug=f"op-ed-{n}",
                    status="published",
                    body="Words.",
                    body_html="<p>Words.</p>",
                    excerpt="",
                    excerpt_html="",
                    search_text="",
                    first_image_url="",
                    source_line="",
                    content_format="markdown",
                    language="km" if n % 3 == 0 else "en",
                    comment_mode="open",
                    sticky=False,
                    has_more=False,
                    comment_count=0,
                    guid="",
                    published_at=published,
                    created_at=published,
                    updated_at=published,
                )
                for n in range(POSTS)
            ],
        )
        db.session.commit()
        db.engine.dispose()
    return [f"/2026/01/15/op-ed-{n}/" for n in range(POSTS)]


def write_log(path: Path, paths: list[str], lines: int, day: datetime, seed: int = 36) -> int:
    """``lines`` lines of one day; returns the post views by readers (not robots)."""
    rng = random.Random(seed)
    readers = [
        (f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", BROWSERS[n % len(BROWSERS)])
        for n in range(READERS)
    ]
    expected, scrapers = 0, set()
    with path.open("w") as out:
        for i in range(lines):
            stamp = (day + timedelta(seconds=i * 86_000 // lines)).isoformat()
            kind = rng.random()
            if kind < 0.05:  # a robot by its user agent
                agent, address = rng.choice(ROBOTS), "66.249.66.1"
                out.write(f'{stamp} 200 GET "{rng.choice(paths)}" "-" "{agent}" {address}\n')
                continue
            if kind < 0.06:  # a scraper: robots.txt first, then posts, as a browser
                scraper = rng.randrange(50)
                target = rng.choice(paths) if scraper in scrapers else "/robots.txt"
                scrapers.add(scraper)
                out.write(f'{stamp} 200 GET "{target}" "-" "{BROWSERS[0]}" 192.0.2.{scraper}\n')
                continue
            address, agent = readers[rng.randrange(READERS)]
            if kind < 0.20:  # the home page or an archive
                page = rng.choice(["/", "/page/2/", "/2026/", "/category/news/"])
                out.write(f'{stamp} 200 GET "{page}" "-" "{agent}" {address}\n')
                continue
            target = rng.choice(paths)
            if kind < 0.30:
                target += "?ref=newsletter"
            status = 304 if kind > 0.97 else 200
            out.write(
                f'{stamp} {status} GET "{target}" "{rng.choice(REFERRERS)}" "{agent}" {address}\n'
            )
            expected += 1
    return expected


def ingest(database_url: str, log: Path, instance: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=BENCH_KEY,
        BLOGAPP_INSTANCE_PATH=instance,
        BLOGAPP_SITE_URL="https://bench.example.org",
    )
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "stats", "ingest", str(log)],
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, run.stdout.strip()


def counted(database_url: str) -> int:
    import sqlite3

    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT coalesce(sum(views), 0) FROM stats_post_days").fetchone()[0]


def measure(lines: int = 1_000_000) -> StatsResult:
    """One run; for ``benchmarks/run.py`` to add as a row of its table."""
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'stats.sqlite'}"
        paths = prepare(database_url)
        log = Path(tmp) / "blogapp-stats.log"
        # Today in UTC (the default TIMEZONE): an open day, counted in full.
        day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        expected = write_log(log, paths, lines, day)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, _said = ingest(database_url, log, tmp)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        load = os.getloadavg()[0]
        _, again = ingest(database_url, log, tmp)
        return StatsResult(
            lines,
            seconds,
            cpu,
            load,
            after.ru_maxrss / 1024,
            counted(database_url),
            expected,
            again,
        )


def row(result: StatsResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    exact = (
        "exact"
        if result.counted == result.expected
        else (f"counted {result.counted:,}, expected {result.expected:,}")
    )
    return (
        f"Reading counts: `flask stats ingest` of {result.lines:,} log lines: "
        f"{result.cpu:.1f} s of CPU ({result.lines / max(result.cpu, 1e-9):,.0f} lines/s), "
        f"{result.seconds:.1f} s wall at load {result.load:.1f}, peak "
        f"{result.peak_mb:.0f} MB, views {exact}, a second run reads nothing: "
        f"{'yes' if 'Read 0 line(s)' in result.again else 'no'}; "
        f"target ≤ {TARGET_SECONDS} s of CPU per million lines: {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stats_ingest", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    print(row(measure(args.lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
