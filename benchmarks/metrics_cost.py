"""``python -m benchmarks.metrics_cost``: what counting Prometheus metrics costs the
kept-page rows (home, category, a post with 500 comments: pages answered from the
page cache). The same gunicorn (committed gunicorn.conf.py, multiprocess metrics) is
run twice on one database, without and with ``METRICS_TOKEN_SHA256`` (counting is on
only when a token is set).

Made to give a verdict on a shared, busy machine, where one wrk figure says more about
the neighbours than about us:

- short runs, interleaved: each round runs both servers back to back, in the order
  off-on then on-off (ABBA), so a machine that speeds up or slows down favours neither;
- each round is a pair, and the figure is the **median of the pairs' ratios**, not a
  ratio of two medians taken at different moments;
- besides requests per second, the CPU time the workers spent per request (their
  utime + stime from /proc, before and after each run);
- then, in this process, the **verdict**: the CPU time spent inside the counting hook
  over what the rest of the same kept-page requests cost, both read with the thread's
  CPU clock at the same moments, so that a busy machine inflates both alike
  (``in_process``). PASS when it is 5% or less; the exit status says the same.

On two cores shared with other work (load average 10 and more), the same server's
requests per second and even its CPU time per request move by tens of per cent from one
run to the next; the table shows each run so the spread is visible, and the load
average before and after.

``--control`` runs the same with metrics off on both servers: what the table shows then
is the machine's noise alone.

Uses ``bench-results/bench.sqlite`` from ``python -m benchmarks`` when it exists
(``--reuse-db``), else builds a smaller site (``--posts``, ``--comments``)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.bigdb import BigSite, Scale, build
from benchmarks.server import PROJECT_ROOT, Gunicorn, app_environment, free_port, start_gunicorn
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


def in_process(url: str, batches: int = 40, per_batch: int = 100) -> tuple[float, float]:
    """The same in one process, without the network, a kept home page through the Flask
    test client, counting into memory-mapped files as under gunicorn:

    1. counting off and on, in alternating batches (ABBA): the median of the pairs'
       ratios of CPU time per request (noisy on a busy machine: a few per cent either
       way with nothing changed);
    2. the share: the CPU time spent inside the counting hook itself, over what the rest
       of the same requests cost, both read with the thread's CPU clock around each call,
       at the same moments, so a busy machine inflates both alike. A kept page under
       gunicorn costs more than through the test client (HTTP parsing, the socket), so
       this share is an upper bound of what counting takes from the kept-page rows.

    Returns (ABBA increase, share)."""
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
    ratios, per_request = [], {"off": [], "on": []}
    for batch in range(batches):
        spent = {}
        for name in ("off", "on") if batch % 2 == 0 else ("on", "off"):
            client, started = clients[name], time.thread_time()
            for _ in range(per_batch):
                client.get("/")
            spent[name] = (time.thread_time() - started) / per_batch
            per_request[name].append(spent[name])
        ratios.append(spent["on"] / spent["off"])
    increase = statistics.median(ratios) - 1
    off, on = statistics.median(per_request["off"]), statistics.median(per_request["on"])
    print(
        f"In process (Flask test client, kept home page, {batches} ABBA batches of "
        f"{per_batch}): CPU per request {off * 1e6:.0f} µs off, {on * 1e6:.0f} µs on; "
        f"median of paired ratios {increase:+.1%} (a busy machine's noise is about as large)"
    )

    from blogapp.metrics import counting

    inside = [0.0]

    def timed(app, req, ctx_g, response):
        started = time.thread_time()
        counting.count_request(app, req, ctx_g, response)
        inside[0] += time.thread_time() - started

    app = apps["on"]
    app._on_finish = [timed if f is counting.count_request else f for f in app._on_finish]
    shares = []
    for _ in range(batches // 2):
        inside[0], started = 0.0, time.thread_time()
        for _ in range(per_batch):
            clients["on"].get("/")
        whole = time.thread_time() - started
        shares.append(inside[0] / (whole - inside[0]))
    share = statistics.median(shares)
    print(
        f"The counting hook itself: {inside[0] / per_batch * 1e6:.1f} µs CPU per kept page "
        f"(last batch), median share of the rest of the request {share:.1%} "
        f"({'PASS' if share <= MAX_LOSS else 'FAIL'}: an upper bound of the kept-page loss)"
    )
    return increase, share


def workers_cpu_seconds(server: Gunicorn) -> float:
    """User and system CPU time of the server's workers so far (/proc, clock ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


@dataclass
class Run:
    rate: float  # requests per second
    cpu_us: float  # workers' CPU time per request, µs


