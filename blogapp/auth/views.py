"""Logging in and out, and the WordPress addresses people still type."""

from __future__ import annotations

import hmac
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from limits import parse as parse_limit
from sqlalchemy import select

from blogapp.auth.forms import LoginForm
from blogapp.auth.passwords import (
    check_user_password,
    hash_password,
    needs_rehash,
    rotate_session_token,
)
from blogapp.errors import render_error
from blogapp.extensions import db, limiter, login_manager
from blogapp.models import User

bp = Blueprint("auth", __name__)

MAX_REMEMBER_DAYS = 30
LOGIN_FAILED = "Invalid username or password."


@bp.record_once
def configure_login(state) -> None:
    app = state.app
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    days = min(int(app.config.get("REMEMBER_COOKIE_DAYS", 14)), MAX_REMEMBER_DAYS)
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=days)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Sessions hold ``id:token``; a rotated token (logout, new password) ends them."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.session_token or not user.is_active_account:
        return None
    if not hmac.compare_digest(user.session_token, token):
        return None
    return user


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site; otherwise the dashboard.

    Browsers read ``\\`` as ``/`` and drop tabs and newlines, so ``/\\evil.com`` or
    ``/\\t/evil.com`` would leave the site: any backslash or control character is refused."""
    fallback = url_for("admin.dashboard")
    if not target or len(target) > 2000:
        return fallback
    if "\\" in target or any(ord(c) <= 32 or ord(c) == 127 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


# Failed logins are counted per client address and per submitted username, whether or not
# that user exists, so the limit reveals nothing. Only failures count (deduct_when).
def _address_key() -> str:
    return "address:" + (get_remote_address() or "-")


def _account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()[:254]


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _login_rate() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate, key_func=_address_key, scope="login-address", methods=["POST"],
               deduct_when=_login_failed)
@limiter.limit(_login_rate, key_func=_account_key, scope="login-account", methods=["POST"],
               deduct_when=_login_failed)
def login():
    next_target = request.args.get("next")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(next_target))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.login == form.username.data.strip()))
        # One argon2 check whichever way it goes: unknown users take as long as wrong passwords.
        valid = check_user_password(user, form.password.data)
        if valid and user is not None and user.is_active_account:
            return _start_session(user, form.password.data, form.remember.data, next_target)
        g.login_failed = True
        error = LOGIN_FAILED
    return render_template("auth/login.html", form=form, error=error, next=next_target)


def _start_session(user: User, password: str, remember: bool, next_target: str | None):
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.session_token:
        rotate_session_token(user)
    db.session.commit()
    # Nothing from before the login survives (no fixation); Flask signs a new cookie.
    session.clear()
    login_user(user, remember=bool(remember), duration=current_app.config[
        "REMEMBER_COOKIE_DURATION"])
    return redirect(safe_next(next_target))


@bp.errorhandler(RateLimitExceeded)
def too_many_logins(error: RateLimitExceeded):
    window = parse_limit(_login_rate())
    minutes = window.get_expiry() // 60
    wait = f"{minutes} minutes" if minutes >= 2 else "a minute"
    return render_error(
        429,
        "Too many failed attempts to log in. Logging in is paused for this account or this "
        f"address; please wait {wait} and try again.",
    )


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Every session and remember-me cookie of this user, on any device, stops working.
        rotate_session_token(current_user._get_current_object())
        db.session.commit()
    session.clear()
    logout_user()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/wp-login.php", methods=["GET", "POST"])
@bp.route("/wp-admin/")
@bp.route("/wp-admin")
def wordpress_login():
    """Old WordPress bookmarks land on our login page (POSTs there are not logins)."""
    return redirect(url_for("auth.login"), 301)
