"""Post pages kept rendered, with holes for the comment form's two tokens.

A post page for a reader who is not logged in and has no pending comment of
their own differs from the next such reader's only by the form's CSRF token and
its signed "served at" time. Each worker keeps the page in the page store
(``blogapp.http_cache``) under the ETag a cookie-less reader of that URL gets
(content version, full URL), with those two values cut out, and fills them in
per request: the page then costs no rendering and no query beyond reading the
content version, and for a reader without cookies not even that
(``http_cache.FastAnswers``)."""

from __future__ import annotations

import re

from flask import current_app, g, request
from flask_wtf.csrf import generate_csrf

from blogapp.http_cache import PAGES_KEY

CSRF_HOLE = b"\x00csrf-token\x00"
FORM_HOLE = b"\x00form-token\x00"
_HOLES = re.compile(b"(" + re.escape(CSRF_HOLE) + b"|" + re.escape(FORM_HOLE) + b")")


def page_key(own_pending: list[int]) -> str | None:
    """Where this request's page is kept, or None when it is this reader's own."""
    if current_app.extensions.get(PAGES_KEY) is None or own_pending or request.method != "GET":
        return None
    if set(request.args) - {"cpage"}:  # ?replytocom= and the like are rendered each time
        return None
    return g.get("http_cache_shared_key")  # set for pages readers may share


def fill_holes(parts: tuple[bytes, ...], post_id: int) -> bytes:
    """The kept page (its text between the holes, and the holes) with this reader's
    CSRF token, which puts it in their session, and a fresh form time stamp: one
    copy of the page. Needs a request context."""
    if len(parts) == 1:  # comments closed: no form
        return parts[0]
    from blogapp.comments.forms import form_token_for

    values = {CSRF_HOLE: generate_csrf().encode(), FORM_HOLE: form_token_for(post_id).encode()}
    return b"".join([values.get(part, part) for part in parts])


def stored_page(key: str):
    """The kept page as a response, or None."""
    found = current_app.extensions[PAGES_KEY].get(key)
    if found is None or found[2] is None:
        return None
    body, mimetype, post_id = found
    return current_app.response_class(fill_holes(body, post_id), mimetype=mimetype)


def keep_page(key: str, html: str, post_id: int, form) -> None:
    """Keep ``html`` with its tokens cut out; pages where they are not found once each
    are not kept."""
    body = html.encode()
    if form is not None:
        csrf, token = generate_csrf().encode(), (form.form_token.data or "").encode()
        if not token or body.count(csrf) != 1 or body.count(token) != 1:
            return
        body = body.replace(csrf, CSRF_HOLE).replace(token, FORM_HOLE)
    parts = tuple(_HOLES.split(body))  # text, hole, text, hole, text
    current_app.extensions[PAGES_KEY].put(key, parts, "text/html", post_id, size=len(body))
