"""Error pages in the site's design that show no internals.

The 404 page has the whole layout (navigation, search, sidebar), built from the
same per-worker sidebar as every listing, so it costs no extra queries; the
others are plain, since the database may be why they happened.

A 5xx page, which no cache keeps, shows the request id (``blogapp.request_log``), for
the reader to quote. A 4xx page never does: an anonymous reader's is a shared page, the
same bytes for everyone (``blogapp.page_cache``), and a refusal must read the same
whatever caused it (a throttled login, right password or wrong); its id is only in the
``X-Request-ID`` header.

With ``ERROR_REPORT_DSN`` set, unhandled errors are also sent, scrubbed of personal
data and tagged with that id, to the operator's Sentry-compatible server
(``blogapp.error_reports``, imported only then)."""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from blogapp.request_log import request_id

log = logging.getLogger(__name__)

# Lazy: each page is translated when it is rendered, in that page's language.
MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Check what was sent and try again."),
    ),
    403: (_l("Forbidden"), _l("You do not have permission to do that.")),
    404: (
        _l("Page not found"),
        _l("Nothing lives at this address. It may have moved, or never existed."),
    ),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    414: (
        _l("Address too long"),
        _l("The address of this request is longer than this site accepts."),
    ),
    429: (
        _l("Too many requests"),
        _l("You are doing that too often. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The error has been logged. Please try again in a moment."),
    ),
    503: (_l("Busy"), _l("The site is busy right now. Please try again in a few seconds.")),
}


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(
        code, (_l("Error %(code)s", code=code), _l("The request could not be completed."))
    )
    context = {
        "code": code,
        "title": title,
        "message": message or default,
        "request_id": request_id() if code >= 500 and has_request_context() else "",
    }
    if code == 404:
        try:
            return render_template("errors/not_found.html", **context), code
        except SQLAlchemyError:
            # The navigation needs the database; a dead link must not become a 500.
            log.exception("404 page without navigation: the database did not answer")
    return render_template("errors/error.html", **context), code


def register_error_pages(app: Flask) -> None:
    if app.config.get("ERROR_REPORT_DSN"):
        from blogapp import error_reports  # loads sentry_sdk: only on a site that reports

        error_reports.start(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            _l(
                "This form has expired or did not come from this site. Go back, reload the page "
                "and send it again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if error.code == 405 and getattr(error, "valid_methods", None):
            body, code = response
            return body, code, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        # Flask has already logged the traceback; the reader sees none of it.
        return render_error(500)
