"""Categories (nested) and tags: create, rename, re-parent, delete."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from blogapp.admin.blueprint import bp
from blogapp.admin.forms import (
    CategoryForm,
    DeleteCategoryForm,
    EmptyForm,
    TagForm,
    as_choices,
)
from blogapp.auth.permissions import editor_required
from blogapp.categories.services import (
    category_choices,
    category_post_count,
    delete_category,
    delete_tag,
    descendant_ids,
    save_category,
    save_tag,
)
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors, show_errors
from blogapp.models import Category, Tag, post_categories, post_tags

NO_PARENT = 0


def _category_counts() -> dict[int, int]:
    """Posts per category, any status: one grouped query for the whole list."""
    return dict(
        db.session.execute(
            select(post_categories.c.category_id, func.count()).group_by(
                post_categories.c.category_id
            )
        ).all()
    )


def _parent_choices(category: Category | None) -> list[tuple[int, str]]:
    excluded = set()
    if category is not None:
        excluded = descendant_ids(category.id) | {category.id}
    return [(NO_PARENT, _("(none: top level)"))] + [
        (cid, label) for cid, label in category_choices() if cid not in excluded
    ]


@bp.route("/categories/", methods=["GET", "POST"])
@editor_required
def categories():
    form = CategoryForm()
    form.parent_id.choices = as_choices(_parent_choices(None))
    if form.validate_on_submit():
        try:
            created = save_category(
                None,
                name=form.name.data,
                slug=form.slug.data or "",
                parent_id=form.parent_id.data or None,
                description=form.description.data or "",
            )
        except FieldErrors as error:
            show_errors(form, error)
        else:
            flash(_("Category “%(name)s” added.", name=created.name), "success")
            return redirect(url_for("admin.categories"))
    return render_template(
        "admin/categories.html",
        form=form,
        tree=category_choices(),
        counts=_category_counts(),
    ), (400 if form.errors else 200)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_category(category_id: int):
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category if request.method == "GET" else None)
    form.parent_id.choices = as_choices(_parent_choices(category))
    if request.method == "GET":
        form.parent_id.data = category.parent_id or NO_PARENT
    if form.validate_on_submit():
        try:
            save_category(
                category,
                name=form.name.data,
                slug=form.slug.data or "",
                parent_id=form.parent_id.data or None,
                description=form.description.data or "",
            )
        except FieldErrors as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("admin.categories"))
    return render_template("admin/category_edit.html", form=form, category=category), (
        400 if form.errors else 200
    )


@bp.route("/categories/<int:category_id>/delete", methods=["GET", "POST"])
@editor_required
def delete_category_view(category_id: int):
    """Asks first; when the category has posts, asks which category they move to."""
    category = db.get_or_404(Category, category_id)
    posts = category_post_count(category.id)
    form = DeleteCategoryForm()
    form.move_to.choices = as_choices(
        (cid, label) for cid, label in category_choices() if cid != category.id
    )
    if form.validate_on_submit():
        try:
            delete_category(category, form.move_to.data if posts else None)
        except FieldErrors as error:
            show_errors(form, error)
        else:
            flash(_("Category “%(name)s” deleted.", name=category.name), "success")
            return redirect(url_for("admin.categories"))
    return render_template(
        "admin/category_delete.html", form=form, category=category, posts=posts
    ), (400 if form.errors else 200)


@bp.route("/tags/", methods=["GET", "POST"])
@editor_required
def tags():
    form = TagForm()
    if form.validate_on_submit():
        try:
            created = save_tag(None, name=form.name.data, slug=form.slug.data or "")
        except FieldErrors as error:
            show_errors(form, error)
        else:
            flash(_("Tag “%(name)s” added.", name=created.name), "success")
            return redirect(url_for("admin.tags"))
    counts = dict(
        db.session.execute(
            select(post_tags.c.tag_id, func.count()).group_by(post_tags.c.tag_id)
        ).all()
    )
    rows = db.session.scalars(select(Tag).order_by(Tag.name)).all()
    return render_template(
        "admin/tags.html", form=form, tags=rows, counts=counts, delete_form=EmptyForm()
    ), (400 if form.errors else 200)


@bp.route("/tags/<int:tag_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_tag(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    form = TagForm(obj=tag if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            save_tag(tag, name=form.name.data, slug=form.slug.data or "")
        except FieldErrors as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            flash(_("Tag saved."), "success")
            return redirect(url_for("admin.tags"))
    return render_template("admin/tag_edit.html", form=form, tag=tag), (400 if form.errors else 200)


@bp.route("/tags/<int:tag_id>/delete", methods=["POST"])
@editor_required
def delete_tag_view(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    delete_tag(tag)
    flash(_("Tag “%(name)s” deleted; its posts keep their other tags.", name=tag.name), "success")
    return redirect(url_for("admin.tags"))
