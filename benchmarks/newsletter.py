"""``python -m benchmarks.newsletter``: one post mailed to ``--subscribers``
confirmed readers (default 10,000) by the outbox worker, with its rate and peak
memory.

A fresh SQLite database holds the subscribers and a post just published; a real
SMTP server on loopback (aiosmtpd, in this process) receives; ``flask deliver
--loop`` runs as its own process, as systemd would, and is timed from its start
(which includes queueing the post for everyone) until the server has every mail.
Its peak memory is the kernel's high-water mark (VmHWM). Targets: at least 1,000
mails a minute, under 120 MB. Figures, not a test: nothing here fails a build."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from benchmarks.smtp_sink import CountingSink
from blogapp import create_app
from blogapp.content import render_post
from blogapp.extensions import db
from blogapp.models import NewsletterStatus, NewsletterSubscriber, Post, utcnow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_MINUTE = 1000
TARGET_MB = 120
BENCH_KEY = "benchmark-newsletter-key-not-secret"


def prepare(database_url: str, subscribers: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": BENCH_KEY})
    with app.app_context():
        db.create_all()
        confirmed = utcnow() - timedelta(days=1)
        db.session.execute(
            NewsletterSubscriber.__table__.insert(),
            [
                dict(
                    email=f"reader{n}@example.org",
                    lists="both",
                    status=NewsletterStatus.CONFIRMED,
                    created_at=confirmed,
                    confirmed_at=confirmed,
                )
                for n in range(subscribers)
            ],
        )
        post = Post(
            title="A long op-ed",
            slug="a-long-op-ed",
            status="published",
            body="An argument, made at length.\n\n" * 60,
            published_at=utcnow(),
            source_line="First published in the benchmark.",
            excerpt="",
            content_format="markdown",
            language="en",
        )
        render_post(post)
        db.session.add(post)
        db.session.commit()
        db.engine.dispose()


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.sqlite"
        prepare(database_url, args.subscribers)
        with CountingSink() as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
            env.update(
                DATABASE_URL=database_url,
                SECRET_KEY=BENCH_KEY,
                BLOGAPP_INSTANCE_PATH=tmp,
                BLOGAPP_MAIL_SERVER="127.0.0.1",
                BLOGAPP_MAIL_PORT=str(server.port),
                BLOGAPP_MAIL_BATCH_SIZE=str(args.batch),
                BLOGAPP_MAIL_POLL_SECONDS="0.05",
                BLOGAPP_REQUEST_LOG="false",
            )
            started = time.perf_counter()
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "blogapp", "deliver", "--loop"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
            )
            try:
                while server.received < args.subscribers:
                    if worker.poll() is not None:
                        raise RuntimeError("the worker stopped early")
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                memory = peak_mb(worker.pid)
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=120)
        duplicates = sum(n - 1 for n in Counter(server.message_ids()).values())
    rate = args.subscribers / elapsed * 60
    passed = rate >= TARGET_PER_MINUTE and memory < TARGET_MB and not duplicates
    print(
        f"newsletter: {args.subscribers} mails in {elapsed:.1f}s = {rate:,.0f}/min "
        f"(target >= {TARGET_PER_MINUTE:,}/min), worker peak {memory:.0f} MB "
        f"(target < {TARGET_MB} MB), duplicates {duplicates}  "
        f"{'PASS' if passed else 'FAIL'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
