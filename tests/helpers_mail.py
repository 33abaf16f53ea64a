"""Shared pieces of the mail tests: a real SMTP server on loopback (aiosmtpd) that
keeps what it receives, a reader's comment sent through the real form, the links
found in a mail, and a clock the tests move by hand."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from flask import current_app
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.mail.worker import deliver_once
from blogapp.models import OutboxMessage
from tests.helpers import BROWSER_POST, open_form


class Inbox:
    """aiosmtpd's handler: every accepted message, in order. ``delay`` makes each
    MAIL FROM answer slowly, before the message is received, so a worker can be
    killed while a message is on its way and not yet accepted."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each message as it came over the wire
        self.recipients: list[list[str]] = []
        self.waiting_for_mail = threading.Event()
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        import asyncio

        if self.delay:
            self.waiting_for_mail.set()
            await asyncio.sleep(self.delay)
            self.waiting_for_mail.clear()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.raw.append(envelope.content)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, r in zip(self.messages, self.recipients, strict=True) if address in r]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    def __init__(self, handler: Inbox) -> None:
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class Clock:
    """The app's ``CLOCK`` (seconds since the epoch): real time until a test moves it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> float:
        return time.time() + self.offset.total_seconds()

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


def deliver() -> None:
    """One pass of the worker, as ``flask deliver`` runs it (with no transaction of
    the test's open); asserts nothing failed."""
    db.session.commit()
    report = deliver_once()
    assert report.errors == [], report.errors


def raw_header(raw: bytes, name: str) -> str:
    """A header's value as sent, unfolded (a fold is CRLF and whitespace, RFC 5322),
    without decoding anything: what a mail provider reads."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = re.sub(r"\r\n(?=[ \t])", "", head)
    [value] = [
        line.split(":", 1)[1].strip()
        for line in unfolded.split("\r\n")
        if line.split(":", 1)[0].lower() == name.lower()
    ]
    return value


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def links_in(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", text_of(message))


def path_of(url: str) -> str:
    return url.removeprefix(current_app.config["SITE_URL"])


def send_comment(
    client,
    post,
    body="Please look at this.",
    *,
    name="Dara",
    email="dara@example.org",
    parent=None,
    replies=False,
    new_comments=False,
):
    """A reader fills in the comment form of the post page and sends it."""
    form = open_form(client, post, **({"replytocom": parent.id} if parent else {}))
    form.update(author_name=name, author_email=email, body=body)
    if replies:
        form["notify_replies"] = "y"
    if new_comments:
        form["notify_post"] = "y"
    response = client.post(f"/comments/post/{post.id}", data=form, headers=BROWSER_POST)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def wait_until(condition, timeout: float = 30.0, describe=lambda: "") -> None:
    """Polls for something another process does (never for time to pass)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out {describe()}"
        time.sleep(0.02)


def start_worker(database_url: str, port: int, tmp_path, log, **settings) -> subprocess.Popen:
    """`flask deliver --loop` in a process of its own, writing to ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGAPP_")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="test-secret-key-for-the-mail-worker",
        BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        BLOGAPP_MAIL_SERVER="127.0.0.1",
        BLOGAPP_MAIL_PORT=str(port),
        BLOGAPP_MAIL_BATCH_SIZE="5",
        BLOGAPP_MAIL_POLL_SECONDS="0.05",
        BLOGAPP_REQUEST_LOG="false",
        **{f"BLOGAPP_{k}": str(v) for k, v in settings.items()},
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "blogapp", "deliver", "--loop"],
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def outbox_statuses(kind: str | None = None) -> Counter:
    """How many outbox rows (of ``kind``, or all) are in each status. The read ends
    here: no snapshot (nor, outside a request, the write lock) is held while a worker
    writes."""
    query = select(OutboxMessage.status)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    found = Counter(db.session.scalars(query))
    db.session.commit()
    return found


class WorkerRun:
    """Workers (``start_worker``) for one test, all writing to ``log_path``: the
    worker-kill tests' arrangement, for mail, the newsletter, the fediverse and
    Telegram. ``port`` is the SMTP server's, or any free one when nothing is mailed."""

    def __init__(self, database_url: str, port: int | None, tmp_path, **settings) -> None:
        self.database_url, self.port, self.tmp_path = database_url, port, tmp_path
        self.settings = settings
        self.log_path = tmp_path / "worker.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed on leaving the block)

    def __enter__(self) -> WorkerRun:
        return self

    def __exit__(self, *exc) -> None:
        self.log.close()

    def tail(self) -> str:
        return self.log_path.read_text()[-2000:]

    def _start(self, **settings) -> subprocess.Popen:
        port = self.port if self.port is not None else free_port()
        return start_worker(
            self.database_url, port, self.tmp_path, self.log, **self.settings, **settings
        )

    def _run_until(self, condition, stop: signal.Signals, timeout: float, **settings) -> int:
        """Start a worker, send it ``stop`` once ``condition()``; its exit code."""
        worker = self._start(**settings)
        try:
            wait_until(condition, describe=self.tail)
            worker.send_signal(stop)
            worker.wait(timeout=timeout)
        finally:
            if worker.poll() is None:
                worker.kill()
        return worker.returncode

    def kill_when(self, busy) -> None:
        """Start a worker and SIGKILL it once ``busy()`` (a send is on the wire)."""
        assert self._run_until(busy, signal.SIGKILL, 10) == -signal.SIGKILL

    def finish_when(self, done) -> None:
        """A new worker takes the dead one's claims over (with a lease of 0 at once, so
        the test waits for no clock) until ``done()``, then stops cleanly on SIGTERM
        (it finishes its batch)."""
        code = self._run_until(done, signal.SIGTERM, 20, MAIL_LEASE_SECONDS=0)
        assert code == 0, self.tail()
