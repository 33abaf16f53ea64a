"""Accounts, for admins only: add, edit role and details, deactivate, set passwords."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blogapp.admin.blueprint import bp
from blogapp.auth import two_factor
from blogapp.auth.forms import NewUserForm, PasswordForm, UserForm
from blogapp.auth.passwords import rotate_session_token
from blogapp.auth.permissions import admin_required
from blogapp.auth.services import change_password, create_user, update_user
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors, show_errors
from blogapp.models import TwoFactor, User


@bp.route("/users/")
@admin_required
def users():
    rows = db.session.scalars(select(User).order_by(User.login)).all()
    enrolled = set(
        db.session.scalars(select(TwoFactor.user_id).where(TwoFactor.confirmed_at.is_not(None)))
    )
    return render_template("admin/users.html", users=rows, enrolled=enrolled)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = NewUserForm()
    if request.method == "GET":
        form.is_active_account.data = True
    if form.validate_on_submit():
        try:
            user = create_user(
                login=form.login.data,
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=form.role.data,
                password=form.password.data,
                active=form.is_active_account.data,
            )
        except FieldErrors as error:
            show_errors(form, error)
        else:
            flash(_("User %(login)s added.", login=user.login), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_user(
                user,
                actor=current_user._get_current_object(),
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=form.role.data,
                active=form.is_active_account.data,
            )
        except FieldErrors as error:
            show_errors(form, error)
        else:
            flash(_("User %(login)s saved.", login=user.login), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template(
        "admin/user_edit.html",
        form=form,
        user=user,
        password_form=PasswordForm(prefix="pw"),
        two_factor_on=two_factor.is_enrolled(user),
    ), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@admin_required
def set_user_password(user_id: int):
    """A new password ends every session of that user (theirs too, if it is you)."""
    user = db.get_or_404(User, user_id)
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        change_password(user, password_form.password.data)
        flash(
            _("Password of %(login)s changed; their other sessions have ended.", login=user.login),
            "success",
        )
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template(
        "admin/user_edit.html",
        form=UserForm(obj=user),
        user=user,
        password_form=password_form,
        two_factor_on=two_factor.is_enrolled(user),
    ), 400


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@admin_required
def reset_user_two_factor(user_id: int):
    """For a writer who lost both their phone and their recovery codes: their second
    factor is removed and their sessions end; they log in with the password and enrol
    again (with REQUIRE_2FA, before they see the admin)."""
    user = db.get_or_404(User, user_id)
    two_factor.disable(user)
    rotate_session_token(user)
    db.session.commit()
    flash(
        _("Two-factor login of %(login)s is off; their sessions have ended.", login=user.login),
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))
