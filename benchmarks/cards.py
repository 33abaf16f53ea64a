"""``python -m benchmarks.cards``: share cards drawn for every post of the benchmark
database.

Runs ``flask cards draw`` as its own process, as an operator would after an import,
on a copy of the database (the page benchmarks' copy keeps no cards), and times it from
start to finish, the process's start-up included. Then checks that every published
post names a card that is on disk and is a 1200×630 PNG. Target: 10,000 cards within
ten minutes on the benchmark machine.

The wall time depends on whatever else the machine runs, so the row also gives the CPU
time one card costs, drawn in this process for a sample of the posts: the figure to
compare between runs. Figures, not a test: nothing here fails a build."""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_ROOT / "bench-results"
TARGET_SECONDS = 600
SECRET_KEY = "bench-cards-secret-key-0123456789"  # servers refuse short keys


@dataclass
class CardsResult:
    posts: int  # published posts
    named: int  # posts that name a card on disk
    files: int
    jobs: int
    seconds: float
    bad: int  # cards that are not a 1200×630 PNG
    load: float  # the machine's load average over the run's last minutes (other work)
    cpu_ms: float  # CPU time of one card (drawing and PNG), on a sample, in this process

    @property
    def per_second(self) -> float:
        return self.named / self.seconds if self.seconds else 0.0

    @property
    def passed(self) -> bool:
        return (
            self.named == self.posts
            and not self.bad
            and self.seconds <= TARGET_SECONDS * self.posts / 10_000
        )


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy, WAL included (SQLite's backup API)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def measure(database_path: Path, jobs: int | None = None) -> CardsResult:
    """One run; for ``benchmarks/run.py`` to add as a row of its table."""
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "cards.sqlite"
        copy_database(database_path, copy)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
        env.update(
            DATABASE_URL=f"sqlite:///{copy}", SECRET_KEY=SECRET_KEY, BLOGAPP_INSTANCE_PATH=tmp
        )
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "blogapp",
                "cards",
                "draw",
                "--jobs",
                str(jobs),
            ],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - started
        load = os.getloadavg()[1 if elapsed > 180 else 0]
        folder = Path(tmp) / "uploads" / "cards"
        files = {p.name for p in folder.glob("*.png")}
        with sqlite3.connect(copy) as conn:
            names = [
                row[0]
                for row in conn.execute("SELECT share_card FROM posts WHERE status = 'published'")
            ]
        bad = 0
        for name in sorted(files)[:: max(1, len(files) // 50)]:  # a sample of 50
            with Image.open(folder / name) as image:
                bad += image.format != "PNG" or image.size != (1200, 630)
        return CardsResult(
            posts=len(names),
            named=sum(n in files for n in names),
            files=len(files),
            jobs=jobs,
            seconds=elapsed,
            bad=bad,
            load=load,
            cpu_ms=cpu_per_card(copy, Path(tmp)),
        )


def cpu_per_card(database: Path, instance: Path, sample: int = 200) -> float:
    """Milliseconds of this process's CPU time to draw one card, over ``sample`` posts."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from blogapp import create_app
    from blogapp.cards.draw import card_png
    from blogapp.cards.services import post_card
    from blogapp.extensions import db
    from blogapp.models import Post

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": SECRET_KEY,
            "UPLOAD_FOLDER": str(instance / "uploads"),
        }
    )
    with app.app_context():
        posts = db.session.scalars(
            select(Post).options(selectinload(Post.bylines)).order_by(Post.id).limit(sample)
        ).all()
        cards = [post_card(post) for post in posts]
        card_png(cards[0])  # fonts loaded
        started = time.process_time()
        for card in cards:
            card_png(card)
        spent = time.process_time() - started
        db.session.remove()
        db.engine.dispose()
    return spent / len(cards) * 1000


def cards_row(result: CardsResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    return (
        f"| share cards: `flask cards draw --jobs {result.jobs}` | – | "
        f"{result.per_second:,.1f} cards/s | – | – | – | – | – | – | "
        f"{result.posts:,} within {TARGET_SECONDS // 60} min, every post named | "
        f"{verdict}: {result.named:,} of {result.posts:,} posts in "
        f"{result.seconds:.0f}s, {result.bad} bad, load average {result.load:.1f} "
        f"on {os.cpu_count()} CPUs; {result.cpu_ms:.0f} ms CPU a card |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--posts",
        type=int,
        default=10_000,
        help="posts of a database built for this run (when "
        "bench-results/bench.sqlite is not there)",
    )
    args = parser.parse_args()
    database = RESULTS / "bench.sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        if not database.exists():
            from benchmarks.bigdb import Scale, build

            database = Path(tmp) / "bench.sqlite"
            print(f"Building {args.posts:,} posts …", flush=True)
            build(f"sqlite:///{database}", Scale(posts=args.posts, comments=2_000))
        result = measure(database, args.jobs)
    print(cards_row(result))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
