"""The demo site, for the tests that drive a real server (the browser journeys, the
load and search-flood tests): a database holding the demo content and an admin who
logs in through the real form, and gunicorn serving it on a loopback port.

The database is built by the app's own ``demo`` and ``create-admin`` commands, so
these tests see what a person who follows the README sees. The benchmarks build
their own site (``benchmarks/demo_site.py``): tests never import the benchmarks."""

from __future__ import annotations

from pathlib import Path

from blogapp import create_app
from blogapp.extensions import db
from tests.servers import SECRET, Server, free_port, start_gunicorn

ADMIN_LOGIN = "proofadmin"
ADMIN_PASSWORD = "correct horse battery staple 42"
ADMIN_NAME = "Proof Admin"


def make_app(database_url: str, **config):
    """An in-process app on ``database_url``, for a test that adds rows of its own."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET, **config})


def build_demo_database(database_url: str) -> None:
    """The schema, the demo content and the admin ``ADMIN_LOGIN``/``ADMIN_PASSWORD``."""
    app = make_app(database_url)
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()  # also runs every feature's DDL hooks, as init-db's migrations do
    for args in (
        ["demo"],
        [
            "create-admin",
            "--username",
            ADMIN_LOGIN,
            "--email",
            f"{ADMIN_LOGIN}@example.org",
            "--display-name",
            ADMIN_NAME,
            "--password",
            ADMIN_PASSWORD,
        ],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


def start_demo_site(
    database_url: str, root: Path, *, workers: int = 2, host: str = "127.0.0.1", **settings: str
) -> Server:
    """gunicorn on ``database_url``, its absolute URLs naming ``host`` and its own port, with
    no rate limits (these tests click at machine speed); ``settings`` are more variables."""
    port = free_port()
    settings = {
        "BLOGAPP_SITE_URL": f"http://{host}:{port}",
        "BLOGAPP_RATELIMIT_ENABLED": "false",
        # Every request reads the content version: a page reloaded just after a moderator's
        # click, by the other worker, is never the one kept the second before (on a live
        # site that second is the design; here the journeys click faster than it).
        "BLOGAPP_CONTENT_VERSION_CACHE_SECONDS": "0",
        "BLOGAPP_WORKERS": str(workers),
        **settings,
    }
    server = start_gunicorn(database_url, root / "instance", port=port, **settings)
    server.wait_for_workers(workers)
    return server
