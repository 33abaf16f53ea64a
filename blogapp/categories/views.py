"""Category archives at ``/category/parent/child/``, as WordPress nests them.

A path that does not match but ends in a category's own slug (``/category/op-ed/``
for Op-Ed under Opinion, or a parent it has since left) answers 301 to the full
path, as WordPress does; links of that shape are all over the web for a blog that
moved in."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from blogapp.post_queries import CategoryNode, public_posts, sidebar

bp = Blueprint("categories", __name__)


def find_category(path: str) -> CategoryNode:
    """The category at ``path``; for a category's own slug, a 301 to its full path
    (the same page of the archive, or its feed) ends the request instead."""
    node = sidebar().by_path.get(path.strip("/"))
    if node is None:
        abort(redirect_to_full_path(path.strip("/").rsplit("/", 1)[-1]))
    return node


def redirect_to_full_path(slug: str):
    """301 from this request's URL to the same view at the full path of the
    category whose slug is ``slug``, keeping page, feed and query string; else 404."""
    node = next((c for c in sidebar().categories if c.slug == slug), None)
    if node is None or request.endpoint is None:
        abort(404)
    location = url_for(request.endpoint, **{**(request.view_args or {}), "path": node.path})
    query = request.query_string.decode("ascii", "ignore")
    return redirect(f"{location}?{query}" if query else location, 301)


def with_descendants(node: CategoryNode) -> list[int]:
    """A category's archive holds its subcategories' posts too, as in WordPress."""
    prefix = node.path + "/"
    return [node.id] + [c.id for c in sidebar().categories if c.path.startswith(prefix)]


@bp.route("/category/<path:path>/")
@bp.route("/category/<path:path>/page/<int:page>/")
def detail(path: str, page: int = 1):
    node = find_category(path)
    posts, has_next = public_posts(join_category_ids=with_descendants(node), page=page)
    return render_template(
        "categories/detail.html",
        category=node,
        posts=posts,
        page=page,
        has_next=has_next,
        browsing=("category", node.name),
        endpoint="categories.detail",
        endpoint_args={"path": node.path},
    )
