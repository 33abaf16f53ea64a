"""The request log's lines held in the worker (``REQUEST_LOG_BUFFER_BYTES``, which
gunicorn.conf.py sets) and written together: once they fill the buffer,
``REQUEST_LOG_FLUSH_SECONDS`` after the first of them at the latest, and at once with a
server error's line. The timer is the test's own, moved by the test."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import abort

from blogapp import request_log


class Timers:
    """Stands for ``threading.Timer``: records what is scheduled; ``fire()`` runs it as
    the timer would once its seconds have passed."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[float, object]] = []
        self.cancelled = 0

    def __call__(self, seconds, function):
        timers = self

        class Timer:
            daemon = False

            def start(self) -> None:
                timers.scheduled.append((seconds, function))

            def cancel(self) -> None:
                timers.cancelled += 1

        return Timer()

    def fire(self) -> None:
        _, function = self.scheduled.pop()
        function()


@pytest.fixture
def app_config():
    return {"REQUEST_LOG_BUFFER_BYTES": 16384, "REQUEST_LOG_FLUSH_SECONDS": 1.0}


@pytest.fixture
def logged(app, monkeypatch):
    """A client whose requests' lines go to a stream of the test's own (the server's
    error stream, ``wsgi.errors``), written by the log itself as under gunicorn (not
    through the handlers pytest puts on the logger); the timers; the lines' paths."""
    assert request_log._own_handler is not None
    # A logger of the test's own, outside the logging tree: pytest's capture handlers
    # reach every logger in it.
    alone = logging.Logger("blogapp.request", logging.INFO)
    alone.handlers = [request_log._own_handler]
    monkeypatch.setattr(request_log, "logger", alone)
    timers = Timers()
    monkeypatch.setattr(request_log, "_schedule", timers)
    stream = io.StringIO()

    @app.get("/fails-for-test")
    def fails():
        abort(500)

    client = app.test_client()

    def get(path: str):
        return client.get(path, errors_stream=stream)

    def paths() -> list[str]:
        return [json.loads(line)["path"] for line in stream.getvalue().splitlines()]

    yield get, timers, paths
    with request_log._write_lock:  # nothing held over to the next test
        request_log._pending.lines, request_log._pending.size = [], 0
        request_log._pending.timer = None


def test_held_lines_are_written_together_when_their_timer_fires(logged):
    get, timers, paths = logged
    get("/healthz")
    get("/no-such-page/")
    assert paths() == []
    assert [seconds for seconds, _ in timers.scheduled] == [1.0]  # one timer for both
    timers.fire()
    assert paths() == ["/healthz", "/no-such-page/"]
    get("/")
    assert len(timers.scheduled) == 1 and len(paths()) == 2  # a new timer for the next


def test_a_server_errors_line_is_written_at_once_with_the_held_ones(logged):
    get, timers, paths = logged
    get("/healthz")
    get("/fails-for-test")
    assert paths() == ["/healthz", "/fails-for-test"]
    assert timers.cancelled == 1  # nothing left for the timer to write


def test_lines_are_written_once_they_fill_the_buffer(app, logged):
    get, _, paths = logged
    get("/healthz")
    app.config["REQUEST_LOG_BUFFER_BYTES"] = 3 * request_log._pending.size
    get("/healthz")
    assert paths() == []
    get("/healthz")  # the third line fills it
    assert paths() == ["/healthz"] * 3


def test_with_no_buffer_each_line_is_written_at_once(app, logged):
    get, timers, paths = logged
    app.config["REQUEST_LOG_BUFFER_BYTES"] = 0
    get("/healthz")
    assert paths() == ["/healthz"] and timers.scheduled == []
