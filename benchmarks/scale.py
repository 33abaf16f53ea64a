"""``python -m benchmarks --scale``: how the cost of each public page grows with the
site's size. Databases of 1,000 posts with 10,000 comments and 10,000 with 100,000
(and 100,000 with 1,000,000 with ``--scale-max 100000``), built by ``bigdb.build``
(Core inserts, the search index filled in bulk). Each page is requested in-process
through the Flask test client, so the figures are the app's own cost without HTTP:

- **render**: the page cache keeps nothing (``PAGE_CACHE_BYTES`` 0), so every
  request renders the page; the per-worker parts kept per content version (sidebar,
  threads) are warm, as in a worker between writes. Its queries are the ones the
  ≤ 5 target counts, as the main benchmark's do.
- **after a write**: the first request after a new content version (what a reader
  meets after a comment is approved): the page and every kept part rebuilt.
- **hit**: the page from the worker's page cache.

It prints a table per size, the growth from each size to the next and PASS/FAIL
rows, and writes ``bench-results/scale.svg`` (latency against content size) and
``bench-results/scale.md``."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.bigdb import BigSite, Scale, build

SIZES = ((1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000))
MAX_QUERIES = 5
MAX_MISS_GROWTH = 2.0  # a render at one size, against the size before
GROWTH_CHECKED = ("home", "category", "deep page")
MODES = ("render", "after a write", "hit")
SITEMAP_LIMIT = 50_000  # URLs in one sitemap file, by the protocol


@dataclass
class Timing:
    p50_ms: float
    p99_ms: float
    queries: int
    status: int
    # PostgreSQL's ``SET LOCAL statement_timeout`` and its reset around the search: a
    # round trip each, not a read, so not among the queries the target counts.
    settings: int = 0


@dataclass
class SizeResult:
    posts: int
    comments: int
    build_seconds: float
    disk_mb: float
    pages: dict[str, dict[str, Timing]] = field(default_factory=dict)  # page -> mode -> timing
    paths: dict[str, str] = field(default_factory=dict)
    backend: str = "SQLite"
    # /sitemap.xml: the files of its index (0 when it is one file), the most URLs in one
    sitemap_files: int = 0
    sitemap_most_urls: int = 0
    load: str = ""  # load averages when its pages had been measured


def pages_for(site: BigSite, per_page: int, per_sitemap: int) -> dict[str, str]:
    last_page = max(1, -(-site.posts // per_page))
    deep = max(1, last_page - 1)
    sitemap_file = (
        "/sitemap.xml"
        if site.posts + 40 <= per_sitemap
        else f"/sitemap-posts-{-(-site.posts // per_sitemap)}.xml"
    )
    return {
        "home": "/",
        "deep page": f"/page/{deep}/",
        "category": site.category_path,
        "post (500 comments)": site.post_500_path,
        "feed": "/feed/",
        "sitemap": "/sitemap.xml",
        "sitemap (last file)": sitemap_file,
        "search": "/?s=" + site.search_term,
    }


def database(results: Path, posts: int, comments: int, reuse: bool) -> tuple[str, BigSite, Path]:
    path = results / f"scale-{posts}.sqlite"
    info = results / f"scale-{posts}.json"
    url = f"sqlite:///{path}"
    if reuse and path.exists() and info.exists():
        return url, BigSite(**json.loads(info.read_text())), path
    for stale in results.glob(f"scale-{posts}.sqlite*"):
        stale.unlink()
    print(f"Building {posts:,} posts and {comments:,} comments …", flush=True)
    site = build(url, Scale(posts=posts, comments=comments))
    info.write_text(json.dumps(asdict(site)))
    print(f"  built in {site.seconds:.1f}s ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    return url, site, path


PG_SIZES_FROM = 10_000  # PostgreSQL for the two larger sizes only


def pg_database(
    results: Path, base_url: str, posts: int, comments: int, reuse: bool
) -> tuple[str, BigSite, float]:
    """A PostgreSQL database of its own per size, named after ``base_url``'s with
    ``_N`` added (``blogapp_scale2`` → ``blogapp_scale2_10000``); returns its URL, the
    site and its size on disk in MB."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(base_url)
    name = f"{base.database}_{posts}"
    url = base.set(database=name).render_as_string(hide_password=False)
    info = results / f"scale-pg-{posts}.json"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    waited = 0
    while reuse and not info.exists() and waited < 3600 and _busy(admin, name):
        if not waited:
            print(f"  {name} is being built by another process: waiting for it …", flush=True)
        time.sleep(10)  # a big build runs for many minutes; no clock to inject here
        waited += 10
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not (reuse and exists and info.exists()):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                exists = False
    finally:
        admin.dispose()
    if exists:
        site = BigSite(**json.loads(info.read_text()))
    else:
        print(f"Building {posts:,} posts and {comments:,} comments on PostgreSQL …", flush=True)
        site = build(url, Scale(posts=posts, comments=comments))
        info.write_text(json.dumps(asdict(site)))
    sized = create_engine(url)
    try:
        with sized.connect() as conn:
            size = conn.scalar(text("SELECT pg_database_size(current_database())")) / 1e6
    finally:
        sized.dispose()
    print(f"  PostgreSQL {name}: built in {site.seconds:.1f}s ({size:.0f} MB)", flush=True)
    return url, site, size


