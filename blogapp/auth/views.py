"""Logging in and out, and the WordPress addresses people still type."""

from __future__ import annotations

import hmac
import math
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from blogapp import clock, next_url, throttle
from blogapp.auth import passkeys, sessions, two_factor
from blogapp.auth.forms import CodeForm, LoginForm
from blogapp.auth.passwords import (
    check_user_password,
    hash_password,
    needs_rehash,
    rotate_session_token,
)
from blogapp.extensions import db, login_manager
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
    """Sessions hold ``id:token:key``; a rotated token (logout, new password) or an
    ended login (its LoginSession row deleted) ends them. ``id:token`` ids from before
    per-login rows still load."""
    user_id, _sep, rest = session_id.partition(":")
    token, _sep, key = rest.partition(":")
    if not user_id.isdigit() or not token:
        return None
    if key:
        user = sessions.load(int(user_id), key)
    else:
        user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.session_token or not user.is_active_account:
        return None
    if not hmac.compare_digest(user.session_token, token):
        return None
    return user


bp.after_app_request(sessions.touch_last_seen)


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site; otherwise the dashboard."""
    return next_url.safe_next(target, url_for("admin.dashboard"))


# Failed logins are counted in blogapp.throttle (one count for every worker and host),
# first per client address and account name together (LOGIN_RATE_LIMIT): five wrong
# passwords keep that address out of that account, and no one else. Also per address,
# whatever the account (LOGIN_ADDRESS_RATE_LIMIT: one address trying many accounts),
# and per account name, whether or not that account exists, so the limit reveals
# nothing (LOGIN_ACCOUNT_RATE_LIMIT: many addresses guessing one password). The last
# is much higher, and a writer with a second factor gets past it with the right
# password and then the code: guesses from elsewhere cannot keep them out. An
# attempt is counted before its password is checked, so attempts sent at once cannot
# slip past the limit together; a success is taken back.
LOGIN_PAIR = "login-address-account"
LOGIN_ACCOUNT = "login-account"
LOGIN_ADDRESS = "login-address"


def login_counters(username: str) -> tuple[throttle.Counter, throttle.Counter]:
    """What one address may try: at this account, and at all accounts."""
    config, address = current_app.config, throttle.client_address()
    name = username.strip().lower()[:254]
    return (
        throttle.Counter(LOGIN_PAIR, f"{address}\0{name}", config["LOGIN_RATE_LIMIT"]),
        throttle.Counter(LOGIN_ADDRESS, address, config["LOGIN_ADDRESS_RATE_LIMIT"]),
    )


def account_counter(username: str) -> throttle.Counter:
    """What every address together may try at one account."""
    return throttle.Counter(
        LOGIN_ACCOUNT,
        username.strip().lower()[:254],
        current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_target = request.args.get("next")
    # Only a GET looks at who is logged in: in a POST the throttle's own transaction
    # must come before the request's first query.
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(safe_next(next_target))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        attempt = throttle.hit(*login_counters(form.username.data))
        if not attempt.allowed:
            # Before the password is checked: the right one gets this same answer.
            return too_many_logins(attempt)
        account = throttle.hit(account_counter(form.username.data))
        user = db.session.scalar(select(User).where(User.login == form.username.data.strip()))
        # One argon2 check whichever way it goes: unknown users take as long as wrong passwords.
        valid = check_user_password(user, form.password.data)
        if valid and user is not None and user.is_active_account:
            if two_factor.is_enrolled(user) or passkeys.has_passkeys(user):
                # Past the account's lock too: the code proves it is the writer.
                throttle.release(attempt)
                throttle.release(account)
                return _ask_for_code(user, form.password.data, form.remember.data, next_target)
            if account.allowed:
                throttle.release(attempt)
                throttle.release(account)  # committed with the new session below
                return _start_session(user, form.password.data, form.remember.data, next_target)
        if not account.allowed:
            # A right password refused here stays counted: taking it back would tell
            # a guesser it was right.
            return too_many_logins(account)
        error = LOGIN_FAILED
    return render_template("auth/login.html", form=form, error=error, next=next_target)


def too_many_logins(attempt: throttle.Verdict):
    minutes = math.ceil(attempt.retry_after / 60)
    wait = f"{minutes} minutes" if minutes >= 2 else "a minute"
    return throttle.refused(
        attempt,
        "Too many failed attempts to log in. Logging in is paused for this account or this "
        f"address; please wait {wait} and try again.",
    )


def _refresh_account(user: User, password: str) -> None:
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.session_token:
        rotate_session_token(user)
    db.session.commit()


def _start_session(user: User, password: str, remember: bool, next_target: str | None):
    _refresh_account(user, password)
    return _log_in(user, remember, next_target)


def _log_in(user: User, remember: bool, next_target: str | None):
    # Nothing from before the login survives (no fixation); Flask signs a new cookie.
    session.clear()
    user.login_key = sessions.start(user)  # "where you're logged in"; maybe a mail
    db.session.commit()
    login_user(
        user, remember=bool(remember), duration=current_app.config["REMEMBER_COOKIE_DURATION"]
    )
    return redirect(safe_next(next_target))


# Between the password and the code the session holds only this entry, not flask-login's
# user id: every other route sees an anonymous visitor. The entry carries the session
# token, so a password change or "log out everywhere" ends it too, and it expires.
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300
CODE_ACCOUNT = "two-factor-account"
CODE_ADDRESS = "two-factor-address"
CODE_FAILED = "That code is not right (or was already used). Try the next one."


def _ask_for_code(user: User, password: str, remember: bool, next_target: str | None):
    _refresh_account(user, password)
    session.clear()
    session[PENDING_KEY] = {
        "user": user.get_id(),
        "remember": bool(remember),
        "next": next_target or "",
        "since": int(clock.now().timestamp()),
    }
    return redirect(url_for("auth.login_code"))


def _pending_entry() -> dict | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("since"), int):
        return None
    if clock.now().timestamp() - pending["since"] > PENDING_SECONDS:
        return None
    return pending


def second_factor_attempt(pending: dict) -> throttle.Verdict:
    """Count one second-factor try (a code or a passkey) against the account and the
    address, before the user is even loaded, as logins are (its own transaction first)."""
    user_part = str(pending["user"]).partition(":")[0]
    rate = current_app.config["LOGIN_RATE_LIMIT"]
    return throttle.hit(
        throttle.Counter(CODE_ACCOUNT, user_part, rate),
        throttle.Counter(CODE_ADDRESS, throttle.client_address(), rate),
    )


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = _pending_entry()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        attempt = second_factor_attempt(pending)
        if not attempt.allowed:
            return too_many_logins(attempt)
        user = load_user(str(pending["user"]))
        if user is None:
            session.pop(PENDING_KEY, None)
            return redirect(url_for("auth.login"))
        if two_factor.check_second_factor(user, form.code.data):
            throttle.release(attempt)
            db.session.commit()
            return _log_in(user, pending.get("remember", False), pending.get("next") or None)
        db.session.rollback()
        error = CODE_FAILED
    pending_user = load_user(str(pending["user"]))
    return render_template(
        "auth/login_code.html",
        form=form,
        error=error,
        passkey=pending_user is not None and passkeys.has_passkeys(pending_user),
        totp=pending_user is not None and two_factor.is_enrolled(pending_user),
    ), (400 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Every session and remember-me cookie of this user, on any device, stops working.
        rotate_session_token(current_user._get_current_object())
        db.session.commit()
    session.clear()
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/wp-login.php", methods=["GET", "POST"])
@bp.route("/wp-admin/")
@bp.route("/wp-admin")
def wordpress_login():
    """Old WordPress bookmarks land on our login page (POSTs there are not logins)."""
    return redirect(url_for("auth.login"), 301)