def measure(server: Gunicorn, url: str, settings: WrkSettings) -> Run:
    before = workers_cpu_seconds(server)
    result = run_wrk(url, settings)
    spent = workers_cpu_seconds(server) - before
    bad = sum(n for status, n in result.statuses.items() if status != 200)
    if bad or result.socket_errors or not result.requests:
        raise RuntimeError(f"{url}: {result.statuses} {result.errors}")
    return Run(result.rate, spent / result.requests * 1e6)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.metrics_cost", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=8, help="off/on pairs for each page")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--reuse-db", action="store_true")
    parser.add_argument(
        "--control",
        action="store_true",
        help="both servers without metrics: the spread the machine gives with nothing changed",
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    # The in-process part counts as gunicorn's workers do, into memory-mapped files (read
    # when blogapp.metrics.instruments is first imported, which nothing has done yet).
    in_process_metrics = RESULTS / "prometheus-in-process"
    shutil.rmtree(in_process_metrics, ignore_errors=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(in_process_metrics)
    url, site = database(args)
    pages = {"home": "/", "category": site.category_path, "post (500 comments)": site.post_500_path}
    settings = WrkSettings(args.seconds, 2, 16)
    servers: dict[str, Gunicorn] = {}
    load_before = load()
    runs: dict[tuple[str, str], list[Run]] = {}
    try:
        on_token = "" if args.control else hashlib.sha256(TOKEN.encode()).hexdigest()
        for name, token in (("off", ""), ("on", on_token)):
            port = free_port()
            env = app_environment(url, port, RESULTS / f"instance-metrics-{name}")
            env.update(
                BLOGAPP_METRICS_TOKEN_SHA256=token,
                BLOGAPP_REQUEST_LOG="false",
                PROMETHEUS_MULTIPROC_DIR=str(RESULTS / f"prometheus-{name}"),
            )
            servers[name] = start_gunicorn(env, port, RESULTS / f"gunicorn-metrics-{name}.log")
        for page, path in pages.items():
            for server in servers.values():
                run_wrk(server.url + path, WrkSettings(1.0, 2, 16))  # fill the page cache
            for round_number in range(args.rounds):
                order = ("off", "on") if round_number % 2 == 0 else ("on", "off")
                for name in order:
                    server = servers[name]
                    runs.setdefault((page, name), []).append(
                        measure(server, server.url + path, settings)
                    )
    finally:
        for server in servers.values():
            server.stop()
    load_after = load()
    print(
        f"Kept pages, metrics off and {'off (--control)' if args.control else 'on'}: "
        f"{args.rounds} interleaved pairs (ABBA) of "
        f"{args.seconds:g}s wrk runs (2 threads, 16 connections) per page; medians of the "
        f"pairs' ratios.\nBefore: {load_before}. After: {load_after}."
    )
    print(
        f"| page | off req/s | on req/s | throughput loss | off CPU µs/req | on CPU µs/req "
        f"| CPU cost | target ≤ {MAX_LOSS:.0%} |"
    )
    print("|---|---|---|---|---|---|---|---|")
    costs = []
    for page in pages:
        off, on = runs[(page, "off")], runs[(page, "on")]
        loss = 1 - statistics.median(b.rate / a.rate for a, b in zip(off, on, strict=True))
        cost = statistics.median(b.cpu_us / a.cpu_us for a, b in zip(off, on, strict=True)) - 1
        costs.append(cost)
        print(
            f"| {page} | {statistics.median(r.rate for r in off):,.0f} "
            f"| {statistics.median(r.rate for r in on):,.0f} | {loss:+.1%} "
            f"| {statistics.median(r.cpu_us for r in off):,.0f} "
            f"| {statistics.median(r.cpu_us for r in on):,.0f} | {cost:+.1%} "
            f"| {'within' if cost <= MAX_LOSS else 'over'} |"
        )
    for (page, name), page_runs in runs.items():
        print(
            f"  {page}, metrics {'off (control)' if args.control and name == 'on' else name}: "
            + ", ".join(f"{r.rate:,.0f}/s {r.cpu_us:,.0f}µs" for r in page_runs)
        )
    print(
        f"Worst CPU cost per kept page {max(costs):+.1%} "
        f"({'within' if max(costs) <= MAX_LOSS else 'over'} {MAX_LOSS:.0%}; on a busy machine "
        "both figures move by more than that with nothing changed: see the spread above)"
    )
    increase, share = in_process(url)
    print(
        f"Verdict, on the counting hook's share of a kept page's CPU ({share:.1%}, an upper "
        f"bound measured where load cancels out): {'PASS' if share <= MAX_LOSS else 'FAIL'}"
    )
    (RESULTS / "metrics-cost.json").write_text(
        json.dumps(
            {
                "runs": {f"{p}|{n}": [asdict(r) for r in rs] for (p, n), rs in runs.items()},
                "load": [load_before, load_after],
                "in_process": {"abba_increase": increase, "hook_share": share},
                "site": asdict(site),
            }
        )
    )
    return 0 if share <= MAX_LOSS else 1


if __name__ == "__main__":
    sys.exit(main())
