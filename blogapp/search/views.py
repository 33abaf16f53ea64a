"""The search page at ``/?s=words`` (and ``/page/N/?s=words``), WordPress's form.

``posts.index`` hands requests carrying ``s`` to ``search_results``."""

from __future__ import annotations

from flask import abort, render_template, request

from blogapp.content import post_label
from blogapp.dates import format_date
from blogapp.search.query import MAX_QUERY_CHARS, parse_query, search_posts
from blogapp.search.snippets import highlight, snippet


def search_results(page: int = 1):
    from blogapp.posts.queries import check_page  # posts.index imports this module

    check_page(page)
    query = parse_query(request.args.get("s", ""))
    if query.is_empty:
        if page > 1:
            abort(404)
        return render_template("search/results.html", query=query, results=None, page=1,
                               search_query="")  # fmt: skip
    found = search_posts(query, page)
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
        "search/results.html", query=query, results=results, total=found.total, page=page,
        has_next=found.has_next, search_query=query.text, max_chars=MAX_QUERY_CHARS,
    )  # fmt: skip
