"""Static pages (About, Contact…): the same editor as posts, without categories."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blogapp.admin.blueprint import bp
from blogapp.admin.forms import EmptyForm, PageForm
from blogapp.auth.permissions import editor_required
from blogapp.content import render_page
from blogapp.extensions import db
from blogapp.models import Page
from blogapp.posts.editing import save_from_editor
from blogapp.posts.services import PageData, delete_page, save_page
from blogapp.revisions.admin import editor_opened


@bp.route("/pages/")
@editor_required
def pages():
    rows = db.session.scalars(
        select(Page).options(joinedload(Page.author)).order_by(Page.menu_order, Page.title)
    ).all()
    return render_template("admin/pages.html", pages=rows, delete_form=EmptyForm())


@bp.route("/pages/new", methods=["GET", "POST"])
@editor_required
def new_page():
    return _editor(None)


@bp.route("/pages/<int:page_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_page(page_id: int):
    return _editor(db.get_or_404(Page, page_id))


def _editor(page: Page | None):
    form = PageForm(obj=page if request.method == "GET" else None)
    editor_opened(form, page)
    conflict = None
    action = request.form.get("action", "save")
    if request.method == "POST" and form.validate():
        data = PageData(
            title=form.title.data or "",
            slug=form.slug.data or "",
            body=form.body.data or "",
            content_format=form.content_format.data,
            language=form.language.data,
            status=form.status.data,
            menu_order=form.menu_order.data or 0,
        )
        if action == "preview":
            shown = Page(
                title=data.title.strip(),
                body=data.body,
                language=data.language,
                content_format=data.content_format,
                slug=page.slug if page else "",
            )
            render_page(shown)
            return render_template(
                "admin/preview.html",
                preview_of="page",
                page_obj=shown,
                form=form,
                action=request.path,
            )
        if action == "save":
            author = current_user._get_current_object()
            saved, conflict = save_from_editor(
                form, lambda based_on: save_page(page, data, author=author, based_on=based_on)
            )
            if saved is not None:
                flash(_("Page saved (%(status)s).", status=saved.status), "success")
                return redirect(url_for("admin.edit_page", page_id=saved.id))
    return render_template(
        "admin/page_edit.html", form=form, page=page, conflict=conflict, delete_form=EmptyForm()
    ), 409 if conflict else 200


@bp.route("/pages/<int:page_id>/delete", methods=["POST"])
@editor_required
def delete_page_view(page_id: int):
    page = db.get_or_404(Page, page_id)
    delete_page(page)
    flash(_("Page “%(title)s” deleted.", title=page.title), "success")
    return redirect(url_for("admin.pages"))
