"""Test fixtures: a real database per test (a fresh SQLite file, or a real
PostgreSQL server when ``BLOGAPP_TEST_DATABASE_URL`` is set), the Flask test
client, the CLI runner and a SQL query counter.

In the shape of Flask's tutorial, ``app`` pushes no context: a test that works on the
database itself asks for ``ctx``, and each of its requests runs in a context of its own."""

from __future__ import annotations

import contextvars
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from blogapp import create_app
from blogapp.extensions import db, limiter

POSTGRES_URL = os.environ.get("BLOGAPP_TEST_DATABASE_URL", "")
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SITE_URL": "http://localhost",
    "SERVER_NAME": None,
    "COMMENT_MIN_SECONDS": 0,
    # Every cache is on, as in production: the page cache, the kept sidebar, threads
    # and neighbours. Writes reach readers through the content version's session hook.
}


def on_postgres() -> bool:
    return bool(POSTGRES_URL)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """Build the schema once per run: a template SQLite file each test copies,
    or the tables of the PostgreSQL test database."""
    if on_postgres():
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": POSTGRES_URL})
        with app.app_context():
            db.drop_all()
            db.create_all()
            db.engine.dispose()
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        # A checkpoint cannot run inside a transaction: AUTOCOMMIT opens none.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    return str(path)


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if on_postgres():
        return database_template
    target = tmp_path / "blogapp.sqlite"
    shutil.copyfile(database_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def app(database_url, app_config, tmp_path):
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            # What the mail worker and `flask mail dkim-key` write: the test's own.
            "MAIL_HEARTBEAT_FILE": str(tmp_path / "mail-worker.heartbeat"),
            "DKIM_KEY_FILE": str(tmp_path / "dkim.key"),
            **app_config,
        }
    )
    app.test_client_class = OwnContextClient
    with app.app_context():
        if on_postgres():
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
        limiter.reset()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(app: Flask):
    """An app context for a test that uses ``db.session``, the models or the factories
    itself; its requests still run in contexts of their own (``OwnContextClient``)."""
    with app.app_context() as context:
        yield context


class OwnContextClient(FlaskClient):
    """The test client, each request in an app context of its own, as in production: a
    test's own context (``ctx``) would otherwise be reused, sharing ``g`` (flask-login's
    current user) and the database session with the request. The test's own session
    commits first, as a request ends its own: the request sees what the test wrote, and the
    test's objects, expired, are read again with what the request wrote."""

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(ctx):
    """``with count_queries() as q: ...`` then ``q.count`` is the SQL statements run."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def login_as(client, ctx):
    """Put ``user`` in the test client's session as flask-login would after a login.

    For tests whose subject is not logging in; the login form has its own tests."""

    def log_in(user):
        import secrets

        if not user.session_token:
            user.session_token = secrets.token_hex(16)
            db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return log_in


@pytest.fixture
def clock(app):
    """The app's clock, moved on by the test (``clock.advance(minutes=5)``) instead of sleeping."""
    from tests.helpers_mail import Clock

    app.config["CLOCK"] = clock = Clock()
    return clock


@pytest.fixture
def inbox(app):
    """A real SMTP server (aiosmtpd) on loopback that the app sends its mail to."""
    from tests.helpers_mail import Inbox, SMTPServer

    handler = Inbox()
    with SMTPServer(handler) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        yield handler
