"""Error pages in the site's design that show no internals.

The 404 page has the whole layout (navigation, search, sidebar), built from the
same per-worker sidebar as every listing, so it costs no extra queries; the
others are plain, since the database may be why they happened."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Check what was sent and try again."),
    403: ("Forbidden", "You do not have permission to do that."),
    404: ("Page not found", "Nothing lives at this address. It may have moved, or never existed."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    414: ("Address too long", "The address of this request is longer than this site accepts."),
    429: ("Too many requests", "You are doing that too often. Please wait a minute and try again."),
    500: ("Something went wrong", "The error has been logged. Please try again in a moment."),
    503: ("Busy", "The site is busy right now. Please try again in a few seconds."),
}


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, (f"Error {code}", "The request could not be completed."))
    context = {"code": code, "title": title, "message": message or default}
    if code == 404:
        try:
            return render_template("errors/not_found.html", **context), code
        except SQLAlchemyError:
            # The navigation needs the database; a dead link must not become a 500.
            log.exception("404 page without navigation: the database did not answer")
    return render_template("errors/error.html", **context), code


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again.",
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
