"""Category archives at ``/category/parent/child/``, as WordPress nests them."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from blogapp.posts.queries import CategoryNode, public_posts, sidebar

bp = Blueprint("categories", __name__)


def find_category(path: str) -> CategoryNode:
    node = sidebar().by_path.get(path.strip("/"))
    if node is None:
        abort(404)
    return node


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
        "categories/detail.html", category=node, posts=posts, page=page, has_next=has_next,
        browsing=("category", node.name), endpoint="categories.detail",
        endpoint_args={"path": node.path},
    )  # fmt: skip