def _busy(admin, name: str) -> bool:
    """Whether another session is connected to database ``name`` (a build under way)."""
    from sqlalchemy import text

    with admin.connect() as conn:
        return bool(
            conn.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
        )


def load_average() -> str:
    import os

    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def measure_pages(
    database_url: str, paths: dict[str, str], repeat: int, after_write_repeat: int
) -> dict[str, dict[str, Timing]]:
    from sqlalchemy import event

    from benchmarks.demo_site import make_app
    from blogapp import content_version
    from blogapp.extensions import db

    found: dict[str, dict[str, Timing]] = {name: {} for name in paths}
    settings = {"RATELIMIT_ENABLED": False, "REQUEST_LOG": False, "SEARCH_MAX_CONCURRENT": 0}
    for mode in MODES:
        config = dict(settings)
        if mode == "render":
            config["PAGE_CACHE_BYTES"] = 0
        app = make_app(database_url, **config)
        statements: list[str] = []

        def record(
            conn, cursor, statement, parameters, context, executemany, statements=statements
        ):
            statements.append(statement)

        # No app context held around the requests: Flask would reuse it, and its ``g``
        # (which holds the content version a request read) would outlive each request.
        with app.app_context():
            engine = db.engine
        client = app.test_client()
        client.get("/").close()  # the worker's first request fills its per-process caches
        event.listen(engine, "before_cursor_execute", record)
        try:
            for name, path in paths.items():
                samples, queries, set_statements, status = [], None, 0, 0
                if mode == "hit":
                    client.get(path).close()
                for _ in range(after_write_repeat if mode == "after a write" else repeat):
                    if mode == "after a write":
                        # A write readers can see (of the whole site, not only a
                        # comment), touching nothing but the versions.
                        with app.app_context():
                            value = content_version._store_new_versions(
                                db.session, content_version.Changes(site=True, structure=True)
                            )
                            db.session.commit()
                            content_version._remember(value)
                            db.session.remove()
                    statements.clear()
                    started = time.perf_counter()
                    response = client.get(path)
                    response.get_data()
                    samples.append(time.perf_counter() - started)
                    response.close()
                    status = response.status_code
                    # The fewest: a worker re-reads the content version once a second
                    # (CONTENT_VERSION_CACHE_SECONDS), one query shared by its requests.
                    sets = sum(1 for s in statements if s.lstrip()[:4].upper() == "SET ")
                    reads = len(statements) - sets
                    if queries is None or reads < queries:
                        queries, set_statements = reads, sets
                p50, p99 = _percentiles(samples)
                found[name][mode] = Timing(p50, p99, queries or 0, status, set_statements)
        finally:
            event.remove(engine, "before_cursor_execute", record)
            engine.dispose()
    return found


