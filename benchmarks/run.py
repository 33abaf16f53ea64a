"""``python -m benchmarks``: build a large database, serve it with gunicorn and the
committed ``gunicorn.conf.py`` on loopback, drive each page with wrk for a fixed
time, measure the bare-Flask ceiling for pages of the same bytes in the same
run, then each page through nginx with the shipped cache recipe and the same
bytes served by nginx from a file (the physical limit), and print one table of
figures with PASS/FAIL against the targets. Figures, not tests: nothing here
fails a build."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sqlite3
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bigdb import BigSite, Scale, build
from benchmarks.cards import cards_row
from benchmarks.cards import measure as measure_cards
from benchmarks.flood import measure as measure_flood
from benchmarks.httpforms import Session, find_form
from benchmarks.mail import TARGET_PER_MINUTE as MAIL_TARGET
from benchmarks.mail import measure as measure_mail
from benchmarks.nginx import Nginx
from benchmarks.server import PROJECT_ROOT, Gunicorn, app_environment, free_port, start_gunicorn
from benchmarks.spam_filter import measure as measure_spam_filter
from benchmarks.spam_filter import rows as spam_filter_rows
from benchmarks.spam_filter import train_site as train_spam_filter
from benchmarks.static_export import measure as measure_export
from benchmarks.static_export import rows as export_rows
from benchmarks.stats_ingest import measure as measure_stats
from benchmarks.stats_ingest import row as stats_row
from benchmarks.wrk import WrkResult, WrkSettings, combined, lua_preamble, run_wrk

RESULTS = PROJECT_ROOT / "bench-results"
MAX_QUERIES = 5
MAX_RSS_MB = 80
MIN_COMMENT_RATE = 250


@dataclass
class Scenario:
    name: str
    path: str
    kind: str = "get"  # get | conditional | post
    min_ratio: float | None = None  # of the ceiling (pages) or of "hello" (304)
    nginx_min_ratio: float | None = None  # through nginx, of nginx serving the bytes from a file
    # Answers that shed load on purpose (search: the per-worker cap's 503 and nginx's
    # per-address 429): noted, not failed.
    shed: frozenset[int] = frozenset()
    queries: int | None = None
    bytes: int = 0
    blog: WrkResult | None = None
    ceiling: WrkResult | None = None
    nginx: WrkResult | None = None
    nginx_file: WrkResult | None = None
    notes: list[str] = field(default_factory=list)
    passed: bool = True

    def fail(self, why: str) -> None:
        self.passed = False
        self.notes.append(why)


def scenarios_for(site: BigSite) -> list[Scenario]:
    return [
        Scenario("home", "/", min_ratio=0.60, nginx_min_ratio=0.70),
        Scenario("/page/500/", "/page/500/", min_ratio=0.60),
        Scenario("category", site.category_path, min_ratio=0.60, nginx_min_ratio=0.70),
        Scenario("post (500 comments)", site.post_500_path, min_ratio=0.50, nginx_min_ratio=0.70),
        Scenario("/feed/", "/feed/"),
        Scenario(
            "search", "/?s=" + urllib.parse.quote_plus(site.search_term), shed=frozenset({429, 503})
        ),
        Scenario("304 (If-None-Match)", "/", kind="conditional", min_ratio=0.90),
        Scenario("comment POST", site.comment_target_path, kind="post"),
    ]


# -- the database ----------------------------------------------------------------------


def prepare_database(args) -> tuple[str, BigSite]:
    path = RESULTS / "bench.sqlite"
    info = RESULTS / "bench-site.json"
    url = f"sqlite:///{path}"
    if args.reuse_db and path.exists() and info.exists():
        site = BigSite(**json.loads(info.read_text()))
    else:
        for stale in RESULTS.glob("bench.sqlite*"):
            stale.unlink()
        scale = Scale(posts=args.posts, comments=args.comments)
        print(f"Building {scale.posts:,} posts and {scale.comments:,} comments …", flush=True)
        site = build(url, scale)
        info.write_text(json.dumps(asdict(site)))
        print(f"  built in {site.seconds:.1f}s ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    # The comment POSTs are scored by a trained filter, as on a site in use.
    if learned := train_spam_filter(url):
        print(f"  spam filter trained on {learned:,} comments", flush=True)
    return url, site


def server_config(database_url: str, port: int) -> dict[str, str]:
    return app_environment(database_url, port, RESULTS / "instance")


# -- SQL queries per request, in process ------------------------------------------------


def count_queries(database_url: str, scenarios: list[Scenario]) -> None:
    """Each URL once through the Flask test client, counting the statements
    SQLAlchemy sends (after one warm-up request fills the per-process caches,
    as a gunicorn worker's first request does)."""
    from sqlalchemy import event

    from benchmarks.demo_site import make_app
    from blogapp.extensions import db

    app = make_app(database_url, RATELIMIT_ENABLED=False, COMMENT_MIN_SECONDS=0, REQUEST_LOG=False)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        client = app.test_client()
        client.get("/").close()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            for scenario in scenarios:
                statements.clear()
                if scenario.kind == "post":
                    page = client.get(scenario.path)
                    form = find_form(page.get_data(as_text=True), "/comments/post/")
                    statements.clear()
                    answer = client.post(form.action, data=comment_values(form, "probe"))
                    answer.close()
                elif scenario.kind == "conditional":
                    first = client.get(scenario.path)
                    etag = first.headers.get("ETag", "")
                    first.close()
                    statements.clear()
                    client.get(scenario.path, headers={"If-None-Match": etag}).close()
                else:
                    client.get(scenario.path).close()
                scenario.queries = len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
            db.session.remove()
            db.engine.dispose()


def comment_values(form, token: str) -> dict[str, str]:
    return form.values(
        {
            "Name": "Bench Reader",
            "Email": "bench@example.org",
            "Comment": f"{token}: a benchmark comment, posted through the real form.",
        }
    )


# -- driving the servers ----------------------------------------------------------------


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def prepare_runs(
    server: Gunicorn, scenarios: list[Scenario], settings: WrkSettings, pages_dir: Path, run_id: str
) -> dict[str, tuple[str, WrkSettings]]:
    """Fetch each page once (its bytes become the ceiling's copy), find the ETag
    for the 304 run and a form for the POST run: ``{name: (url, wrk settings)}``."""
    pages_dir.mkdir(parents=True, exist_ok=True)
    for old in pages_dir.glob("*.html"):
        old.unlink()
    runs = {}
    for n, scenario in enumerate(scenarios):
        url = server.url + scenario.path
        run_settings = WrkSettings(settings.seconds, settings.threads, settings.connections)
        if scenario.kind == "get":
            status, _, body = fetch(url)
            if status != 200:
                scenario.fail(f"answered {status}")
                continue
            scenario.bytes = len(body)
            (pages_dir / f"p{n}.html").write_bytes(body)
        elif scenario.kind == "conditional":
            status, headers, body = fetch(url)
            etag = headers.get("ETag")
            if not etag:
                scenario.fail("no ETag on the page")
                continue
            status, _, _ = fetch(url, {"If-None-Match": etag})
            if status != 304:
                scenario.fail(f"If-None-Match answered {status}, not 304")
                continue
            run_settings.headers = {"If-None-Match": etag}
        else:
            session = Session(server.url)
            page = session.get(scenario.path)
            form = find_form(page.text, "/comments/post/")
            body = urllib.parse.urlencode(comment_values(form, "BENCHTOKEN"))
            run_settings.extra_lua = (
                lua_preamble({"FORM_BODY": body, "ORIGIN": server.url, "RUN_ID": f"bench-{run_id}"})
                + (Path(__file__).parent / "lua" / "post_form.lua").read_text()
            )
            url = server.url + form.action
        runs[scenario.name] = (url, run_settings)
    return runs


def warm_up(url: str, settings: WrkSettings) -> None:
    """Not measured: every worker answers its first requests (imports, caches)."""
    run_wrk(url, WrkSettings(min(settings.seconds, 2.0), settings.threads, settings.connections))


def settle(server: Gunicorn, timeout: float = 60) -> None:
    """Wait until requests queued by the previous run are done (wrk stops sending,
    but a slow page's backlog keeps the workers busy): a health check answers fast."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        status, _, _ = fetch(server.url + "/healthz")
        if status < 500 and time.monotonic() - started < 0.1:
            return
        time.sleep(0.2)


def in_turns(
    first: Callable[[], WrkResult],
    second: Callable[[], WrkResult],
    before_each: Callable[[], None] = lambda: None,
) -> tuple[WrkResult, WrkResult]:
    """``first``, ``second``, ``second``, ``first`` (ABBA), each a run of half the time:
    a machine that speeds up or slows down during the pair favours neither side of the
    ratio. Each side's two halves are added up."""
    halves: dict[Callable[[], WrkResult], list[WrkResult]] = {first: [], second: []}
    for side in (first, second, second, first):
        before_each()
        halves[side].append(side())
    return combined(*halves[first]), combined(*halves[second])


def half_of(settings: WrkSettings) -> WrkSettings:
    return replace(settings, seconds=math.ceil(settings.seconds / 2))  # wrk: whole seconds


def drive_nginx(nginx: Nginx, scenarios: list[Scenario], settings: WrkSettings) -> None:
    """Each page through nginx (its micro-cache in front of the blog) and the same bytes
    served by nginx from a file, in turns as the blog and its ceiling are."""
    half = half_of(settings)
    for n, scenario in enumerate(scenarios):
        if scenario.kind != "get" or not scenario.bytes:
            continue
        cached, copy = nginx.url + scenario.path, f"{nginx.url}/__static_copy/p{n}.html"
        warm_up(cached, settings)
        warm_up(copy, settings)

        def through_cache(url: str = cached, name: str = scenario.name) -> WrkResult:
            print(f"  nginx    {name:<22} through the cache", flush=True)
            return run_wrk(url, half)

        def from_file(url: str = copy, name: str = scenario.name) -> WrkResult:
            print(f"  nginx    {name:<22} the same bytes from a file", flush=True)
            return run_wrk(url, half)

        scenario.nginx, scenario.nginx_file = in_turns(through_cache, from_file)


def drive(
    blog: Gunicorn,
    ceiling: Gunicorn,
    scenarios: list[Scenario],
    runs: dict[str, tuple[str, WrkSettings]],
    settings: WrkSettings,
) -> WrkResult:
    """Each page on the blog and its copy on the ceiling in turns, so both see the
    machine in the same state; the 304s in turns with "hello", which the POST run is
    also shown against. Returns the hello result."""
    rss = lambda: max(blog.peak_rss_kib().values(), default=0)  # noqa: E731
    warm_up(blog.url + "/", settings)
    warm_up(ceiling.url + "/hello", settings)
    hello = None
    for n, scenario in enumerate(scenarios):
        if scenario.name not in runs:
            continue
        url, run_settings = runs[scenario.name]
        if scenario.kind == "post":
            if hello is None:
                print(f"  ceiling  {'hello':<22}", flush=True)
                hello = run_wrk(f"{ceiling.url}/hello", settings)
            settle(blog)
            print(f"  blog     {scenario.name:<22} {url}", flush=True)
            scenario.blog = run_wrk(url, run_settings, sample_rss=rss)
            continue

        def on_blog(
            url: str = url, name: str = scenario.name, chosen: WrkSettings = run_settings
        ) -> WrkResult:
            print(f"  blog     {name:<22} {url}", flush=True)
            return run_wrk(url, half_of(chosen), sample_rss=rss)

        if scenario.kind == "conditional":  # the 304s against "hello"

            def on_ceiling() -> WrkResult:
                print(f"  ceiling  {'hello':<22}", flush=True)
                return run_wrk(f"{ceiling.url}/hello", half_of(settings))

            scenario.blog, hello = in_turns(on_blog, on_ceiling, lambda: settle(blog))
            continue

        def on_ceiling(n: int = n, scenario: Scenario = scenario) -> WrkResult:
            print(f"  ceiling  {scenario.name:<22} {scenario.bytes:,} bytes", flush=True)
            return run_wrk(f"{ceiling.url}/page/p{n}", half_of(settings))

        scenario.blog, scenario.ceiling = in_turns(on_blog, on_ceiling, lambda: settle(blog))
    if hello is None:
        hello = run_wrk(f"{ceiling.url}/hello", settings)
    return hello


def stored_bench_comments(database_path: Path, run_id: str) -> dict[int, str]:
    """{id: body} of the comments this run's POSTs stored."""
    with sqlite3.connect(database_path) as conn:
        return dict(
            conn.execute(
                "SELECT id, body FROM comments WHERE body LIKE ?", (f"bench-{run_id}-%",)
            ).fetchall()
        )


@dataclass
class PostAccount:
    """Every comment POST of a run accounted for. wrk stops with up to one request per
    connection sent and not answered yet; the server may still store those (it did, in
    every run so far), so "stored" may exceed "accepted" by them, and only by them. A
    redirect names the comment it stored (``#comment-<id>``): each must be stored."""

    accepted: int  # answered with a redirect
    stored: int
    in_flight: int  # sent, never answered: wrk stopped first (or the connection broke)
    stored_unanswered: int
    lost: int  # a redirect named a comment that is not stored
    unnamed: int  # redirects that name no comment
    twice: int  # the same body stored more than once
    unexplained: int  # stored without an answer, beyond the requests in flight

    @property
    def problems(self) -> list[str]:
        return [
            f"{n} {what}"
            for n, what in (
                (self.lost, "accepted yet not stored"),
                (self.unnamed, "redirects naming no comment"),
                (self.twice, "stored twice"),
                (self.unexplained, "stored beyond the requests sent"),
            )
            if n
        ]

    @property
    def note(self) -> str:
        return (
            f"{self.accepted} accepted, {self.stored} stored "
            f"({self.stored_unanswered} of the {self.in_flight} in flight when wrk stopped)"
        )


def account_posts(result: WrkResult, stored: dict[int, str]) -> PostAccount:
    accepted = sum(n for code, n in result.statuses.items() if code in (302, 303))
    answers = sum(result.statuses.values())
    named = set(result.answered)
    unanswered = set(stored) - named
    in_flight = (result.sent - answers) if result.sent is not None else 0
    return PostAccount(
        accepted=accepted,
        stored=len(stored),
        in_flight=in_flight,
        stored_unanswered=len(unanswered),
        lost=len(named - set(stored)),
        unnamed=accepted - len(result.answered),
        twice=len(stored) - len(set(stored.values())),
        unexplained=max(0, len(unanswered) - in_flight),
    )


# -- judging and the table --------------------------------------------------------------


def judge(scenarios: list[Scenario], hello: WrkResult, stored: dict[int, str]) -> None:
    home = next(s for s in scenarios if s.name == "home")
    for s in scenarios:
        if s.blog is None:
            if s.passed:
                s.fail("not measured")
            continue
        if s.queries is not None and s.queries > MAX_QUERIES and s.kind != "post":
            s.fail(f"{s.queries} SQL queries > {MAX_QUERIES}")
        if s.blog.peak_rss_kib / 1024 > MAX_RSS_MB:
            s.fail(f"worker RSS {s.blog.peak_rss_kib / 1024:.1f} MB > {MAX_RSS_MB} MB")
        if s.blog.socket_errors:
            s.fail(f"socket errors {s.blog.errors}")
        expected = {"get": {200}, "conditional": {304}, "post": {302, 303}}[s.kind]
        unexpected = {code: n for code, n in s.blog.statuses.items() if code not in expected}
        shed = {code: n for code, n in unexpected.items() if code in s.shed}
        if shed:
            s.notes.append(f"shed by design {shed}")
        if len(shed) < len(unexpected):
            s.fail(f"unexpected answers {unexpected}")
        base = hello if s.kind != "get" else s.ceiling
        ratio = s.blog.rate / base.rate if base and base.rate else None
        if s.min_ratio is not None and (ratio is None or ratio < s.min_ratio):
            s.fail(
                f"{ratio or 0:.0%} of {'hello' if base is hello else 'ceiling'} < {s.min_ratio:.0%}"
            )
        if s.nginx is not None and s.nginx_file is not None:
            nginx_ratio = s.nginx.rate / s.nginx_file.rate if s.nginx_file.rate else 0
            bad = {c: n for c, n in s.nginx.statuses.items() if c != 200}
            if bad and set(bad) <= s.shed:
                s.notes.append(f"through nginx, shed by design {bad}")
                bad = {}
            if bad or s.nginx.socket_errors:
                s.fail(f"through nginx: {bad or s.nginx.errors}")
            if s.nginx_min_ratio is not None and nginx_ratio < s.nginx_min_ratio:
                s.fail(f"through nginx {nginx_ratio:.0%} of nginx's file < {s.nginx_min_ratio:.0%}")
        if s.name == "/page/500/" and home.blog and s.blog.rate < 0.8 * home.blog.rate:
            s.fail(f"deep page at {s.blog.rate / home.blog.rate:.0%} of the first page")
        if s.kind == "post":
            account = account_posts(s.blog, stored)
            s.notes.append(account.note)
            if s.blog.rate < MIN_COMMENT_RATE:
                s.fail(f"{s.blog.rate:.0f}/s < {MIN_COMMENT_RATE}/s")
            for problem in account.problems:
                s.fail(problem)


def target_text(s: Scenario) -> str:
    parts = []
    if s.kind == "post":
        parts.append(f">= {MIN_COMMENT_RATE}/s, 0 errors, 0 lost")
    elif s.kind == "conditional":
        parts.append(">= 90% of hello")
    elif s.min_ratio is not None:
        parts.append(f">= {s.min_ratio:.0%}")
    if s.name == "/page/500/":
        parts.append(">= 0.8x home")
    if s.kind != "post":
        parts.append(f"<= {MAX_QUERIES} q")
    if s.nginx_min_ratio is not None:
        parts.append(f"nginx >= {s.nginx_min_ratio:.0%} of file")
    return ", ".join(parts)


def table(scenarios: list[Scenario], hello: WrkResult) -> str:
    lines = [
        "| page | bytes | req/s | p50 ms | p99 ms | ceiling req/s | ratio | SQL/req "
        "| peak RSS MB | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for s in scenarios:
        b = s.blog
        base = hello if s.kind != "get" else s.ceiling
        ratio = f"{b.rate / base.rate:.0%}" if b and base and base.rate else "–"
        base_text = f"{base.rate:,.0f}" + (" (hello)" if base is hello else "") if base else "–"
        result = ("PASS" if s.passed else "FAIL") + (f": {'; '.join(s.notes)}" if s.notes else "")
        lines.append(
            f"| {s.name} | {s.bytes or '–'} | {b.rate:,.0f} | {b.p50_ms:.1f} | {b.p99_ms:.1f} "
            f"| {base_text} | {ratio} | {s.queries if s.queries is not None else '–'} "
            f"| {b.peak_rss_kib / 1024:.1f} | {target_text(s)} | {result} |"
            if b
            else f"| {s.name} | – | – | – | – | – | – | {s.queries} | – | {target_text(s)} "
            f"| {result} |"
        )
        if s.nginx is not None and s.nginx_file is not None:
            file_rate = s.nginx_file.rate
            ratio = f"{s.nginx.rate / file_rate:.0%}" if file_rate else "–"
            for label, run, base_text, shown in (
                ("through nginx", s.nginx, f"{file_rate:,.0f} (file)", ratio),
                ("nginx, same bytes from a file", s.nginx_file, "–", "–"),
            ):
                lines.append(
                    f"| {s.name}: {label} | {s.bytes} | {run.rate:,.0f} | {run.p50_ms:.1f} "
                    f"| {run.p99_ms:.1f} | {base_text} | {shown} | – | – | – | – |"
                )
    lines.append(
        f"| hello (bare Flask) | 13 | {hello.rate:,.0f} | {hello.p50_ms:.1f} | "
        f"{hello.p99_ms:.1f} | – | – | – | – | – | – |"
    )
    return "\n".join(lines)


def flood_rows(run) -> str:
    """The search-flood rows: home-page readers alone, then while 40 connections send
    cache-busting searches (benchmarks/flood.py), through nginx as deployed."""
    failed = [f"{c.what}: {c.detail}" for c in run.checks if not c.passed]
    verdict = "FAIL: " + "; ".join(failed) if failed else "PASS"
    share = run.readers.rate / run.alone.rate if run.alone.rate else 0.0
    flood = ", ".join(f"{code}: {n:,}" for code, n in sorted(run.flood.statuses.items()))
    return (
        f"| home, readers alone (limits on, through nginx) | – | {run.alone.rate:,.0f} | "
        f"{run.alone.p50_ms:.1f} | {run.alone.p99_ms:.1f} | – | – | – | – | – | – |\n"
        f"| home, reader under a search flood (40 connections) | – | "
        f"{run.readers.rate:,.0f} | {run.readers.p50_ms:.1f} | {run.readers.p99_ms:.1f} | – "
        f"| {share:.0%} | – | – | >= 80% of alone, p99 < 50 ms, no 5xx | {verdict}; "
        f"the flood's answers: {flood} |"
    )


def mail_row(mail) -> str:
    verdict = "PASS" if mail.passed else "FAIL"
    return (
        f"| mail: outbox to local SMTP (`flask deliver --loop`) | – | "
        f"{mail.per_minute:,.0f}/min | – | – | – | – | – | – | >= {MAIL_TARGET:,}/min, "
        f"each once | {verdict}: {mail.messages} sent in {mail.seconds:.1f}s, "
        f"{mail.duplicates} twice |"
    )


def machine(settings: WrkSettings, workers: int, threads: str) -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs ({cpu}) · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
        f"gunicorn.conf.py: {workers} workers × {threads} threads · "
        f"wrk -t{settings.threads} -c{settings.connections} -d{settings.seconds:g}s"
    )


# -- profiling --------------------------------------------------------------------------


def profile(database_url: str, scenario: Scenario, repeat: int) -> str:
    """pyinstrument over ``repeat`` requests of one page through the test client."""
    from pyinstrument import Profiler

    from benchmarks.demo_site import make_app

    app = make_app(database_url, RATELIMIT_ENABLED=False, REQUEST_LOG=False)
    with app.app_context():
        client = app.test_client()
        client.get(scenario.path).close()
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(repeat):
                client.get(scenario.path).close()
        from blogapp.extensions import db

        db.session.remove()
        db.engine.dispose()
    return profiler.output_text(unicode=True, color=False, show_all=False)


# -- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk time per page (5)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep bench-results/bench.sqlite from an earlier run",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip pyinstrument")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated page names to run (--under-writes: app, nginx, home or post)",
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="only the pages' table (blog, ceiling, nginx): no mail, cards, flood, export, "
        "spam filter or reading-counts rows",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="instead: how page costs grow with the site (benchmarks/scale.py)",
    )
    parser.add_argument(
        "--scale-max",
        type=int,
        default=10_000,
        help="largest --scale size in posts (10000; 100000: a million comments)",
    )
    parser.add_argument(
        "--under-writes",
        action="store_true",
        help="instead: readers while posts are saved and comments approved "
        "(benchmarks/under_writes.py; --posts/--comments size its database)",
    )
    parser.add_argument(
        "--scale-repeat", type=int, default=40, help="requests per page and mode in --scale (40)"
    )
    parser.add_argument(
        "--scale-postgres",
        metavar="URL",
        default="",
        help="--scale also on PostgreSQL at 10,000 posts and up: a database per size, "
        "named after URL's with _N added (created, and dropped when rebuilt)",
    )
    parser.add_argument(
        "--scale-no-import",
        action="store_true",
        help="--scale without the WordPress import of each size (benchmarks/scale_import.py)",
    )
    return parser.parse_args(argv)


