"""One JSON line per request, and the request id that ties a reader's error to it.

Each request gets an id: nginx's ``X-Request-ID`` when it sends one that looks like an
id (``$request_id`` is 32 hex digits; deploy/nginx-blogapp-proxy.conf sets it), else a
new random one. It is in ``g.request_id``, goes back in the response's
``X-Request-ID`` header, and error pages that no cache keeps show it
(``blogapp.errors``), so a reader can quote it and the operator find the line.

The line goes to the ``blogapp.request`` logger (``REQUEST_LOG``), on the server's
error stream: ``{"time", "id", "method", "path", "route", "status", "ms", "cache"}``,
plus ``"ip"`` only when the site keeps readers' addresses at all
(``COMMENT_IP_RETENTION_DAYS`` above 0). ``cache`` says how the page cache answered:
``hit`` (a kept page or its 304), ``render`` (a shared page rendered now) or ``none``
(a personal page, a file, a POST). Tracebacks of errors go to the app's log (Flask logs
them), never to the reader.

Observers of every request (``BlogFlask.observe_requests``), not request hooks: a page
answered from the page cache skips the after_request hooks (``page_cache.BlogFlask``) but
is logged, and carries its id, like any other.
gunicorn.conf.py turns gunicorn's own access log off: this line replaces it."""

from __future__ import annotations

import atexit
import logging
import random
import re
import sys
import threading
import time
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii

from flask import Flask, g
from flask.logging import wsgi_errors_stream

from blogapp.page_cache import KeptResponse

logger = logging.getLogger("blogapp.request")
HEADER = "X-Request-ID"
_ENVIRON_KEY = "HTTP_X_REQUEST_ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# A JSON string as ``json.dumps`` writes it with ensure_ascii: a hostile path cannot forge
# or break a line (quotes, control characters and every non-ASCII sign are escaped).
_text = encode_basestring_ascii
# The handler register_request_log puts on the logger: while it is the only one, a line
# is written straight to the server's error stream (see _write).
_own_handler: logging.Handler | None = None
_write_lock = threading.Lock()


class _Pending:
    """This worker's lines not yet written (guarded by ``_write_lock``)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.stream = None
        self.timer = None  # what writes them in REQUEST_LOG_FLUSH_SECONDS at the latest

    def write(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.lines:
            self.stream.write("".join(self.lines))
            self.stream.flush()
            self.lines, self.size = [], 0


_pending = _Pending()
# Schedules the write of held lines: ``schedule(seconds, write)`` returns a started
# timer with ``cancel()`` (a test puts its own here, to move time itself).
_schedule = threading.Timer


@atexit.register
def _write_pending() -> None:
    with _write_lock:
        _pending.write()


def request_id() -> str:
    """This request's id (``g.request_id``), or "" outside a request."""
    return g.get("request_id", "")


def _start(app: Flask, req, ctx_g) -> None:
    ctx_g.request_started = time.perf_counter()
    sent = req.environ.get(_ENVIRON_KEY, "")  # as headers.get(HEADER), without its raise
    # 32 hex digits, as nginx's $request_id. An id only has to be unique, not secret:
    # Python's generator (reseeded in each forked worker) spares a system call a request.
    ctx_g.request_id = sent if _WELL_FORMED.match(sent) else f"{random.getrandbits(128):032x}"


def _finish(app: Flask, req, ctx_g, response) -> None:
    identifier = ctx_g.get("request_id")
    if identifier:
        response.headers[HEADER] = identifier
    if not app.config.get("REQUEST_LOG"):
        return
    started = ctx_g.get("request_started")
    elapsed_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    text = line(response, elapsed_ms, app, req, ctx_g)
    if logger.handlers != [_own_handler] or not logger.isEnabledFor(logging.INFO):
        logger.info(text)  # someone gave the logger a handler of their own: it decides
        return
    _write(text, req, app, urgent=response.status_code >= 500)


def _write(text: str, req, app: Flask, urgent: bool) -> None:
    """The line on the server's error stream, as the logger's own handler writes it
    (the logging module's record, formatter and lock cost a quarter of a kept page's
    time, for a line that needs none of them).

    With ``REQUEST_LOG_BUFFER_BYTES`` (gunicorn.conf.py sets it), lines are held in the
    worker and written together, as nginx's ``access_log … buffer= flush=`` does: a
    write to the stream for every request cost a 304 a sixth of its rate. They are
    written once they fill the buffer, ``REQUEST_LOG_FLUSH_SECONDS`` after the first of
    them at the latest, and at once with a server error's line (so its request id is
    there to find)."""
    config = app.config
    limit = int(config["REQUEST_LOG_BUFFER_BYTES"])
    with _write_lock:  # the worker's threads share the stream: whole lines only
        pending = _pending
        pending.lines.append(text + "\n")
        pending.size += len(text) + 1
        pending.stream = req.environ.get("wsgi.errors") or sys.stderr
        if urgent or pending.size >= limit:
            pending.write()
        elif pending.timer is None:
            pending.timer = _schedule(float(config["REQUEST_LOG_FLUSH_SECONDS"]), _write_pending)
            pending.timer.daemon = True
            pending.timer.start()


def cache_state(response, ctx_g) -> str:
    if type(response) is KeptResponse:
        return "hit"
    return "render" if ctx_g.get("page_cache_key") is not None else "none"


def line(response, elapsed_ms: float, app: Flask, req, ctx_g) -> str:
    """The request's JSON line; Flask's objects are passed in, not looked up again.
    Written field by field (each text escaped as ``json`` does with ensure_ascii): the
    same line as ``json.dumps`` of the dict, for a third of the cost on every request."""
    moment = datetime.fromtimestamp(app.config["CLOCK"](), UTC)
    text = (
        f'{{"time":"{moment.isoformat(timespec="milliseconds")}"'
        f',"id":{_text(ctx_g.get("request_id", ""))}'
        f',"method":{_text(req.method)}'
        f',"path":{_text(req.path)}'
        f',"route":{_text(req.endpoint or "")}'
        f',"status":{int(response.status_code)}'
        f',"ms":{round(elapsed_ms, 1)!r}'
        f',"cache":"{cache_state(response, ctx_g)}"'
    )
    if int(app.config.get("COMMENT_IP_RETENTION_DAYS") or 0) > 0:
        text += f',"ip":{_text(req.remote_addr or "")}'
    return text + "}"


def register_request_log(app: Flask) -> None:
    global _own_handler
    if app.config.get("REQUEST_LOG") and not logger.handlers:
        # The server's error stream (wsgi.errors), looked up when each line is written.
        handler = logging.StreamHandler(wsgi_errors_stream)  # type: ignore[arg-type]
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        _own_handler = handler
        logger.setLevel(logging.INFO)
        logger.propagate = False  # one line, not a second copy through the app's logger
    app.observe_requests(start=_start, finish=_finish)
