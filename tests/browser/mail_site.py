"""A site that sends mail, for the browser journeys that follow a message: gunicorn
serving the demo database with mail on, ``flask deliver --loop`` beside it, and a
real SMTP server on loopback (aiosmtpd) as everyone's inbox."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

from tests.browser.conftest import PROJECT_ROOT
from tests.helpers_mail import Inbox, SMTPServer, text_of, wait_until
from tests.sites import ADMIN_LOGIN, build_demo_database, start_demo_site

EDITOR_ADDRESS = f"{ADMIN_LOGIN}@example.org"


@contextmanager
def site_with_mail(root, **settings: str):
    """Yields the server (``.url``, ``.inbox``); ``settings`` are more BLOGAPP_ variables."""
    database_url = f"sqlite:///{root / 'blogapp.sqlite'}"
    build_demo_database(database_url)
    handler = Inbox()
    with SMTPServer(handler) as smtp:
        server = start_demo_site(
            database_url,
            root,
            workers=2,
            **{
                "BLOGAPP_MAIL_SERVER": "127.0.0.1",
                "BLOGAPP_MAIL_PORT": str(smtp.port),
                "BLOGAPP_COMMENT_NOTIFY_EMAILS": EDITOR_ADDRESS,
                "BLOGAPP_MAIL_POLL_SECONDS": "0.1",
                **{f"BLOGAPP_{name}": value for name, value in settings.items()},
            },
        )
        with open(root / "worker.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "blogapp", "deliver", "--loop"],
                env=server.env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                server.inbox = handler
                yield server
            finally:
                worker.terminate()
                worker.wait(timeout=30)
                server.stop()


def mail_to(inbox: Inbox, address: str, containing: str):
    """The mail to ``address`` whose text holds ``containing``, once the worker sent it."""
    found = []

    def arrived() -> bool:
        found[:] = [m for m in inbox.to(address) if containing in text_of(m)]
        return bool(found)

    wait_until(arrived)
    return found[-1]


def link_labelled(mail, label: str) -> str:
    for line in text_of(mail).splitlines():
        if line.startswith(f"{label}: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"no {label} link in:\n{text_of(mail)}")


def visitor(browser, server, width: int = 1280):
    """A fresh browser context (its own cookies: another person) and its page."""
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": width, "height": 900},
        locale="en-GB",
        timezone_id="UTC",
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()
