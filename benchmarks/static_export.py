"""Static copy speed: ``flask export-static`` of the benchmark database (10,000 posts,
100,000 comments) into an empty folder, then again after one new post.

    python -m benchmarks.static_export [--reuse-db]

Runs on a copy of ``bench-results/bench.sqlite`` (the new post must not reach the
other rows' database), in process, as the command does, with ``--jobs`` rendering
processes (default: one per CPU). Prints two table rows, the ones ``python -m
benchmarks`` adds to its table; the SQL column is statements per rendered page (the
inventory's few queries and every rendering process's included).

Wall time on a shared machine says little, so each row also gives the CPU seconds the
export used (the command's own and its rendering processes'), the load average, and
the wall time the same work would take on an idle machine with two cores: the
command's own CPU time (inventory, manifest; one process) plus the renderers' CPU
time shared by two."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event

FULL_TARGET_SECONDS = 60
INCREMENTAL_TARGET_SECONDS = 5


IDLE_CORES = 2  # the projection's machine


@dataclass
class Cost:
    """CPU seconds of one export: this process's and its rendering processes'."""

    own: float
    renderers: float
    load: str  # the load averages after it

    @property
    def total(self) -> float:
        return self.own + self.renderers

    def projected(self, jobs: int) -> float:
        return self.own + self.renderers / min(max(jobs, 1), IDLE_CORES)


class _Clock:
    def __enter__(self) -> _Clock:
        self.own = resource.getrusage(resource.RUSAGE_SELF)
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc) -> None:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)

        def used(after, before) -> float:
            return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        self.cost = Cost(used(own, self.own), used(children, self.children), load)


@dataclass
class ExportRun:
    jobs: int
    full_seconds: float
    full_files: int
    full_rendered: int
    full_bytes: int
    full_queries: int
    full_cost: Cost
    incremental_seconds: float
    incremental_rendered: int
    incremental_written: int
    incremental_queries: int
    incremental_cost: Cost


def _copy_database(source: Path, target: Path) -> None:
    for stale in target.parent.glob(target.name + "*"):
        stale.unlink()
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _new_post() -> None:
    """One post as an editor publishes it: in a category and a tag that have posts."""
    from sqlalchemy import select

    from blogapp.content import render_post
    from blogapp.extensions import db
    from blogapp.models import FORMAT_MARKDOWN, Category, Post, PostStatus, Tag, User, utcnow

    post = Post(
        title="A new post for the static copy",
        body="Fresh words.\n\nMore of them.",
        content_format=FORMAT_MARKDOWN,
        excerpt="",
        language="en",
        status=PostStatus.PUBLISHED,
        slug="a-new-post-for-the-static-copy",
        published_at=utcnow(),
        author=db.session.scalars(select(User).limit(1)).one(),
        categories=[db.session.scalars(select(Category).order_by(Category.id.desc())).first()],
        tags=[db.session.scalars(select(Tag).limit(1)).one()],
    )
    render_post(post)
    db.session.add(post)
    db.session.commit()


def measure(results: Path, jobs: int | None = None) -> ExportRun:
    from benchmarks.demo_site import make_app
    from blogapp.extensions import db
    from blogapp.static_export.export import export_site, usable_cpus

    jobs = jobs or usable_cpus()

    work = results / "static-export"
    work.mkdir(parents=True, exist_ok=True)
    database = work / "export.sqlite"
    _copy_database(results / "bench.sqlite", database)
    folder = work / "copy"
    shutil.rmtree(folder, ignore_errors=True)
    app = make_app(
        f"sqlite:///{database}",
        RATELIMIT_ENABLED=False,
        REQUEST_LOG=False,
        UPLOAD_FOLDER=str(work / "uploads"),
    )
    # In shared memory: the rendering processes fork with the listener and count too.
    statements = multiprocessing.get_context("fork").Value("q", 0)

    def count(*args) -> None:
        with statements.get_lock():
            statements.value += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        with _Clock() as full_clock:
            full = export_site(app, folder, jobs=jobs)
        full_queries = statements.value
        _new_post()
        statements.value = 0
        with _Clock() as incremental_clock:
            incremental = export_site(app, folder, jobs=jobs)
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
        db.engine.dispose()
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return ExportRun(
        jobs,
        full.seconds,
        full.files,
        full.rendered,
        size,
        full_queries,
        full_clock.cost,
        incremental.seconds,
        incremental.rendered,
        len(incremental.written),
        statements.value,
        incremental_clock.cost,
    )


def _cost(cost: Cost, rendered: int, jobs: int) -> str:
    return (
        f"CPU {cost.total:.1f} s ({cost.own:.1f} s command, {cost.renderers:.1f} s "
        f"renderers; {1000 * cost.total / max(rendered, 1):.1f} ms a page), load {cost.load}; "
        f"idle {IDLE_CORES} cores: ~{cost.projected(jobs):.1f} s"
    )


def rows(run: ExportRun) -> str:
    """Two rows in the shape of the benchmark's table."""
    full_ok = run.full_seconds <= FULL_TARGET_SECONDS
    inc_ok = run.incremental_seconds <= INCREMENTAL_TARGET_SECONDS
    per_page = run.full_queries / max(run.full_rendered, 1)
    inc_per_page = run.incremental_queries / max(run.incremental_rendered, 1)
    return (
        f"| static copy: full export (`flask export-static --jobs {run.jobs}`) | "
        f"{run.full_bytes:,} | "
        f"{run.full_rendered / run.full_seconds:,.0f} pages/s | – | – | – | – | "
        f"{per_page:.1f} | – | <= {FULL_TARGET_SECONDS} s | "
        f"{'PASS' if full_ok else 'FAIL'}: {run.full_seconds:.1f} s, {run.full_rendered:,} "
        f"pages rendered, {run.full_files:,} files; "
        f"{_cost(run.full_cost, run.full_rendered, run.jobs)} |\n"
        f"| static copy: incremental after one new post | – | – | – | – | – | – | "
        f"{inc_per_page:.1f} | – | <= {INCREMENTAL_TARGET_SECONDS} s | "
        f"{'PASS' if inc_ok else 'FAIL'}: {run.incremental_seconds:.1f} s, "
        f"{run.incremental_rendered:,} pages rendered, {run.incremental_written:,} files "
        f"written; {_cost(run.incremental_cost, run.incremental_rendered, run.jobs)} |"
    )


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import RESULTS, prepare_database

    parser = argparse.ArgumentParser(prog="python -m benchmarks.static_export", description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep bench-results/bench.sqlite from an earlier run",
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="rendering processes (default: one per CPU)"
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    prepare_database(args)
    print("Exporting a static copy (full, then after one new post) …", flush=True)
    started = time.perf_counter()
    run = measure(RESULTS, args.jobs)
    print(rows(run))
    print(f"(whole run {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
