"""``python -m benchmarks --under-writes``: readers of the home page and of the
500-comment post while the newsroom writes, through nginx as deployed and by the
app alone (gunicorn with the committed ``gunicorn.conf.py``).

The writes run in a side process through the app's own services, as the admin's
views call them: ``save_post`` (an editor saves one of the 20 newest posts, its body
changed, once a second) and ``comments.services.approve`` (a held comment on a post
drawn at random from the whole site is approved, five times a second). Each write
commits, so the content-version hook decides what it makes stale exactly as it does
for a click in the admin.

Each reader run is wrk for ``--seconds``; read-only and under-writes runs
alternate (read-only, writes, read-only, writes) so that both see the machine in the
same state, which matters on a shared machine: the figures are the ratios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.bigdb import BigSite, Scale, build
from benchmarks.nginx import Nginx
from benchmarks.server import PROJECT_ROOT, app_environment, free_port, start_gunicorn
from benchmarks.wrk import WrkResult, WrkSettings, run_wrk

EDITS_PER_SECOND = 1.0
APPROVALS_PER_SECOND = 5.0
NGINX_MIN_RATIO = 0.90
NGINX_MAX_P99_MS = 50.0
APP_MIN_RATIO = 0.70
ROUNDS = 2
EDITED_POSTS = 20  # the newest: a typo fixed on a fresh op-ed


# -- the writers: a side process ------------------------------------------------------


def writer_main(database_url: str, site_url: str, held: int) -> int:
    """Run in a side process: hold ``held`` comments (a held comment changes no page),
    say "ready", then for each line "go SECONDS" on stdin write at the set rates for
    that long and answer "done EDITS APPROVALS"."""
    import random

    from sqlalchemy import insert, select
    from sqlalchemy.orm import selectinload

    from benchmarks.demo_site import make_app
    from blogapp.clock import now
    from blogapp.comments.services import approve
    from blogapp.extensions import db
    from blogapp.models import Comment, CommentStatus, Post, PostStatus, User
    from blogapp.posts.services import PostData, save_post

    app = make_app(database_url, REQUEST_LOG=False, SITE_URL=site_url)
    rng = random.Random(35)
    with app.test_request_context("/"):
        editor_id = db.session.scalar(select(User.id).order_by(User.id))
        edited = db.session.scalars(
            select(Post.id)
            .where(Post.status == PostStatus.PUBLISHED)
            .order_by(Post.published_at.desc())
            .limit(EDITED_POSTS)
        ).all()
        every_post = db.session.scalars(select(Post.id)).all()
        stamp = now()
        first_new = (db.session.scalar(select(db.func.max(Comment.id))) or 0) + 1
        rows = [
            {
                "id": first_new + n,
                "post_id": rng.choice(every_post),
                "depth": 0,
                "author_name": f"Election night {n}",
                "author_email": f"night{n}@example.org",
                "author_url": "",
                "author_ip": "127.0.0.1",
                "user_agent": "bench",
                "body": f"Held comment {n} from the election night.",
                "body_html": f"<p>Held comment {n} from the election night.</p>",
                "status": CommentStatus.PENDING,
                "created_at": stamp,
            }
            for n in range(held)
        ]
        db.session.execute(insert(Comment), rows)
        db.session.commit()
        waiting = list(range(first_new, first_new + held))
        print("ready", flush=True)
        for line in sys.stdin:
            seconds = float(line.split()[1])
            edits = approvals = 0
            started = time.monotonic()
            next_edit, next_approval = started, started
            while (moment := time.monotonic()) < started + seconds:
                editor = db.session.get(User, editor_id)
                if moment >= next_edit:
                    post = db.session.scalar(
                        select(Post)
                        .options(
                            selectinload(Post.bylines),
                            selectinload(Post.categories),
                            selectinload(Post.tags),
                        )
                        .where(Post.id == edited[edits % len(edited)])
                    )
                    save_post(post, _same_post_edited(PostData, post, edits), author=editor)
                    db.session.commit()
                    edits += 1
                    next_edit += 1 / EDITS_PER_SECOND
                if moment >= next_approval and waiting:
                    comment = db.session.get(Comment, waiting.pop())
                    approve(comment, editor)
                    approvals += 1
                    next_approval += 1 / APPROVALS_PER_SECOND
                db.session.remove()
                time.sleep(max(0.0, min(next_edit, next_approval) - time.monotonic()))
            print(f"done {edits} {approvals}", flush=True)
    return 0


def _same_post_edited(post_data, post, n: int):
    """The post as the editor opened it, with its last paragraph changed."""
    body = post.body.rsplit("\n\n(Updated", 1)[0] + f"\n\n(Updated: correction {n}.)"
    return post_data(
        title=post.title,
        slug=post.slug,
        body=body,
        content_format=post.content_format,
        excerpt=post.excerpt,
        category_ids=[c.id for c in post.categories],
        tag_names=[t.name for t in post.tags],
        language=post.language,
        source_line=post.source_line,
        status=post.status,
        comment_mode=post.comment_mode,
    )


class Writers:
    """The side process, told when to write."""

    def __init__(self, database_url: str, site_url: str, held: int) -> None:
        command = [sys.executable, "-m", "benchmarks.under_writes", database_url, site_url]
        self.process = subprocess.Popen(
            [*command, str(held)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "BLOGAPP_INSTANCE_PATH": str(PROJECT_ROOT / "bench-results/instance"),
            },
        )
        if self._line() != "ready":
            raise RuntimeError("the writers' process did not start")

    def _line(self) -> str:
        line = self.process.stdout.readline().strip()
        if not line:
            raise RuntimeError(f"the writers' process ended ({self.process.poll()})")
        return line

    def start(self, seconds: float) -> None:
        self.process.stdin.write(f"go {seconds}\n")
        self.process.stdin.flush()

    def finish(self) -> tuple[int, int]:
        _, edits, approvals = self._line().split()
        return int(edits), int(approvals)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


# -- the readers ----------------------------------------------------------------------


@dataclass
class Row:
    page: str
    path: str
    via: str  # "nginx" or "app"
    read_only: list[WrkResult] = field(default_factory=list)
    under_writes: list[WrkResult] = field(default_factory=list)
    writes: list[tuple[int, int]] = field(default_factory=list)
    # CPU seconds of the app's workers per run, and of the writers' process.
    app_cpu_read_only: list[float] = field(default_factory=list)
    app_cpu_under_writes: list[float] = field(default_factory=list)
    writers_cpu: list[float] = field(default_factory=list)

    def cpu_ms_per_request(self, under_writes: bool) -> float:
        runs = self.under_writes if under_writes else self.read_only
        cpu = self.app_cpu_under_writes if under_writes else self.app_cpu_read_only
        requests = sum(r.requests for r in runs)
        return 1000 * sum(cpu) / requests if requests else 0.0

    @property
    def ratio(self) -> float:
        alone = sum(r.rate for r in self.read_only)
        return sum(r.rate for r in self.under_writes) / alone if alone else 0.0

    @property
    def p99_ms(self) -> float:
        return max(r.p99_ms for r in self.under_writes)

    def bad_answers(self) -> dict[int, int]:
        bad: dict[int, int] = {}
        for run in (*self.read_only, *self.under_writes):
            for code, n in run.statuses.items():
                if code != 200:
                    bad[code] = bad.get(code, 0) + n
        return bad

    def verdict(self) -> str:
        failed = []
        if self.via == "nginx":
            if self.ratio < NGINX_MIN_RATIO:
                failed.append(f"{self.ratio:.0%} < {NGINX_MIN_RATIO:.0%}")
            if self.p99_ms >= NGINX_MAX_P99_MS:
                failed.append(f"p99 {self.p99_ms:.0f} ms >= {NGINX_MAX_P99_MS:.0f} ms")
        elif self.ratio < APP_MIN_RATIO:
            failed.append(f"{self.ratio:.0%} < {APP_MIN_RATIO:.0%}")
        if bad := self.bad_answers():
            failed.append(f"answers {bad}")
        if any(r.socket_errors for r in (*self.read_only, *self.under_writes)):
            failed.append("socket errors")
        return "FAIL: " + "; ".join(failed) if failed else "PASS"

    def target(self) -> str:
        if self.via == "nginx":
            return f">= {NGINX_MIN_RATIO:.0%} of read-only, p99 < {NGINX_MAX_P99_MS:.0f} ms"
        return f">= {APP_MIN_RATIO:.0%} of read-only"


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time used so far by the processes ``pids``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def table(rows: list[Row]) -> str:
    lines = [
        "| readers under writes | read-only req/s | under writes req/s | ratio "
        "| p99 ms read-only → under writes | app CPU ms/request read-only → under writes "
        "| writes done (edits, approvals), writers' CPU s | target | result |",
        "| --- | ---: | ---: | ---: | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        edits = sum(e for e, _ in row.writes)
        approvals = sum(a for _, a in row.writes)
        lines.append(
            f"| {row.page}, {'through nginx' if row.via == 'nginx' else 'app alone'} "
            f"| {_mean([r.rate for r in row.read_only]):,.0f} "
            f"| {_mean([r.rate for r in row.under_writes]):,.0f} | {row.ratio:.0%} "
            f"| {max(r.p99_ms for r in row.read_only):.1f} → {row.p99_ms:.1f} "
            f"| {row.cpu_ms_per_request(False):.2f} → {row.cpu_ms_per_request(True):.2f} "
            f"| {edits}, {approvals}, {sum(row.writers_cpu):.1f} s "
            f"| {row.target()} | {row.verdict()} |"
        )
    return "\n".join(lines)


def _prepare_database(results: Path, posts: int, comments: int, reuse: bool) -> tuple[str, BigSite]:
    path = results / "under-writes.sqlite"
    info = results / "under-writes-site.json"
    url = f"sqlite:///{path}"
    if reuse and path.exists() and info.exists():
        return url, BigSite(**json.loads(info.read_text()))
    for stale in results.glob("under-writes.sqlite*"):
        stale.unlink()
    print(f"Building {posts:,} posts and {comments:,} comments …", flush=True)
    site = build(url, Scale(posts=posts, comments=comments))
    info.write_text(json.dumps(asdict(site)))
    return url, site


def run(
    results: Path,
    posts: int,
    comments: int,
    reuse: bool,
    settings: WrkSettings,
    only: frozenset[str] = frozenset(),
) -> int:
    """``only``: the rows to run, by their readers (``nginx``, ``app``) or page (``home``,
    ``post``); every row when empty. A/B runs of the app alone need only its two rows."""
    database_url, site = _prepare_database(results, posts, comments, reuse)
    pages = (("home", "/"), ("post (500 comments)", site.post_500_path))
    rows = [
        Row(page, path, via)
        for via in ("nginx", "app")
        for page, path in pages
        if not only or via in only or page.split()[0] in only
    ]
    held = int(APPROVALS_PER_SECOND * settings.seconds * ROUNDS * len(rows) * 1.5) + 20
    port = free_port()
    env = app_environment(database_url, port, results / "instance")
    blog = start_gunicorn(env, port, results / "gunicorn-under-writes.log")
    nginx = writers = None
    loads = [os.getloadavg()[0]]
    try:
        pages = results / "under-writes-pages"  # nginx's copy of files, unused here
        pages.mkdir(exist_ok=True)
        nginx = Nginx(results / "nginx-under-writes", port, pages)
        writers = Writers(database_url, blog.url, held)
        for row in rows:
            url = (nginx.url if row.via == "nginx" else blog.url) + row.path
            run_wrk(url, WrkSettings(2.0, settings.threads, settings.connections))  # warm
            for _ in range(ROUNDS):
                print(f"  {row.via:<6} {row.page:<20} read-only", flush=True)
                app_cpu = cpu_seconds(blog.worker_pids())
                row.read_only.append(run_wrk(url, settings))
                row.app_cpu_read_only.append(cpu_seconds(blog.worker_pids()) - app_cpu)
                print(f"  {row.via:<6} {row.page:<20} under writes", flush=True)
                app_cpu = cpu_seconds(blog.worker_pids())
                writers_cpu = cpu_seconds([writers.process.pid])
                writers.start(settings.seconds + 0.5)
                row.under_writes.append(run_wrk(url, settings))
                row.writes.append(writers.finish())
                row.app_cpu_under_writes.append(cpu_seconds(blog.worker_pids()) - app_cpu)
                row.writers_cpu.append(cpu_seconds([writers.process.pid]) - writers_cpu)
                loads.append(os.getloadavg()[0])
    finally:
        if writers is not None:
            writers.stop()
        if nginx is not None:
            nginx.stop()
        blog.stop()
    report = (
        f"Readers under writes: {site.posts:,} posts, {site.comments:,} comments (SQLite); "
        f"wrk -t{settings.threads} -c{settings.connections} -d{settings.seconds:g}s per run, "
        f"{ROUNDS} rounds of read-only then under writes; writes through the app's services "
        f"in a side process: {EDITS_PER_SECOND:g} post save/s (one of the "
        f"{EDITED_POSTS} newest), {APPROVALS_PER_SECOND:g} comment approvals/s (posts "
        f"drawn from the whole site); load average {min(loads):.1f}–{max(loads):.1f} "
        f"on {os.cpu_count()} CPUs\n\n{table(rows)}\n"
    )
    (results / "under-writes.md").write_text(report)
    print()
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(writer_main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
