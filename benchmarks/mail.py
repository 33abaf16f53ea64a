"""``python -m benchmarks.mail``: mails delivered per minute by the outbox worker.

Queues ``--messages`` mails in a fresh SQLite database, starts a real SMTP server
on loopback (aiosmtpd, in this process), runs ``flask deliver --loop`` as its own
process, as systemd would, and times it from start until the server has every
message and the outbox says each is sent. The figure includes the worker's start
up. Target: at least 1,000 a minute. Figures, not a test: nothing here fails a build."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from blogapp import create_app
from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from blogapp.models import OUTBOX_SENT, OutboxMessage
from tests.helpers_mail import Inbox, SMTPServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_MINUTE = 1000


def queue(database_url: str, count: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        for n in range(count):
            enqueue(key=f"bench.{n}", kind="bench", recipient=f"reader{n}@example.org",
                    subject=f"New comment {n}", text="Someone answered you.\n" * 20)
        db.session.commit()
        db.engine.dispose()


def sent(database_url: str) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OUTBOX_SENT)
        )
        db.engine.dispose()
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.sqlite"
        queue(database_url, args.messages)
        handler = Inbox()
        with SMTPServer(handler) as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
            env.update(
                DATABASE_URL=database_url, SECRET_KEY="bench", BLOGAPP_INSTANCE_PATH=tmp,
                BLOGAPP_MAIL_SERVER="127.0.0.1", BLOGAPP_MAIL_PORT=str(server.port),
                BLOGAPP_MAIL_BATCH_SIZE=str(args.batch), BLOGAPP_MAIL_POLL_SECONDS="0.05",
            )  # fmt: skip
            started = time.perf_counter()
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "blogapp", "deliver", "--loop"],
                env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                while len(handler.messages) < args.messages:
                    if worker.poll() is not None:
                        print("FAIL: the worker stopped early")
                        return 1
                    time.sleep(0.01)
                elapsed = time.perf_counter() - started
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
        duplicates = sum(n - 1 for n in Counter(handler.message_ids()).values())
        recorded = sent(database_url)
    per_minute = args.messages / elapsed * 60
    verdict = "PASS" if per_minute >= TARGET_PER_MINUTE and not duplicates else "FAIL"
    print(f"mail delivery: {args.messages} messages in {elapsed:.2f}s = {per_minute:,.0f}/min "
          f"(target >= {TARGET_PER_MINUTE:,}/min), duplicates {duplicates}, "
          f"recorded sent {recorded}  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
