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


def in_process(url: str, batches: int = 60, per_batch: int = 100) -> None:
    """The same in one process, without the network: a kept home page through the Flask
    test client, counting off and on, in alternating batches; the fastest batch of
    each, which a busy machine slows least."""
    import time

    from blogapp import create_app

    apps = {
        name: create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "b" * 40,
                "REQUEST_LOG": False,
                "RATELIMIT_ENABLED": False,
                "METRICS_TOKEN_SHA256": token,
            }
        )
        for name, token in (("off", ""), ("on", hashlib.sha256(TOKEN.encode()).hexdigest()))
    }
    clients = {name: app.test_client() for name, app in apps.items()}
    for client in clients.values():
        for _ in range(50):
            client.get("/")
    best = {"off": float("inf"), "on": float("inf")}
    for batch in range(batches):
        for name in ("off", "on") if batch % 2 == 0 else ("on", "off"):
            client, started = clients[name], time.perf_counter()
            for _ in range(per_batch):
                client.get("/")
            best[name] = min(best[name], (time.perf_counter() - started) / per_batch)
    off, on = best["off"], best["on"]
    print(
        f"In process (Flask test client, kept home page, fastest of {batches} batches of "
        f"{per_batch}): {off * 1e6:.0f} µs off, {on * 1e6:.0f} µs on, {on / off - 1:+.1%} "
        f"({'PASS' if on / off - 1 <= MAX_LOSS else 'FAIL'})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.metrics_cost", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each page, each way")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    url, site = database(args)
    pages = {"home": "/", "category": site.category_path, "post (500 comments)": site.post_500_path}
    settings = WrkSettings(args.seconds, 2, 16)
    servers = {}
    try:
        for name, token in (("off", ""), ("on", hashlib.sha256(TOKEN.encode()).hexdigest())):
            port = free_port()
            env = app_environment(url, port, RESULTS / f"instance-metrics-{name}")
            env.update(
                BLOGAPP_METRICS_TOKEN_SHA256=token,
                BLOGAPP_REQUEST_LOG="false",
                PROMETHEUS_MULTIPROC_DIR=str(RESULTS / f"prometheus-{name}"),
            )
            servers[name] = start_gunicorn(env, port, RESULTS / f"gunicorn-metrics-{name}.log")
        rates: dict[tuple[str, str], list[float]] = {}
        for page, path in pages.items():
            for server in servers.values():
                run_wrk(server.url + path, WrkSettings(1.0, 2, 16))  # fill the page cache
            for round_number in range(args.rounds):
                # Each way first in turn: a machine that speeds up or slows down during
                # a round (other work on it) favours neither.
                order = list(servers.items())
                for name, server in order if round_number % 2 == 0 else order[::-1]:
                    result = run_wrk(server.url + path, settings)
                    rates.setdefault((page, name), []).append(result.rate)
    finally:
        for server in servers.values():
            server.stop()
    print(
        f"Kept pages, metrics off and on (median of {args.rounds} runs of "
        f"{args.seconds:g}s, wrk 2 threads, 16 connections):"
    )
    print(f"| page | off req/s | on req/s | loss | target ≤ {MAX_LOSS:.0%} |")
    print("|---|---|---|---|---|")
    losses = []
    for page in pages:
        off = statistics.median(rates[(page, "off")])
        on = statistics.median(rates[(page, "on")])
        losses.append(1 - on / off)
        print(
            f"| {page} | {off:,.0f} | {on:,.0f} | {losses[-1]:+.1%} | "
            f"{'PASS' if losses[-1] <= MAX_LOSS else 'FAIL'} |"
        )
    for (page, name), runs in rates.items():
        print(f"  {page}, metrics {name}: " + ", ".join(f"{r:,.0f}" for r in runs))
    print(f"Worst loss {max(losses):+.1%}: {'PASS' if max(losses) <= MAX_LOSS else 'FAIL'}")
    in_process(url)
    (RESULTS / "metrics-cost.json").write_text(
        json.dumps({"rates": {f"{p}|{n}": r for (p, n), r in rates.items()}, "site": asdict(site)})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
