"""``python -m benchmarks.instructions``: machine instructions per request of a kept
page's hit, its 304, and a bare Flask "hello", counted by valgrind's callgrind in
process. Unlike requests per second, the count does not move with the machine's load,
so a change to the fixed cost every reader pays can be judged on a busy machine.

Each kind runs in its own process under ``valgrind --tool=callgrind
--instr-atstart=no``: the app is built with the production settings gunicorn.conf.py
sets (request log on), the page is rendered and kept, 200 warm-up requests run, then
counting is switched on (``callgrind_control -i on``) for ``--requests`` WSGI calls
only. The demo site is the content (built once into a temporary folder), since a kept
page's cost does not depend on the site's size.

Needs valgrind (Debian: ``apt-get install valgrind``). Figures, not tests: the exit
status is 0 unless valgrind is missing."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LABELS = {"hello": "bare Flask hello", "304": "kept home page, 304", "hit": "kept home page, 200"}
KINDS = tuple(LABELS)


def child(kind: str, requests: int, database_url: str) -> None:
    """Runs under valgrind: the requests of one kind, counted between the two toggles."""
    os.environ.update(
        {
            "SECRET_KEY": "instructions-benchmark-key-not-for-production",
            "BLOGAPP_PRODUCTION": "true",
            "BLOGAPP_REQUEST_LOG": "true",
            "BLOGAPP_RATELIMIT_ENABLED": "false",
            "BLOGAPP_SITE_URL": "http://127.0.0.1:8000",
            "DATABASE_URL": database_url,
            "BLOGAPP_INSTANCE_PATH": str(Path(database_url.removeprefix("sqlite:///")).parent),
        }
    )
    if kind == "hello":
        from benchmarks.ceiling import create_ceiling_app

        app, path = create_ceiling_app(None), "/hello"
    else:
        from blogapp import create_app

        app, path = create_app(), "/"
    errors = open(os.devnull, "w")  # noqa: SIM115 - the request log's stream, for the run
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    def call(extra: dict) -> str:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": errors,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            **extra,
        }
        b"".join(app(environ, start_response))
        return answer["status"]

    call({})
    extra = {"HTTP_IF_NONE_MATCH": answer["headers"]["ETag"]} if kind == "304" else {}
    for _ in range(200):
        call(extra)
    expected = "304" if kind == "304" else "200"
    if not call(extra).startswith(expected):
        raise SystemExit(f"{kind}: answered {answer['status']}, not {expected}")
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, check=True)
    for _ in range(requests):
        call(extra)
    subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, check=True)


def count(kind: str, requests: int, database_url: str, folder: Path) -> int:
    """Instructions per request of ``kind``, from callgrind's totals."""
    out = folder / f"callgrind.{kind}.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--child",
            kind,
            "--requests",
            str(requests),
            "--database-url",
            database_url,
        ],
        check=True,
        capture_output=True,
    )
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1]) // requests
    raise SystemExit(f"{kind}: no totals in {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="counted requests (1000)")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.requests, args.database_url)
        return 0
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    from benchmarks.demo_site import build_demo_database

    with tempfile.TemporaryDirectory(prefix="blogapp-instructions-") as name:
        folder = Path(name)
        database_url = f"sqlite:///{folder / 'demo.sqlite'}"
        build_demo_database(database_url)
        counts = {kind: count(kind, args.requests, database_url, folder) for kind in KINDS}
    hello = counts["hello"]
    print(f"Instructions per request, in process ({args.requests:,} requests each):")
    for kind, label in LABELS.items():
        print(f"  {label:<22} {counts[kind]:>10,}  ({counts[kind] / hello:.2f}x hello)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
