"""``python -m benchmarks.flood``: readers of the home page under a search flood,
against the benchmark database and the committed gunicorn.conf.py.

Two runs, one after the other on the same server: readers alone, then the same
readers while FLOOD_CONNECTIONS connections from the same address send
cache-busting searches (two common words in canonical order, so no redirect
saves the server any work, plus a random ``r=`` parameter). Rate limits are on,
and nginx is in front with the shipped recipe, as deployed (``--gunicorn-alone``
measures the app's own defences without it). ``python -m benchmarks`` runs the
same measurement through nginx for its "reader under a search flood" row.
Prints throughput and p99 of both runs and PASS/FAIL for: readers keep at least
80% of their throughput, their p99 stays under 50 ms, and no 5xx for anyone (the
cap's 503 and the limits' 429 count as shed, not errors).

Figures, not tests: nothing here fails a build. Everything goes to
``bench-results/`` (the database is the one ``python -m benchmarks`` builds, and
``--reuse-db`` keeps it)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from benchmarks.bigdb import WORDS, BigSite, Scale, build
from benchmarks.nginx import Nginx
from benchmarks.server import PROJECT_ROOT, app_environment, free_port, start_gunicorn
from benchmarks.wrk import WrkResult, WrkSettings, lua_preamble, run_wrk

RESULTS = PROJECT_ROOT / "bench-results"
FLOOD_CONNECTIONS = 40
MIN_READER_SHARE = 0.80
MAX_READER_P99_MS = 50.0
SHED = (429, 503)

# Each wrk thread has its own Lua state: seeded by its thread id, the threads send
# different searches. Two distinct words, sorted: already the canonical URL.
FLOOD_LUA = """
local words = {}
for word in string.gmatch(FLOOD_WORDS, "%S+") do words[#words + 1] = word end
local seeded = false

function request()
  if not seeded then
    math.randomseed(os.time() * 100 + tid)
    seeded = true
  end
  local a, b = words[math.random(#words)], words[math.random(#words)]
  while b == a do b = words[math.random(#words)] end
  if b < a then a, b = b, a end
  return wrk.format("GET", "/?s=" .. a .. "+" .. b .. "&r=" .. math.random(1, 1000000000))
end
"""


@dataclass
class Check:
    what: str
    passed: bool
    detail: str


@dataclass
class FloodRun:
    alone: WrkResult
    readers: WrkResult
    flood: WrkResult
    checks: list[Check] = field(default_factory=list)


def prepare_database(args) -> tuple[str, BigSite]:
    """The benchmark database (built as ``python -m benchmarks`` builds it)."""
    path = RESULTS / "bench.sqlite"
    info = RESULTS / "bench-site.json"
    if args.reuse_db and path.exists() and info.exists():
        return f"sqlite:///{path}", BigSite(**json.loads(info.read_text()))
    for stale in RESULTS.glob("bench.sqlite*"):
        stale.unlink()
    scale = Scale(posts=args.posts, comments=args.comments)
    print(f"Building {scale.posts:,} posts and {scale.comments:,} comments …", flush=True)
    site = build(f"sqlite:///{path}", scale)
    info.write_text(json.dumps(asdict(site)))
    return f"sqlite:///{path}", site


def clear_limits(redis_url: str) -> None:
    """Start from empty windows: the rate-limit keys (``LIMITS…``) of an earlier run
    would refuse this run's first searches. Only those keys are deleted."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match="LIMITS*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def server_environment(database_url: str, port: int, redis_url: str) -> dict[str, str]:
    env = app_environment(database_url, port, RESULTS / "instance")
    env["BLOGAPP_RATELIMIT_ENABLED"] = "true"  # the limits are what is measured
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def flood_and_read(url: str, readers: WrkSettings, flood: WrkSettings) -> tuple[WrkResult, ...]:
    """The flood starts first and ends last, so the readers' run is inside it."""
    found: dict[str, WrkResult] = {}
    errors: list[BaseException] = []

    def flood_thread() -> None:
        try:
            found["flood"] = run_wrk(url + "/", flood)
        except BaseException as error:  # noqa: BLE001  reported below
            errors.append(error)

    thread = threading.Thread(target=flood_thread)
    thread.start()
    time.sleep(1.0)
    try:
        found["readers"] = run_wrk(url + "/", readers)
    finally:
        thread.join()
    if errors:
        raise errors[0]
    return found["readers"], found["flood"]


def five_xx(result: WrkResult, allowed: tuple[int, ...] = ()) -> int:
    return sum(n for code, n in result.statuses.items() if code >= 500 and code not in allowed)


def judge(run: FloodRun) -> None:
    share = run.readers.rate / run.alone.rate if run.alone.rate else 0.0
    shed = sum(run.flood.statuses.get(code, 0) for code in SHED)
    run.checks = [
        Check("readers keep >= 80% of their throughput", share >= MIN_READER_SHARE, f"{share:.0%}"),
        Check(
            f"readers' p99 < {MAX_READER_P99_MS:g} ms",
            run.readers.p99_ms < MAX_READER_P99_MS,
            f"{run.readers.p99_ms:.1f} ms",
        ),
        Check(
            "no 5xx for anyone (503 of the cap is shed)",
            five_xx(run.alone) + five_xx(run.readers) + five_xx(run.flood, SHED) == 0
            and set(run.readers.statuses) == {200},
            f"readers {run.readers.statuses}, flood {run.flood.statuses}",
        ),
        Check("the flood is shed (429/503)", shed > 0, f"{shed} shed of {run.flood.requests}"),
        Check(
            "no socket errors",
            not (run.alone.socket_errors or run.readers.socket_errors or run.flood.socket_errors),
            f"readers {run.readers.errors}, flood {run.flood.errors}",
        ),
    ]


def table(run: FloodRun) -> str:
    def row(name: str, r: WrkResult) -> str:
        statuses = ", ".join(f"{code}: {n:,}" for code, n in sorted(r.statuses.items()))
        return f"| {name} | {r.rate:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {statuses} |"

    lines = [
        "| run | req/s | p50 ms | p99 ms | answers |",
        "| --- | ---: | ---: | ---: | --- |",
        row("home, readers alone", run.alone),
        row("home, reader under a search flood", run.readers),
        row(f"the flood ({FLOOD_CONNECTIONS} connections, cache-busting searches)", run.flood),
        "",
        "| target | measured | result |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {c.what} | {c.detail} | {'PASS' if c.passed else 'FAIL'} |" for c in run.checks]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.flood",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="each measured run (10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads per client (2)")
    parser.add_argument("--connections", type=int, default=16, help="reader connections (16)")
    parser.add_argument("--flood-connections", type=int, default=FLOOD_CONNECTIONS)
    parser.add_argument(
        "--redis",
        default="",
        help="REDIS_URL for the limits' storage (default: each worker's memory)",
    )
    parser.add_argument(
        "--gunicorn-alone",
        action="store_true",
        help="no nginx in front: the app's own limits, cap and budget only "
        "(default: through nginx with the shipped recipe, "
        "deploy/nginx-blogapp-proxy.conf, as deployed)",
    )
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep bench-results/bench.sqlite from an earlier run",
    )
    return parser.parse_args(argv)


def measure(
    database_url: str,
    readers: WrkSettings,
    flood_connections: int = FLOOD_CONNECTIONS,
    *,
    nginx: bool = True,
    redis_url: str = "",
) -> tuple[FloodRun, int]:
    """Readers alone, then readers under the flood, on a fresh gunicorn with the limits
    on, through nginx's shipped recipe or not; (the judged run, gunicorn's workers)."""
    flood = WrkSettings(
        readers.seconds + 2.0,
        readers.threads,
        flood_connections,
        extra_lua=lua_preamble({"FLOOD_WORDS": " ".join(WORDS)}) + FLOOD_LUA,
    )
    if redis_url:
        clear_limits(redis_url)
    port = free_port()
    server = start_gunicorn(
        server_environment(database_url, port, redis_url), port, RESULTS / "gunicorn-flood.log"
    )
    proxy = None
    try:
        url = server.url
        if nginx:
            empty = RESULTS / "flood-nginx-pages"
            empty.mkdir(exist_ok=True)
            proxy = Nginx(RESULTS / "nginx-flood", port, empty)
            url = proxy.url
        workers = len(server.worker_pids())
        print(f"Warming up ({workers} workers) …", flush=True)
        run_wrk(url + "/", WrkSettings(2.0, readers.threads, readers.connections))
        print("Readers alone …", flush=True)
        alone = run_wrk(url + "/", readers)
        print(f"Readers under a flood of {flood_connections} connections …", flush=True)
        under, flooded = flood_and_read(url, readers, flood)
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
    run = FloodRun(alone=alone, readers=under, flood=flooded)
    judge(run)
    return run, workers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    database_url, site = prepare_database(args)
    readers = WrkSettings(args.seconds, args.threads, args.connections)
    run, workers = measure(
        database_url,
        readers,
        args.flood_connections,
        nginx=not args.gunicorn_alone,
        redis_url=args.redis,
    )
    report = (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs · "
        f"gunicorn.conf.py: {workers} workers × {os.environ.get('BLOGAPP_THREADS', '4')} threads"
        f" · wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s"
        f" · limits in {'Redis' if args.redis else 'worker memory'}"
        f"{' · gunicorn alone' if args.gunicorn_alone else ' · through nginx (shipped recipe)'}\n"
        f"Database: {site.posts:,} posts, {site.comments:,} comments (SQLite)\n\n{table(run)}\n"
    )
    (RESULTS / "flood.md").write_text(report)
    print()
    print(report)
    print(f"(also in {RESULTS / 'flood.md'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
