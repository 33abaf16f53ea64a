"""The Authors screen: profiles of the people bylines name, with or without an
account, pen names marked (blogapp.authors)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from blogapp.admin.blueprint import bp
from blogapp.admin.forms import EmptyForm, as_choices
from blogapp.auth.permissions import editor_required
from blogapp.authors.forms import NO_ACCOUNT, ProfileForm
from blogapp.authors.services import ProfileData, delete_profile, save_profile
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors, show_errors
from blogapp.interface_language import INTERFACE_LANGUAGES, site_language
from blogapp.models import AuthorProfile, User, post_bylines


def _account_choices() -> list[tuple[int, str]]:
    return [(NO_ACCOUNT, "(none)")] + [
        (uid, f"{login} ({name})" if name else login)
        for uid, login, name in db.session.execute(
            select(User.id, User.login, User.display_name).order_by(User.login)
        )
    ]


def _other_languages() -> list[str]:
    return [lang for lang in INTERFACE_LANGUAGES if lang != site_language()]


@bp.route("/authors/")
@editor_required
def authors():
    counts = dict(
        db.session.execute(
            select(post_bylines.c.author_id, func.count()).group_by(post_bylines.c.author_id)
        ).all()
    )
    profiles = db.session.execute(
        select(AuthorProfile, User.login)
        .outerjoin(User, User.id == AuthorProfile.user_id)
        .order_by(func.lower(AuthorProfile.name), AuthorProfile.slug)
    ).all()
    return render_template(
        "admin/authors.html", profiles=profiles, counts=counts, delete_form=EmptyForm()
    )


@bp.route("/authors/new", methods=["GET", "POST"])
@editor_required
def new_author():
    return _edit(None)


@bp.route("/authors/<int:profile_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_author(profile_id: int):
    return _edit(db.get_or_404(AuthorProfile, profile_id))


def _edit(profile: AuthorProfile | None):
    form = ProfileForm(obj=profile if request.method == "GET" else None)
    form.user_id.choices = as_choices(_account_choices())
    languages = _other_languages()
    if request.method == "GET" and profile is not None:
        form.user_id.data = profile.user_id or NO_ACCOUNT
    names = (
        {lang: request.form.get(f"name_{lang}", "") for lang in languages}
        if request.method == "POST"
        else dict(profile.names if profile else {})
    )
    if form.validate_on_submit():
        data = ProfileData(
            name=form.name.data or "",
            slug=form.slug.data or "",
            bio=form.bio.data or "",
            affiliation=form.affiliation.data or "",
            disclosure=form.disclosure.data or "",
            same_as=form.same_as.data or "",
            photo_id=form.photo_id.data,
            user_id=form.user_id.data or None,
            is_pen_name=bool(form.is_pen_name.data),
            names={lang: names.get(lang, "") for lang in languages},
        )
        try:
            saved = save_profile(profile, data)
        except FieldErrors as error:
            show_errors(form, error)
        else:
            flash(_("Author “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("admin.edit_author", profile_id=saved.id))
    return render_template(
        "admin/author_edit.html", form=form, profile=profile, languages=languages, names=names
    ), (400 if form.errors else 200)


@bp.route("/authors/<int:profile_id>/delete", methods=["POST"])
@editor_required
def delete_author(profile_id: int):
    profile = db.get_or_404(AuthorProfile, profile_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            delete_profile(profile)
        except FieldErrors as error:
            flash(" ".join(error.errors.values()), "error")
        else:
            flash(_("Author “%(name)s” deleted.", name=profile.name), "success")
    return redirect(url_for("admin.authors"))
