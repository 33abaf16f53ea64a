"""One log line per request: method, path, status and time taken.

Under gunicorn its own access log (gunicorn.conf.py) already writes this line
to stdout, so gunicorn.conf.py turns this one off; other servers get it on
the ``blogapp.request`` logger. Tracebacks of errors go to the app's log
(Flask logs them), never to the reader."""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, g, request, request_finished, request_started
from flask.logging import wsgi_errors_stream

logger = logging.getLogger("blogapp.request")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable(path: str) -> str:
    """A hostile path must not forge or break log lines."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def _start_timer(sender, **extra) -> None:
    g.request_started = time.perf_counter()


def _log_request(sender, response, **extra) -> None:
    started = g.get("request_started")
    elapsed_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    log_line(request.method, request.path, response.status_code, elapsed_ms)


def log_line(method: str, path: str, status: int, elapsed_ms: float) -> None:
    logger.info("%s %s %s %.1fms", method, _printable(path), status, elapsed_ms)


def register_request_log(app: Flask) -> None:
    if not app.config.get("REQUEST_LOG"):
        return
    if not logger.handlers:
        # The server's error stream (wsgi.errors), looked up when each line is written.
        handler = logging.StreamHandler(wsgi_errors_stream)  # type: ignore[arg-type]
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Signals, not request hooks: a page answered from the page cache skips the
    # after_request hooks (``page_cache.BlogFlask``) but is logged like any other.
    request_started.connect(_start_timer, app)
    request_finished.connect(_log_request, app)
