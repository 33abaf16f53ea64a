"""The search page at ``/?s=words`` (and ``/page/N/?s=words``), WordPress's form.

``posts.index`` hands requests carrying ``s`` to ``search_results``. A search is
sent to its canonical URL first (``canonical_text``), then runs in one of the
worker's search slots and under the time budget (``search.limits``,
``search.budget``); the per-address rate limit was checked before the view ran."""

from __future__ import annotations

import time

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from blogapp.arguments import check_page
from blogapp.content import post_label
from blogapp.dates import format_date
from blogapp.errors import render_error
from blogapp.search.budget import SearchTooSlow, TimeBudget
from blogapp.search.limits import search_slots, shed_log
from blogapp.search.query import (
    MAX_QUERY_CHARS,
    SearchQuery,
    canonical_text,
    parse_query,
    search_posts,
)
from blogapp.search.snippets import highlight, snippet
from blogapp.translations.services import listing_language


def search_results(page: int = 1):
    check_page(page)
    query = parse_query(request.args.get("s", ""))
    if query.is_empty:
        if page > 1:
            abort(404)
        return render_template(
            "search/results.html", query=query, results=None, page=1, search_query=""
        )
    location = canonical_location(query, page)
    if location is not None:
        return redirect(location, 301)
    config = current_app.config
    budget = TimeBudget(
        config["SEARCH_TIME_BUDGET_MS"] / 1000, config.get("SEARCH_CLOCK") or time.monotonic
    )
    with search_slots().taken() as slot:
        if not slot:
            shed_log().note("searches turned away (all slots busy)", get_remote_address())
            return _busy()
        try:
            found = search_posts(query, page, budget)
        except SearchTooSlow:
            shed_log().note("searches stopped past their time budget", get_remote_address())
            return _too_slow(query, page)
    if not found.posts and page > 1:
        abort(404)
    results = [
        {
            "post": post,
            "title": highlight(post_label(post, format_date(post.published_at)), query.terms),
            "snippet": snippet(post.title, post.search_text, query.terms),
        }
        for post in found.posts
    ]
    return render_template(
        "search/results.html",
        query=query,
        results=results,
        total=found.total,
        page=page,
        has_next=found.has_next,
        capped=found.capped,
        search_query=query.text,
        max_chars=MAX_QUERY_CHARS,
    )


def canonical_location(query: SearchQuery, page: int) -> str | None:
    """Where this search's canonical URL is, or None when this is it.

    A shortened query keeps its URL (and its notice), as does the rare spelling
    whose lower-cased form would not parse back to itself: no redirect loops."""
    canonical = canonical_text(query)
    if query.shortened or canonical_text(parse_query(canonical)) != canonical:
        return None
    if request.args.get("s") == canonical and request.view_args.get("page") != 1:
        return None
    return url_for(
        "posts.index", s=canonical, lang=listing_language(), **({"page": page} if page > 1 else {})
    )


def _busy():
    body, code = render_error(
        503, _("Many people are searching right now. Please try again in a few seconds.")
    )
    response = make_response(body, code)
    response.headers["Retry-After"] = str(current_app.config["SEARCH_BUSY_RETRY_AFTER"])
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_slow(query: SearchQuery, page: int):
    """A plain page, not an error: the search was stopped, the site is fine. Never
    kept by a cache: the same words may well be answered in time later."""
    response = make_response(
        render_template(
            "search/results.html",
            query=query,
            results=None,
            page=page,
            too_slow=True,
            search_query=query.text,
            max_chars=MAX_QUERY_CHARS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
