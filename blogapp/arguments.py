"""Numbers read from the query string, one way for every view.

``request.args.get(name, type=whole_number)`` reads a short run of decimal digits and
treats anything else (a sign, spaces, ``²``, thirty digits) as absent, so nonsense never
reaches a query as a number. ``page_arg()`` is the ``?page=N`` of the admin listings;
``check_page()`` the page number of a public listing's address (``/page/N/``)."""

from __future__ import annotations

from flask import abort, request

MAX_DIGITS = 11  # ids and page numbers are well below 10**11
MAX_LISTING_PAGE = 100_000
MAX_PAGE = 100_000  # past this a public page number is nonsense, not a page: 404


def whole_number(value: str) -> int:
    """A ``type=`` for ``request.args.get``: raises ``ValueError`` (the argument then
    reads as its default) unless ``value`` is 1 to ``MAX_DIGITS`` decimal digits."""
    if not (value.isdecimal() and len(value) <= MAX_DIGITS):
        raise ValueError(value)
    return int(value)


def check_page(page: int) -> int:
    if page < 1 or page > MAX_PAGE:
        abort(404)
    return page


def page_arg(name: str = "page") -> int:
    """A listing's page number: 1 when absent; 404 for 0, nonsense or past the limit."""
    if name not in request.args:
        return 1
    page = request.args.get(name, type=whole_number)
    if page is None or not 1 <= page <= MAX_LISTING_PAGE:
        abort(404)
    return page
