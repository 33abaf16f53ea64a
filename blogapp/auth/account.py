"""A logged-in writer's own account at /account/: a new password, two-factor login
(enrol, new recovery codes, turn off) and ending other sessions.

Whatever changes how the account logs in asks for the current password first, counted
by the same throttle as logins, so a session left open on a shared computer is not
enough to take the account over. With ``REQUIRE_2FA`` on, editors and admins who have
not enrolled are sent here from every /admin/ page."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from blogapp import throttle
from blogapp.auth import passkeys, sessions, two_factor
from blogapp.auth.forms import ChangePasswordForm, CodeForm, CurrentPasswordForm, LanguageForm
from blogapp.auth.passwords import check_user_password, rotate_session_token, set_password
from blogapp.auth.views import CODE_ACCOUNT, bp, login_counters, too_many_logins
from blogapp.extensions import db
from blogapp.interface_language import N_
from blogapp.models import User


@bp.before_app_request
def enrol_before_admin():
    """``REQUIRE_2FA``: an editor or admin without a second factor sees no admin page."""
    if not request.path.startswith("/admin"):
        return None
    if current_user.is_authenticated and two_factor.must_enrol(current_user):
        flash(_("This site requires two-factor login: set it up before using the admin."), "info")
        return redirect(url_for("auth.account"))
    return None


def _me() -> User:
    return current_user._get_current_object()


def _render(status: int = 200, **forms):
    user = _me()
    forms.setdefault("password_form", ChangePasswordForm(prefix="pw"))
    forms.setdefault("confirm_form", CurrentPasswordForm(prefix="cf"))
    forms.setdefault(
        "language_form", LanguageForm(prefix="lang", language=user.interface_language or "")
    )
    row = two_factor.two_factor_of(user)
    return render_template(
        "auth/account.html",
        logins=sessions.open_sessions(user.id),
        passkeys=passkeys.passkeys_of(user),
        this_login=user.login_key,
        enrolled=row is not None and row.confirmed_at is not None,
        codes_left=two_factor.recovery_codes_left(user),
        required=two_factor.must_enrol(user),
        **forms,
    ), status


def _refused(form: CurrentPasswordForm, name: str):
    """None when ``form`` is valid and its current password right; else the answer
    (the page again with the form's errors, or the throttle's 429)."""
    if not form.validate_on_submit():
        return _render(400, **{name: form})
    refused = _password_ok(form)
    if refused is False:
        return _render(400, **{name: form})
    return refused


def _password_ok(form: CurrentPasswordForm):
    """None when the current password is right; else the response to send."""
    attempt = throttle.hit(*login_counters(_me().login))
    if not attempt.allowed:
        return too_many_logins(attempt)
    if check_user_password(_me(), form.current_password.data):
        throttle.release(attempt)
        return None
    form.current_password.errors = ["That is not your current password."]
    return False


@bp.route("/account/")
@login_required
def account():
    return _render()


@bp.route("/account/password", methods=["POST"])
@login_required
def change_own_password():
    form = ChangePasswordForm(prefix="pw")
    if (refused := _refused(form, "password_form")) is not None:
        return refused
    user = _me()
    set_password(user, form.password.data, keep=user.login_key)  # every other session ends
    db.session.commit()
    login_user(user)  # this session carries the new token
    flash(_("Password changed. Your other sessions have ended."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/language", methods=["POST"])
@login_required
def choose_language():
    """The language of this account's admin screens and mails (no password asked: it
    changes nothing about how the account logs in)."""
    form = LanguageForm(prefix="lang")
    if not form.validate_on_submit():
        return _render(400, language_form=form)
    user = _me()
    user.interface_language = form.language.data or None
    db.session.commit()
    flash(N_("Your language is saved."), "success")  # shown in it, on the next page
    return redirect(url_for("auth.account"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    """Log out everywhere else: every other browser and "Remember me" cookie stops working
    (the CSRF check of every POST guards it)."""
    user = _me()
    rotate_session_token(user, keep=user.login_key)
    db.session.commit()
    login_user(user)
    flash(_("You are logged out everywhere else."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """End one login from the list (it may be this one: then this browser is out too;
    the CSRF check of every POST guards it)."""
    user = _me()
    ended = sessions.end_login_sessions(user.id, session_id=session_id)
    db.session.commit()
    flash(
        _("That session has ended.") if ended else _("That session had already ended."),
        "success" if ended else "info",
    )
    return redirect(url_for("auth.account"))


@bp.route("/account/two-factor/start", methods=["POST"])
@login_required
def start_two_factor():
    form = CurrentPasswordForm(prefix="cf")
    if not form.validate_on_submit():
        return _render(400, confirm_form=form)
    if two_factor.is_enrolled(_me()):
        flash(_("Two-factor login is already on; turn it off first to use a new phone."), "info")
        return redirect(url_for("auth.account"))
    refused = _password_ok(form)
    if refused is False:
        return _render(400, confirm_form=form)
    if refused is not None:
        return refused
    two_factor.start_enrolment(_me())
    db.session.commit()
    return redirect(url_for("auth.two_factor_setup"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """The QR code of the pending secret and the first code that turns it on."""
    user = _me()
    row = two_factor.two_factor_of(user)
    if row is None or row.confirmed_at is not None:
        return redirect(url_for("auth.account"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        attempt = throttle.hit(
            throttle.Counter(CODE_ACCOUNT, str(user.id), current_app.config["LOGIN_RATE_LIMIT"])
        )
        if not attempt.allowed:
            return too_many_logins(attempt)
        codes = two_factor.confirm_enrolment(user, form.code.data)
        if codes is not None:
            throttle.release(attempt)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes)
        db.session.rollback()
        error = "That code is not right. Check the time on your phone and try the next one."
    uri = two_factor.provisioning_uri(user, row.secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        error=error,
        secret=row.secret,
        qr=two_factor.qr_svg(uri),
    ), (400 if error else 200)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes():
    form = CurrentPasswordForm(prefix="cf")
    if not form.validate_on_submit() or not two_factor.is_enrolled(_me()):
        return _render(400, confirm_form=form)
    refused = _password_ok(form)
    if refused is False:
        return _render(400, confirm_form=form)
    if refused is not None:
        return refused
    codes = two_factor.new_recovery_codes(_me())
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/account/two-factor/disable", methods=["POST"])
@login_required
def disable_two_factor():
    form = CurrentPasswordForm(prefix="cf")
    if (refused := _refused(form, "confirm_form")) is not None:
        return refused
    two_factor.disable(_me())
    db.session.commit()
    flash(_("Two-factor login is off."), "success")
    return redirect(url_for("auth.account"))
