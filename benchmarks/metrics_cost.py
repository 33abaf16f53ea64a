"""``python -m benchmarks.metrics_cost``: what counting Prometheus metrics costs the
kept-page rows (home, category, a post with 500 comments: pages answered from the
page cache). The same gunicorn (committed gunicorn.conf.py, multiprocess metrics) is
run twice on one database, without and with ``METRICS_TOKEN_SHA256`` (counting is on
only when a token is set), alternating runs of each page so both see the machine in
the same state; prints requests per second and the loss, PASS when it is 5% or less.

Uses ``bench-results/bench.sqlite`` from ``python -m benchmarks`` when it exists
(``--reuse-db``), else builds a smaller site (``--posts``, ``--comments``)."""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
from dataclasses import asdict

from benchmarks.bigdb import BigSite, Scale, build
from benchmarks.server import PROJECT_ROOT, app_environment, free_port, start_gunicorn
from benchmarks.wrk import WrkSettings, run_wrk

RESULTS = PROJECT_ROOT / "bench-results"
MAX_LOSS = 0.05
TOKEN = "benchmark-metrics-token"


def database(args) -> tuple[str, BigSite]:
    path, info = RESULTS / "bench.sqlite", RESULTS / "bench-site.json"
    if args.reuse_db and path.exists() and info.exists():
        return f"sqlite:///{path}", BigSite(**json.loads(info.read_text()))
    path = RESULTS / "metrics-bench.sqlite"
    for stale in RESULTS.glob("metrics-bench.sqlite*"):
        stale.unlink()
    site = build(f"sqlite:///{path}", Scale(posts=args.posts, comments=args.comments))
    return f"sqlite:///{path}", site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.metrics_cost",
                                     description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each page, each way")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    url, site = database(args)
    pages = {"home": "/", "category": site.category_path, "post (500 comments)":
             site.post_500_path}
    settings = WrkSettings(args.seconds, 2, 16)
    servers = {}
    try:
        for name, token in (("off", ""), ("on", hashlib.sha256(TOKEN.encode()).hexdigest())):
            port = free_port()
            env = app_environment(url, port, RESULTS / f"instance-metrics-{name}")
            env.update(BLOGAPP_METRICS_TOKEN_SHA256=token, BLOGAPP_REQUEST_LOG="false",
                       PROMETHEUS_MULTIPROC_DIR=str(RESULTS / f"prometheus-{name}"))
            servers[name] = start_gunicorn(env, port, RESULTS / f"gunicorn-metrics-{name}.log")
        rates: dict[tuple[str, str], list[float]] = {}
        for page, path in pages.items():
            for server in servers.values():
                run_wrk(server.url + path, WrkSettings(1.0, 2, 16))  # fill the page cache
            for _round in range(args.rounds):
                for name, server in servers.items():
                    result = run_wrk(server.url + path, settings)
                    rates.setdefault((page, name), []).append(result.rate)
    finally:
        for server in servers.values():
            server.stop()
    print(f"Kept pages, metrics off and on (median of {args.rounds} runs of "
          f"{args.seconds:g}s, wrk 2 threads, 16 connections):")
    print(f"| page | off req/s | on req/s | loss | target ≤ {MAX_LOSS:.0%} |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for page in pages:
        off = statistics.median(rates[(page, "off")])
        on = statistics.median(rates[(page, "on")])
        loss = 1 - on / off
        worst = max(worst, loss)
        print(f"| {page} | {off:,.0f} | {on:,.0f} | {loss:+.1%} | "
              f"{'PASS' if loss <= MAX_LOSS else 'FAIL'} |")
    print(f"Worst loss {worst:+.1%}: {'PASS' if worst <= MAX_LOSS else 'FAIL'}")
    (RESULTS / "metrics-cost.json").write_text(json.dumps(
        {"rates": {f"{p}|{n}": r for (p, n), r in rates.items()}, "site": asdict(site)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
