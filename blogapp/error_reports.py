"""Error reports to the operator's own Sentry-compatible server (GlitchTip), off unless
``ERROR_REPORT_DSN`` is set: only then is this module, and with it sentry_sdk, imported
(``blogapp.errors``), so a site without it pays no memory in its workers.

Our readers criticise a government; an error report must not become a copy of who
they are or what they wrote. So the SDK is told to gather nothing about the person
(``data_collection`` all off, the successor of ``send_default_pii=False``: no user, cookies,
headers, bodies, query strings or local variables; no breadcrumbs,
none of the integrations that watch requests, SQL or HTTP calls), the request is never
attached (no address, cookie, header, form or query string: a reader's search is in
the query string), and ``scrub`` keeps only the event's known parts and blanks what
an exception's text may still carry: e-mail addresses, IP addresses, and the bound
parameters SQLAlchemy prints with a failed statement. Each event is tagged with the
request id the 500 page shows (``blogapp.request_log``) and the route, so a reader's
quoted id finds it.

The DSN is set by the operator, never by a reader, and points at their own server, so
the SDK's own HTTP client sends it, not ``blogapp.fediverse.net`` (whose checks guard
against addresses others choose); it goes through ``OUTGOING_PROXY`` when one is
set."""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

import sentry_sdk
from flask import Flask, got_request_exception, has_request_context, request
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.utils import event_from_exception

from blogapp.request_log import request_id

# What an event may carry to the server; everything else (request, user, breadcrumbs,
# extra, modules, spans) is dropped whatever put it there.
KEPT_PARTS = frozenset(
    {
        "event_id",
        "timestamp",
        "platform",
        "level",
        "logger",
        "exception",
        "threads",
        "message",
        "logentry",
        "tags",
        "contexts",
        "environment",
        "release",
        "dist",
        "server_name",
        "sdk",
        "transaction",
        "fingerprint",
        "errors",
    }
)
REMOVED = "[removed]"
_EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]]+@[^\s@<>\"'(),;:\[\]]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Za-z:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Za-z:])")
# SQLAlchemy's "[parameters: ...]" (the values of a failed INSERT: a comment, an address).
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)


def start(app: Flask) -> None:
    """Start the SDK for this process and report this app's unhandled errors."""
    proxy = app.config.get("OUTGOING_PROXY") or None
    sentry_sdk.init(
        dsn=app.config["ERROR_REPORT_DSN"],
        environment=app.config.get("ERROR_REPORT_ENVIRONMENT") or "production",
        # Nothing about the person: the successor of send_default_pii=False (which this
        # SDK deprecates), with every category turned off, variables included.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        max_breadcrumbs=0,
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
            # An error logged anywhere (the mail worker's failures too) is an event; the
            # logged lines before it are not kept (no breadcrumbs).
            LoggingIntegration(level=None, event_level=logging.ERROR),
            DedupeIntegration(),  # Flask logs the error we have just reported
            ExcepthookIntegration(),  # a `flask` command that crashes
            AtexitIntegration(),  # send what is queued before the process ends
        ],
        before_send=scrub,
        http_proxy=proxy,
        https_proxy=proxy,
    )
    got_request_exception.connect(report_unhandled, app)


def report_unhandled(sender: Flask, exception: BaseException, **extra: Any) -> None:
    """Sent by Flask before it renders the 500 page; the page is ours, unchanged. Marked
    unhandled (as sentry-sdk's own Flask integration does), which we do not load: it
    reads the request, its user and its headers."""
    event, hint = event_from_exception(
        exception,
        client_options=sentry_sdk.get_client().options,
        mechanism={"type": "flask", "handled": False},
    )
    sentry_sdk.capture_event(event, hint=hint)


def scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """The event as it may leave the server (``before_send``): known parts only, no
    frame's variables, addresses blanked, and the request id and route as tags."""
    event = {key: value for key, value in event.items() if key in KEPT_PARTS}
    for part in ("exception", "threads"):
        for value in (event.get(part) or {}).get("values") or ():
            for frame in (value.get("stacktrace") or {}).get("frames") or ():
                frame.pop("vars", None)
    event = _scrubbed(event)
    if has_request_context():
        tags = event.setdefault("tags", {})
        tags["request_id"] = request_id()
        tags["route"] = request.endpoint or ""
        event["transaction"] = request.endpoint or ""
    return event


def scrub_text(text: str) -> str:
    """``text`` without e-mail or IP addresses, or SQL statement parameters."""
    text = _SQL_PARAMETERS.sub("[parameters: " + REMOVED + "]", text)
    text = _EMAIL.sub(REMOVED, text)
    text = _IPV4.sub(_if_address, text)
    return _IPV6.sub(_if_address, text)


def _if_address(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group())
    except ValueError:
        return match.group()  # not an address: a time such as 12:30:45
    return REMOVED


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value
