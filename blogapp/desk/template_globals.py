"""What the editor's template asks the desk for: the categories as a tree of
checkboxes, and the existing tags to suggest."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from blogapp.admin.blueprint import bp
from blogapp.extensions import db
from blogapp.models import Tag

DEPTH_MARK = "— "  # how blogapp.categories.services.category_choices indents
MAX_TAG_SUGGESTIONS = 500


@dataclass
class CategoryNode:
    id: int
    name: str
    children: list[CategoryNode] = field(default_factory=list)


@bp.app_template_global()
def category_tree(choices) -> list[CategoryNode]:
    """The form's category choices (WTForms ``SelectChoice``s in tree order, indented)
    as nested nodes."""
    roots: list[CategoryNode] = []
    path: list[CategoryNode] = []
    for choice in choices:
        value, label = choice.value, choice.label
        depth = 0
        while label.startswith(DEPTH_MARK):
            label = label[len(DEPTH_MARK) :]
            depth += 1
        node = CategoryNode(int(value), label)
        del path[depth:]
        (path[-1].children if path else roots).append(node)
        path.append(node)
    return roots


@bp.app_template_global()
def tag_suggestions() -> list[str]:
    """The names of existing tags, alphabetical, for the tags field's suggestions."""
    return list(db.session.scalars(select(Tag.name).order_by(Tag.name).limit(MAX_TAG_SUGGESTIONS)))
