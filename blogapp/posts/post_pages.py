"""Post pages kept rendered, with holes for the comment form's two tokens.

A post page for a reader who is not logged in and has no pending comment of
their own differs from the next such reader's only by the form's CSRF token and
its signed "served at" time. Each worker keeps the page per content version and
URL with those two values cut out, and fills them in per request: the page then
costs no rendering and no query beyond reading the content version."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_wtf.csrf import generate_csrf

from blogapp.page_cache import KeptValues

STORE_KEY = "blogapp.post_pages"
CSRF_HOLE = "\x00csrf-token\x00"
FORM_HOLE = "\x00form-token\x00"


def register_post_pages(app: Flask) -> None:
    size = int(app.config["PAGE_CACHE_BYTES"])
    if size > 0:
        app.extensions[STORE_KEY] = KeptValues(size)


def page_key(own_pending: list[int]) -> str | None:
    """Where this request's page is kept, or None when it is this reader's own."""
    store = current_app.extensions.get(STORE_KEY)
    computed = g.get("http_cache")  # (version, state, etag) for a page readers may share
    if store is None or computed is None or own_pending or request.method != "GET":
        return None
    if set(request.args) - {"cpage"}:  # ?replytocom= and the like are rendered each time
        return None
    return f"{computed[0]}\0{request.full_path}"


def stored_page(key: str, form_token_for) -> str | None:
    found = current_app.extensions[STORE_KEY].get(key)
    if found is None:
        return None
    html, post_id = found
    if CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, generate_csrf()).replace(FORM_HOLE, form_token_for(post_id))
    return html


def keep_page(key: str, html: str, post_id: int, form) -> None:
    """Keep ``html`` with its tokens cut out; pages where they are not found once each
    are not kept."""
    if form is not None:
        csrf, token = generate_csrf(), form.form_token.data or ""
        if not token or html.count(csrf) != 1 or html.count(token) != 1:
            return
        html = html.replace(csrf, CSRF_HOLE).replace(token, FORM_HOLE)
    current_app.extensions[STORE_KEY].put(key, (html, post_id), len(html))
