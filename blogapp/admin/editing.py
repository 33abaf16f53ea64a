"""What the post and page editors share: choices, turning forms into service data,
and showing service errors next to their fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select

from blogapp.categories.services import parse_tag_names
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import Category, Post, PostStatus
from blogapp.posts.services import PostData


def category_choices() -> list[tuple[int, str]]:
    """Every category in tree order, indented by depth: one query, never cached, so a
    category created a second ago is offered."""
    rows = db.session.execute(select(Category.id, Category.name, Category.parent_id)).all()
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[tuple[int, str]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for row in sorted(children.get(parent_id, []), key=lambda r: r.name.lower()):
            ordered.append((row.id, "— " * depth + row.name))
            if depth < 20:  # a loop in bad data must not recurse forever
                walk(row.id, depth + 1)

    walk(None, 0)
    return ordered


def post_data(form) -> PostData:
    return PostData(
        title=form.title.data or "",
        slug=form.slug.data or "",
        body=form.body.data or "",
        content_format=form.content_format.data,
        excerpt=form.excerpt.data or "",
        category_ids=list(form.categories.data or []),
        tag_names=parse_tag_names(form.tags.data or ""),
        language=form.language.data,
        source_line=form.source_line.data or "",
        status=form.status.data,
        publish_at=form.publish_at.utc,
        comment_mode=form.comment_mode.data,
    )


def fill_post_form(form, post: Post) -> None:
    """Show a stored post in the editor (GET)."""
    form.title.data = post.title
    form.slug.data = post.slug
    form.body.data = post.body
    form.content_format.data = post.content_format
    form.excerpt.data = post.excerpt
    form.categories.data = [c.id for c in post.categories]
    form.tags.data = ", ".join(t.name for t in post.tags)
    form.language.data = post.language
    form.source_line.data = post.source_line
    form.status.data = post.display_status
    form.comment_mode.data = post.comment_mode
    form.publish_at.data = local_input_value(post) if post.status == PostStatus.PUBLISHED else ""


def local_input_value(post: Post) -> str:
    return to_local(post.published_at).strftime("%Y-%m-%dT%H:%M")


def show_errors(form: FlaskForm, error: FieldErrors) -> None:
    for name, message in error.errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
