"""Helpers shared by test modules: reading forms out of pages and sending them as a
browser would (a browser names the page's origin on every POST), and the walk over
every admin route (the permission and audit-log tests both take it)."""

from __future__ import annotations

import html as htmllib
import re
import secrets
import time
from functools import cache

import pytest
from flask import current_app, url_for
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter

from blogapp import create_app
from blogapp.comments import keys
from blogapp.extensions import db
from blogapp.models import Comment, CommenterKey, Post
from blogapp.permalinks import post_url
from tests.conftest import BASE_CONFIG

SITE_ORIGIN = "http://localhost"  # tests' SITE_URL, and the test client's default host
BROWSER_POST = {"Origin": SITE_ORIGIN, "Sec-Fetch-Site": "same-origin"}

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form in a page, as a browser would send it."""
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def url_of(post: Post, **args) -> str:
    """A post's permalink (with query arguments), as the site builds it."""
    with current_app.test_request_context():
        return post_url(post, **args)


def hidden_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no {name} field in the page"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return htmllib.unescape(value.group(1)) if value else ""


def open_form(client, post: Post, **args) -> dict:
    """GET the post page as a browser would and collect the comment form's hidden
    fields (a logged-in reader's page also carries a CSRF token)."""
    page = client.get(url_of(post, **args))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    fields = {
        "form_token": hidden_value(text, "form_token"),
        "parent_id": hidden_value(text, "parent_id"),
        "homepage": "",
    }
    if 'name="csrf_token"' in text:
        fields["csrf_token"] = csrf_token_from(text)
    return fields


def post_comment(
    client,
    post: Post,
    body: str = "I read this twice and still disagree.",
    *,
    name: str = "Dara",
    email: str = "dara@example.org",
    website: str = "",
    reply_to: Comment | None = None,
    fields: dict | None = None,
    headers: dict | None = None,
    **overrides,
):
    """Fill in and send the form on the post page (``reply_to`` follows the Reply link)."""
    form = open_form(client, post, **({"replytocom": reply_to.id} if reply_to else {}))
    form.update(author_name=name, author_email=email, author_url=website, body=body)
    form.update(fields or {})
    form.update(overrides)
    return client.post(
        f"/comments/post/{post.id}", data=form, headers=BROWSER_POST if headers is None else headers
    )


def stored_comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def restart_worker(app) -> None:
    """Forget what this worker keeps in memory (pages, values kept per version, the
    version it trusts), as a restarted worker would: for settings read at start."""
    for name in (
        "blogapp.kept",
        "blogapp.content_version",
        "blogapp.page_parts_encoded",
        "blogapp.page_parts_answers",
    ):
        app.extensions.pop(name, None)
    store = app.extensions.get("blogapp.page_store")
    if store is not None and hasattr(store, "clear"):
        store.clear()


class FakeClock:
    """A clock for ``app.config["CLOCK"]`` that moves only when told to."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@cache
def admin_rules() -> list:
    """Every route under /admin/ (ours and any another blueprint adds), as pytest
    parameters ``(endpoint, method)``: GET where the route takes it, else POST."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/") or rule.rule == "/admin":
            method = "GET" if "GET" in rule.methods else "POST"
            rules.append(pytest.param(rule.endpoint, method, id=f"{method} {rule.rule}"))
    return rules


def example_url(app, endpoint: str) -> str:
    """A URL of ``endpoint`` with made-up values for its arguments (1, or the first choice)."""
    rule = app.url_map._rules_by_endpoint[endpoint][0]
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    with app.test_request_context():
        return url_for(endpoint, **values)


# `next` values that a browser would follow off the site (it reads \\ as / and drops
# tabs and newlines): every place that redirects to a `next` must refuse them all.
OFF_SITE_TARGETS = [
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "http:/evil.com",
    "evil.com",
    "%2F%2Fevil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    " //evil.com",
]


def recognise(client, email: str) -> str:
    """Give the test client's browser a commenter key for ``email``, as pressing the
    button of a mailed confirmation link does (``blogapp.comments.keys``)."""
    key = secrets.token_urlsafe(32)
    db.session.add(CommenterKey(email=email, key_hash=keys.key_hash(key)))
    db.session.commit()
    client.set_cookie(keys.COOKIE, key, path=keys.COOKIE_PATH)
    return key
