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
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from benchmarks.smtp_sink import CountingSink
from blogapp import create_app
from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from blogapp.models import OutboxMessage, OutboxStatus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_MINUTE = 1000
SECRET_KEY = "bench-mail-secret-key-0123456789"  # servers refuse short keys


def queue(database_url: str, count: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        db.create_all()
        for n in range(count):
            enqueue(
                key=f"bench.{n}",
                kind="bench",
                recipient=f"reader{n}@example.org",
                subject=f"New comment {n}",
                text="Someone answered you.\n" * 20,
            )
        db.session.commit()
        db.engine.dispose()


def sent(database_url: str) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        )
        db.engine.dispose()
    return count


@dataclass
class MailResult:
    messages: int
    seconds: float
    duplicates: int
    recorded_sent: int

    @property
    def per_minute(self) -> float:
        return self.messages / self.seconds * 60

    @property
    def passed(self) -> bool:
        return (
            self.per_minute >= TARGET_PER_MINUTE
            and not self.duplicates
            and self.recorded_sent == self.messages
        )


def measure(messages: int = 2000, batch: int = 50) -> MailResult:
    """One run; for ``benchmarks/run.py`` to add as a row of its table."""
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.sqlite"
        queue(database_url, messages)
        with CountingSink() as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
            env.update(
                DATABASE_URL=database_url,
                SECRET_KEY=SECRET_KEY,
                BLOGAPP_INSTANCE_PATH=tmp,
                BLOGAPP_MAIL_SERVER="127.0.0.1",
                BLOGAPP_MAIL_PORT=str(server.port),
                BLOGAPP_MAIL_BATCH_SIZE=str(batch),
                BLOGAPP_MAIL_POLL_SECONDS="0.05",
            )
            started = time.perf_counter()
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "blogapp", "deliver", "--loop"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
            )
            try:
                while server.received < messages:
                    if worker.poll() is not None:
                        raise RuntimeError("the worker stopped early")
                    time.sleep(0.01)
                elapsed = time.perf_counter() - started
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
        duplicates = sum(n - 1 for n in Counter(server.message_ids()).values())
        return MailResult(messages, elapsed, duplicates, sent(database_url))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    result = measure(args.messages, args.batch)
    verdict = "PASS" if result.passed else "FAIL"
    print(
        f"mail delivery: {result.messages} messages in {result.seconds:.2f}s = "
        f"{result.per_minute:,.0f}/min (target >= {TARGET_PER_MINUTE:,}/min), "
        f"duplicates {result.duplicates}, recorded sent {result.recorded_sent}  {verdict}"
    )
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