def sitemap_shape(database_url: str) -> tuple[int, int]:
    """Every file ``/sitemap.xml`` names, fetched: how many, and the most URLs in one."""
    import re
    from urllib.parse import urlsplit

    from benchmarks.demo_site import make_app

    app = make_app(database_url, RATELIMIT_ENABLED=False, REQUEST_LOG=False, PAGE_CACHE_BYTES=0)
    client = app.test_client()
    top = client.get("/sitemap.xml").get_data(as_text=True)
    if "<sitemapindex" not in top:
        return 0, top.count("<url>")
    files = [urlsplit(loc).path for loc in re.findall(r"<loc>([^<]+)</loc>", top)]
    most = max(client.get(f).get_data(as_text=True).count("<url>") for f in files)
    return len(files), most


# -- reporting --------------------------------------------------------------------------


def size_label(r: SizeResult) -> str:
    return f"{r.posts:,} posts / {r.comments:,} comments"


def size_table(r: SizeResult) -> str:
    lines = [
        f"### {size_label(r)} ({r.backend} {r.disk_mb:.0f} MB on disk, built in "
        f"{r.build_seconds:.0f}s; load average {r.load} after measuring)",
        "",
        "`/sitemap.xml`: "
        + (
            f"an index of {r.sitemap_files} files, at most {r.sitemap_most_urls:,} URLs in one."
            if r.sitemap_files
            else f"one file of {r.sitemap_most_urls:,} URLs."
        ),
        "",
        "| page | render p50 / p99 ms | queries | after a write p50 / p99 ms | queries "
        "| hit p50 / p99 ms | queries | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, modes in r.pages.items():
        cells = []
        for mode in MODES:
            t = modes[mode]
            sets = f" (+{t.settings} SET)" if t.settings else ""
            cells += [f"{t.p50_ms:.1f} / {t.p99_ms:.1f}", f"{t.queries}{sets}"]
        statuses = {modes[m].status for m in MODES}
        lines.append(
            f"| {name} ({r.paths[name]}) | "
            + " | ".join(cells)
            + f" | {'/'.join(map(str, sorted(statuses)))} |"
        )
    return "\n".join(lines)


def growth_table(results: list[SizeResult]) -> str:
    if len(results) < 2:
        return ""
    heads = [f"{a.posts:,} → {b.posts:,}" for a, b in zip(results, results[1:], strict=False)]
    lines = [
        f"### {results[0].backend}: growth of the render's p50 (and after a write) from each "
        "size to the next",
        "",
        "| page | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(heads),
    ]
    for name in results[0].pages:
        cells = []
        for a, b in zip(results, results[1:], strict=False):
            ra, rb = a.pages[name]["render"], b.pages[name]["render"]
            wa, wb = a.pages[name]["after a write"], b.pages[name]["after a write"]
            cells.append(
                f"×{rb.p50_ms / max(ra.p50_ms, 1e-6):.2f} (×{wb.p50_ms / max(wa.p50_ms, 1e-6):.2f})"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    disk = [f"×{b.disk_mb / a.disk_mb:.1f}" for a, b in zip(results, results[1:], strict=False)]
    lines.append("| database on disk | " + " | ".join(disk) + " |")
    return "\n".join(lines)


def judge(results: list[SizeResult]) -> list[str]:
    rows = []
    largest = results[-1]
    on = f" ({largest.backend})"
    for name, modes in largest.pages.items():
        q = modes["render"].queries
        ok = q <= MAX_QUERIES and all(modes[m].status < 500 for m in MODES)
        rows.append(
            f"- {'PASS' if ok else 'FAIL'} {name}: {q} queries per render at "
            f"{largest.posts:,} posts{on} (target ≤ {MAX_QUERIES}, no 5xx)"
            + (f"; and {modes['render'].settings} SET LOCAL" if modes["render"].settings else "")
        )
    from blogapp.config import DefaultConfig as Config

    if largest.sitemap_most_urls:
        ok = largest.sitemap_most_urls <= SITEMAP_LIMIT and (
            largest.sitemap_files > 0 or largest.posts < SITEMAP_LIMIT
        )
        rows.append(
            f"- {'PASS' if ok else 'FAIL'} sitemap at {largest.posts:,} posts{on}: an index "
            f"of {largest.sitemap_files} files, at most {largest.sitemap_most_urls:,} URLs in "
            f"one (protocol limit {SITEMAP_LIMIT:,})"
        )
    budget = Config.SEARCH_TIME_BUDGET_MS
    for r in results:
        t = r.pages["search"]["render"]
        ok = t.p99_ms <= budget and t.status < 500
        rows.append(
            f"- {'PASS' if ok else 'FAIL'} search at {r.posts:,} posts{on}: render p99 "
            f"{t.p99_ms:.1f} ms (budget {budget} ms, status {t.status})"
        )
    if len(results) >= 2:
        before = results[-2]
        for name in GROWTH_CHECKED:
            a, b = before.pages[name]["render"].p50_ms, largest.pages[name]["render"].p50_ms
            ok = b <= MAX_MISS_GROWTH * a
            rows.append(
                f"- {'PASS' if ok else 'FAIL'} {name} render{on}: {b:.1f} ms at "
                f"{largest.posts:,} posts, ×{b / max(a, 1e-6):.2f} its {a:.1f} ms at "
                f"{before.posts:,} (target ≤ ×{MAX_MISS_GROWTH:g})"
            )
    return rows


def chart(results: list[SizeResult], on_pg: list[SizeResult] | None = None) -> str:
    """Render p50 of each page against the number of posts (both log scales), by hand;
    PostgreSQL's sizes, if measured, as dashed lines in the same colours."""
    import math

    on_pg = on_pg or []
    width, height, left, right, top, bottom = 760, 420, 60, 200, 30, 50
    pages = list(results[0].pages)
    all_ms = [max(r.pages[p]["render"].p50_ms, 0.1) for r in [*results, *on_pg] for p in pages]
    y0 = math.floor(math.log10(min(all_ms)))
    y1 = max(math.ceil(math.log10(max(all_ms))), y0 + 1)
    xs = [math.log10(r.posts) for r in results]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(posts: int) -> float:
        return left + (math.log10(posts) - x0) / (x1 - x0) * plot_w

    def py(ms: float) -> float:  # log scale: the sitemap would flatten every other line
        return top + plot_h - (math.log10(max(ms, 0.1)) - y0) / (y1 - y0) * plot_h

    colours = [
        "#1b6ca8",
        "#c0392b",
        "#27ae60",
        "#8e44ad",
        "#d35400",
        "#16a085",
        "#7f8c8d",
        "#2c3e50",
    ]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">Render p50 (ms, log scale) against posts '
        f"(comments ×10), in process</text>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>',
    ]
    for power in range(y0, y1 + 1):
        ms = 10.0**power
        out.append(f'<text x="{left - 6}" y="{py(ms) + 4:.1f}" text-anchor="end">{ms:g}</text>')
        out.append(
            f'<line x1="{left}" y1="{py(ms):.1f}" x2="{left + plot_w}" y2="{py(ms):.1f}" '
            f'stroke="#ddd"/>'
        )
    for r in results:
        out.append(
            f'<text x="{px(r.posts):.1f}" y="{top + plot_h + 18}" '
            f'text-anchor="middle">{r.posts:,}</text>'
        )
    for n, name in enumerate(pages):
        colour = colours[n % len(colours)]
        points = " ".join(
            f"{px(r.posts):.1f},{py(r.pages[name]['render'].p50_ms):.1f}" for r in results
        )
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for r in results:
            out.append(
                f'<circle cx="{px(r.posts):.1f}" '
                f'cy="{py(r.pages[name]["render"].p50_ms):.1f}" r="3" fill="{colour}"/>'
            )
        if on_pg:
            dashed = " ".join(
                f"{px(r.posts):.1f},{py(r.pages[name]['render'].p50_ms):.1f}" for r in on_pg
            )
            out.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'stroke-dasharray="6 4" points="{dashed}"/>'
            )
        y = top + 14 + n * 18
        out.append(
            f'<rect x="{left + plot_w + 16}" y="{y - 9}" width="12" height="12" fill="{colour}"/>'
        )
        out.append(f'<text x="{left + plot_w + 34}" y="{y + 1}">{name}</text>')
    if on_pg:
        y = top + 14 + len(pages) * 18 + 8
        out.append(
            f'<line x1="{left + plot_w + 16}" y1="{y - 3}" x2="{left + plot_w + 28}" '
            f'y2="{y - 3}" stroke="black" stroke-width="2" stroke-dasharray="4 2"/>'
        )
        out.append(f'<text x="{left + plot_w + 34}" y="{y + 1}">PostgreSQL</text>')
        out.append(
            f'<line x1="{left + plot_w + 16}" y1="{y + 15}" x2="{left + plot_w + 28}" '
            f'y2="{y + 15}" stroke="black" stroke-width="2"/>'
        )
        out.append(f'<text x="{left + plot_w + 34}" y="{y + 19}">SQLite</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def run(
    results_dir: Path,
    scale_max: int,
    reuse: bool,
    repeat: int,
    postgres_url: str | None = None,
    imports: bool = True,
) -> int:
    from benchmarks import scale_import
    from blogapp.config import DefaultConfig as Config

    results_dir.mkdir(exist_ok=True)
    sizes = [s for s in SIZES if s[0] <= scale_max]
    results: list[SizeResult] = []
    for posts, comments in sizes:
        url, site, path = database(results_dir, posts, comments, reuse)
        paths = pages_for(site, Config.POSTS_PER_PAGE, Config.SITEMAP_URLS_PER_FILE)
        print(f"Measuring {posts:,} posts in process (render, after a write, hit) …", flush=True)
        result = SizeResult(posts, comments, site.seconds, path.stat().st_size / 1e6, paths=paths)
        result.pages = measure_pages(url, paths, repeat, max(5, repeat // 4))
        result.load = load_average()
        result.sitemap_files, result.sitemap_most_urls = sitemap_shape(url)
        results.append(result)
    on_pg: list[SizeResult] = []
    for posts, comments in sizes if postgres_url else ():
        if posts < PG_SIZES_FROM:
            continue
        url, site, size = pg_database(results_dir, postgres_url, posts, comments, reuse)
        paths = pages_for(site, Config.POSTS_PER_PAGE, Config.SITEMAP_URLS_PER_FILE)
        print(f"Measuring {posts:,} posts on PostgreSQL in process …", flush=True)
        result = SizeResult(posts, comments, site.seconds, size, paths=paths, backend="PostgreSQL")
        result.pages = measure_pages(url, paths, repeat, max(5, repeat // 4))
        result.load = load_average()
        result.sitemap_files, result.sitemap_most_urls = sitemap_shape(url)
        on_pg.append(result)
    imported = scale_import.run(results_dir, sizes, reuse) if imports else []
    write_report(results_dir, results, on_pg, imported)
    return 0


def results_from_json(path: Path) -> tuple[list[SizeResult], list[SizeResult]]:
    """The SQLite and PostgreSQL sizes of a ``scale.json``, to report them again (with
    import figures measured since: ``write_report``)."""
    sqlite, postgres = [], []
    for found in json.loads(path.read_text())["pages"]:
        pages = {
            name: {mode: Timing(**t) for mode, t in modes.items()}
            for name, modes in found.pop("pages").items()
        }
        result = SizeResult(**found, pages=pages)
        (postgres if result.backend == "PostgreSQL" else sqlite).append(result)
    return sqlite, postgres


def write_report(
    results_dir: Path,
    results: list[SizeResult],
    on_pg: list[SizeResult],
    imported: list,
) -> None:
    from benchmarks import scale_import

    parts = [size_table(r) for r in [*results, *on_pg]]
    parts += [growth_table(results), growth_table(on_pg)]
    if imported:
        parts.append(scale_import.table(imported))
    targets = judge(results) + (judge(on_pg) if on_pg else []) + scale_import.judge(imported)
    parts.append("\n".join(["### Targets", "", *targets]))
    report = "\n\n".join(p for p in parts if p) + "\n"
    (results_dir / "scale.md").write_text(report)
    everything = [asdict(r) for r in [*results, *on_pg]]
    (results_dir / "scale.json").write_text(
        json.dumps({"pages": everything, "imports": [asdict(f) for f in imported]}, indent=1)
    )
    (results_dir / "scale.svg").write_text(chart(results, on_pg))
    print()
    print(report)
    print(f"(also in {results_dir / 'scale.md'}; chart in {results_dir / 'scale.svg'})")