def other_sections(database_url: str, settings: WrkSettings) -> str:
    """Every row after the pages' table: mail, share cards, the search flood, the static
    copy, the spam filter and the reading counts."""
    print("Delivering mail from the outbox to a local SMTP server …", flush=True)
    mail = measure_mail()
    print("Drawing a share card for every post (flask cards draw) …", flush=True)
    cards = measure_cards(RESULTS / "bench.sqlite")
    print("Readers of the home page under a search flood, through nginx …", flush=True)
    flood, _ = measure_flood(database_url, settings)
    print("Exporting a static copy (full, then after one new post) …", flush=True)
    export = measure_export(RESULTS)
    print("Spam filter: cross-validation, scoring, training on 100,000 comments …", flush=True)
    spam = measure_spam_filter()
    print(
        "Counting a million lines of nginx's reading-counts log (flask stats ingest) …", flush=True
    )
    stats = measure_stats()
    return (
        f"{mail_row(mail)}\n{cards_row(cards)}\n{flood_rows(flood)}\n{export_rows(export)}\n"
        f"{spam_filter_rows(spam)}\n"
        f"{stats_row(stats)}\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.scale:
        from benchmarks.scale import run as run_scale

        return run_scale(
            RESULTS,
            args.scale_max,
            args.reuse_db,
            args.scale_repeat,
            postgres_url=args.scale_postgres or None,
            imports=not args.scale_no_import,
        )
    settings = WrkSettings(args.seconds, args.threads, args.connections)
    if args.under_writes:
        from benchmarks.under_writes import run as run_under_writes

        only = frozenset(n.strip() for n in args.only.split(",") if n.strip())
        return run_under_writes(RESULTS, args.posts, args.comments, args.reuse_db, settings, only)
    database_url, site = prepare_database(args)
    scenarios = scenarios_for(site)
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        scenarios = [s for s in scenarios if s.name in wanted or s.name == "home"]
    print("Counting SQL queries per request …", flush=True)
    count_queries(database_url, scenarios)

    run_id = uuid.uuid4().hex[:8]
    pages_dir = RESULTS / "ceiling-pages"
    port = free_port()
    blog = start_gunicorn(server_config(database_url, port), port, RESULTS / "gunicorn-blog.log")
    ceiling = None
    try:
        time.sleep(1)
        workers = len(blog.worker_pids())
        runs = prepare_runs(blog, scenarios, settings, pages_dir, run_id)
        port = free_port()
        ceiling = start_gunicorn(
            {"BENCH_CEILING_PAGES": str(pages_dir)},
            port,
            RESULTS / "gunicorn-ceiling.log",
            app_module="benchmarks.ceiling:app",
            ready_path="/hello",
        )
        print(f"Driving the blog and the bare-Flask ceiling ({workers} workers each) …", flush=True)
        hello = drive(blog, ceiling, scenarios, runs, settings)
        ceiling.stop()
        print("Driving nginx with the shipped cache recipe in front of the blog …", flush=True)
        nginx = Nginx(RESULTS / "nginx", int(blog.url.rsplit(":", 1)[1]), pages_dir)
        try:
            drive_nginx(nginx, scenarios, settings)
        finally:
            nginx.stop()
    finally:
        # Gracefully: requests still in flight finish before the comments are counted.
        blog.stop(graceful=True)
        if ceiling is not None:
            ceiling.stop()
    stored = stored_bench_comments(RESULTS / "bench.sqlite", run_id)

    judge(scenarios, hello, stored)
    threads = os.environ.get("BLOGAPP_THREADS", "4")
    report = (
        f"{machine(settings, workers, threads)}\n\n"
        f"Database: {site.posts:,} posts, {site.comments:,} approved comments "
        f"(SQLite, built in {site.seconds:.0f}s)\n\n{table(scenarios, hello)}\n"
    )
    if not args.pages_only:
        report += other_sections(database_url, settings)
    if not args.no_profile:
        measured = [s for s in scenarios if s.kind == "get" and s.blog]
        slowest = min(measured, key=lambda s: s.blog.rate)
        print(f"Profiling the slowest page ({slowest.name}) …", flush=True)
        text = profile(database_url, slowest, repeat=30)
        (RESULTS / "profile.txt").write_text(text)
        report += (
            f"\nSlowest page: {slowest.name} ({slowest.path}); pyinstrument profile of "
            f"30 requests in bench-results/profile.txt\n"
        )
    (RESULTS / "latest.md").write_text(report)
    print()
    print(report)
    print(f"(also in {RESULTS / 'latest.md'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
