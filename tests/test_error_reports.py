"""Error reports to a Sentry-compatible server (blogapp.error_reports): a real SDK
sending real envelopes to a server on loopback (tests/sentry_stub.py), which the tests
read as the operator's GlitchTip would. What a reader sent never arrives; the request
id the 500 page shows does."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import sentry_sdk
from flask import request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.exc import IntegrityError

from blogapp.error_reports import REMOVED, scrub_text
from blogapp.extensions import csrf
from tests.sentry_stub import SentryStub

EMAIL = "reader.dara@example.org"
IP = "203.0.113.77"
IPV6 = "2001:db8::7:77"
COOKIE = "planted-cookie-value-5a1b"
TOKEN = "planted-bearer-token-9c2d"
SEARCH = "zebrasearchterm"
COMMENT = "the minister lied about the dam"
PLANTED = (EMAIL, IP, IPV6, COOKIE, TOKEN, SEARCH, COMMENT)


@pytest.fixture
def stub():
    with SentryStub() as server:
        yield server
    # The SDK is one per process: the next test's app starts without it.
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def app_config(stub):
    return {"ERROR_REPORT_DSN": stub.dsn(), "PROPAGATE_EXCEPTIONS": False}


def add_failing_route(app):
    @csrf.exempt
    def comment_boom():
        comment = request.form["body"]  # a local variable the report must not carry
        logging.getLogger("blogapp.test").info("storing a comment by %s", EMAIL)
        raise RuntimeError(f"could not store {len(comment)} characters from {EMAIL} at {IP} {IPV6}")

    app.add_url_rule("/comment-boom-for-test", view_func=comment_boom, methods=["POST"])


def test_an_unhandled_error_arrives_tagged_with_the_request_id_and_without_personal_data(
    app, client, stub
):
    add_failing_route(app)
    response = client.post(
        f"/comment-boom-for-test?s={SEARCH}",
        data={"body": COMMENT, "email": EMAIL},
        headers={
            "Cookie": f"session={COOKIE}",
            "Authorization": f"Bearer {TOKEN}",
            "X-Forwarded-For": IP,
        },
        environ_base={"REMOTE_ADDR": IP},
    )
    # The reader still sees our page, with the id to quote.
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 500
    assert f"quote the request id {request_id}" in response.get_data(as_text=True)

    sentry_sdk.get_client().flush(timeout=10)
    events = [event for envelope in stub.envelopes for event in envelope.events()]
    # One event: Flask's own log line of the same error is not a second one.
    assert len(events) == 1, events
    (event,) = events
    envelope = next(e for e in stub.envelopes if e.events())
    assert envelope.path == "/api/42/envelope/"
    assert "sentry_key=public-key" in envelope.headers["X-Sentry-Auth"]

    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["mechanism"]["handled"] is False
    blank = REMOVED
    assert exception["value"] == f"could not store 31 characters from {blank} at {blank} {blank}"
    frames = exception["stacktrace"]["frames"]
    assert frames[-1]["function"] == "comment_boom"
    assert all("vars" not in frame for frame in frames)
    assert event["tags"]["request_id"] == request_id
    assert event["tags"]["route"] == "comment_boom"
    assert not {"request", "user", "breadcrumbs", "extra"} & event.keys()

    sent = b"".join(envelope.raw for envelope in stub.envelopes).decode()
    for planted in PLANTED:
        assert planted not in sent, planted


def test_an_error_the_site_logs_is_reported_too(app, client, stub):
    with app.test_request_context("/"):
        try:
            raise ValueError(f"delivery to {EMAIL} failed")
        except ValueError:
            logging.getLogger("blogapp.mail.worker").exception("delivery failed for %s", EMAIL)
    sentry_sdk.get_client().flush(timeout=10)
    (event,) = [event for envelope in stub.envelopes for event in envelope.events()]
    assert event["exception"]["values"][0]["value"] == f"delivery to {REMOVED} failed"
    assert EMAIL not in json.dumps(event)


def test_reports_go_through_the_outgoing_proxy(app_config, database_url, tmp_path, stub):
    from blogapp import create_app
    from tests.conftest import BASE_CONFIG

    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PROPAGATE_EXCEPTIONS": False,
            # A name nobody resolves: only the proxy can take the report there.
            "ERROR_REPORT_DSN": stub.dsn(host="glitchtip.invalid"),
            "OUTGOING_PROXY": f"http://127.0.0.1:{stub.port}",
        }
    )
    add_failing_route(app)
    assert app.test_client().post("/comment-boom-for-test", data={"body": "x"}).status_code == 500
    sentry_sdk.get_client().flush(timeout=10)
    assert stub.envelopes  # each one through the proxy
    assert {e.path for e in stub.envelopes} == {"http://glitchtip.invalid/api/42/envelope/"}
    (envelope,) = [e for e in stub.envelopes if e.events()]
    assert envelope.events()[0]["exception"]["values"][0]["type"] == "RuntimeError"


def test_a_failed_statement_s_values_are_blanked():
    """SQLAlchemy prints the bound values of a failed statement: a comment, an address."""
    engine = create_engine("sqlite://")
    readers = Table("readers", MetaData(), Column("id", Integer, primary_key=True))
    readers.append_column(Column("email", String, unique=True))
    readers.metadata.create_all(engine)
    with engine.begin() as conn, pytest.raises(IntegrityError) as failed:
        for _ in range(2):
            conn.execute(insert(readers).values(email=EMAIL, id=None))
    message = str(failed.value)
    assert EMAIL in message
    scrubbed = scrub_text(message)
    assert EMAIL not in scrubbed and f"[parameters: {REMOVED}]" in scrubbed
    assert "INSERT INTO readers" in scrubbed  # the statement itself stays


def test_scrubbing_keeps_what_is_not_an_address():
    assert scrub_text("at 12:30:45 in v2.1.3, 1 of 3") == "at 12:30:45 in v2.1.3, 1 of 3"
    assert scrub_text(f"from {IP} and [{IPV6}]") == f"from {REMOVED} and [{REMOVED}]"
    assert scrub_text("::1 and fe80::1") == f"{REMOVED} and {REMOVED}"


@pytest.mark.parametrize("dsn, loaded", [("", False), ("http://k@127.0.0.1:9/1", True)])
def test_the_sdk_is_loaded_only_when_a_dsn_is_set(tmp_path, dsn, loaded):
    """Worker memory: a site that reports nothing never imports sentry_sdk."""
    script = (
        "import sys\n"
        "from blogapp import create_app\n"
        f"create_app({{'SECRET_KEY': 's' * 40, 'ERROR_REPORT_DSN': {dsn!r},"
        f" 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'x.sqlite'}'}})\n"
        "print('sentry_sdk' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == str(loaded)


def test_a_backup_names_the_dsn_as_a_secret_and_keeps_its_value_out(tmp_path):
    """It holds the key that lets anyone post events to the operator's project."""
    from flask import Flask

    from blogapp.backup.settings import settings_without_secrets

    (tmp_path / "config.py").write_text(
        "ERROR_REPORT_DSN = 'https://key-abc@glitchtip.example.org/1'\n"
        "ERROR_REPORT_ENVIRONMENT = 'staging'\n"
    )
    kept, left_out = settings_without_secrets(Flask("site", instance_path=str(tmp_path)))
    assert left_out == ["ERROR_REPORT_DSN"]
    assert kept == {"ERROR_REPORT_ENVIRONMENT": "staging"}
