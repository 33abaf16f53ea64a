"""The passkey routes: add and remove one on /account/, and use one as the
second step of a login. See ``blogapp.auth.passkeys``. The options routes answer
JSON for the page's script (``static/js/passkeys.js``); the browser's answer is then
sent by an ordinary form POST, CSRF token and all."""

from __future__ import annotations

from flask import Response, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blogapp import throttle
from blogapp.auth import passkeys
from blogapp.auth.account import _me, _password_ok, _refused
from blogapp.auth.forms import CurrentPasswordForm
from blogapp.auth.views import (
    CODE_FAILED,
    PENDING_KEY,
    _log_in,
    _pending_entry,
    bp,
    load_user,
    second_factor_attempt,
    too_many_logins,
)
from blogapp.extensions import db

MAX_CREDENTIAL = 16_384  # characters of the browser's JSON answer


def _json(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="application/json")


@bp.post("/account/passkeys/options")
@login_required
def passkey_registration_options():
    """The current password first (throttled like a login), then the options."""
    form = CurrentPasswordForm(prefix="pk")
    if not form.validate_on_submit():
        return _json('{"error": "Type your current password."}', 400)
    refused = _password_ok(form)
    if refused is False:
        return _json('{"error": "That is not your current password."}', 400)
    if refused is not None:
        return _json('{"error": "Too many attempts; wait and try again."}', 429)
    body = passkeys.registration_options(_me())
    db.session.commit()
    return _json(body)


@bp.post("/account/passkeys")
@login_required
def add_passkey():
    credential = request.form.get("credential", "")
    if not credential or len(credential) > MAX_CREDENTIAL:
        flash(_("The browser sent no passkey."), "error")
        return redirect(url_for("auth.account"))
    problem = passkeys.register(_me(), credential, request.form.get("name", ""))
    if problem:
        db.session.rollback()
        flash(problem, "error")
    else:
        db.session.commit()
        flash(_("Passkey added: it can now be used as your second factor."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/passkeys/<int:passkey_id>/delete")
@login_required
def remove_passkey(passkey_id: int):
    form = CurrentPasswordForm(prefix="cf")
    if (refused := _refused(form, "confirm_form")) is not None:
        return refused
    removed = passkeys.remove(_me(), passkey_id)
    db.session.commit()
    flash(
        _("Passkey removed.") if removed else _("No such passkey."),
        "success" if removed else "info",
    )
    return redirect(url_for("auth.account"))


def _pending_user():
    pending = _pending_entry()
    if pending is None:
        return None, None
    return pending, load_user(str(pending["user"]))


@bp.post("/login/passkey/options")
def passkey_login_options():
    """Between the password and the second step only (the pending entry)."""
    if current_user.is_authenticated:
        return _json('{"error": "Already logged in."}', 400)
    _challenge, user = _pending_user()
    if user is None or not passkeys.has_passkeys(user):
        return _json('{"error": "Please log in again."}', 400)
    body = passkeys.authentication_options(user)
    db.session.commit()
    return _json(body)


@bp.post("/login/passkey")
def login_with_passkey():
    pending = _pending_entry()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    attempt = second_factor_attempt(pending)
    if not attempt.allowed:
        return too_many_logins(attempt)
    user = load_user(str(pending["user"]))
    credential = request.form.get("credential", "")
    if (
        user is not None
        and len(credential) <= MAX_CREDENTIAL
        and passkeys.authenticate(user, credential)
    ):
        throttle.release(attempt)
        db.session.commit()
        return _log_in(user, pending.get("remember", False), pending.get("next") or None)
    db.session.rollback()
    flash(_(CODE_FAILED) if user is not None else _("Please log in again."), "error")
    return redirect(url_for("auth.login_code"))
