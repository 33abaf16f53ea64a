"""Password reset by e-mail: "Forgot password?" on the login page.

Whoever asks gets the same answer, whether an account has that address or not, and
the asking is throttled per client address and, at a higher limit, per address asked
for. A known,
active account gets a mail (queued in the outbox in the request's transaction) with
a signed link that works once (``UsedToken``) and for ``PASSWORD_RESET_LINK_MINUTES``;
it also dies when the password changes (the link carries a fingerprint of the hash).
Opening the link changes nothing: its page's form POSTs the new password. A reset
ends every session of the account (a new session token) and logs no one in, so a
second factor is still asked for at the next login."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from blogapp.auth.forms import PasswordForm
from blogapp.auth.passwords import set_password
from blogapp.auth.views import bp
from blogapp.extensions import db
from blogapp.interface_language import account_language, mail_locale
from blogapp.mail import links
from blogapp.mail.link_request import LinkRequestForm, address_field, refused
from blogapp.mail.outbox import enqueue, mail_enabled, site_url
from blogapp.models import OutboxKind, UsedToken, User

PURPOSE = "reset"
SENT = (
    "If an account uses that address, a link to choose a new password is on its way. "
    "It works once, for an hour."
)


class ForgotForm(LinkRequestForm):
    email = address_field("Your account's e-mail address")


def _fingerprint(user: User) -> str:
    """Changes with the password: a link made before a change no longer works."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:16]


def send_reset_link(email: str) -> None:
    """Queue the mail when an active account has ``email``; nothing otherwise."""
    user = db.session.scalar(
        select(User).where(
            func.lower(User.email) == email.strip().lower(), User.is_active_account.is_(True)
        )
    )
    if user is None or not user.email:
        return
    token = links.make(PURPOSE, {"u": user.id, "f": _fingerprint(user)}, single_use=True)
    nonce = links.read(PURPOSE, token)["n"]
    url = site_url("auth.reset_password", token=token)
    minutes = int(current_app.config["PASSWORD_RESET_LINK_MINUTES"])
    with mail_locale(account_language(user)):  # the account's language, not the page's
        enqueue(
            key=f"password-reset.{user.id}.{nonce}",
            kind=OutboxKind.PASSWORD_RESET,
            recipient=user.email,
            subject=_("Choose a new password"),
            ref=f"user:{user.id}",
            text=_(
                "Someone (we hope you) asked to choose a new password for the account "
                "“%(login)s”.\n\nChoose it here (the link works once, for %(minutes)s "
                "minutes):\n%(link)s\n\nIf you did not ask, ignore this mail: your "
                "password stays as it is.\n",
                login=user.login,
                minutes=minutes,
                link=url,
            ),
        )


@bp.route("/login/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/forgot.html", form=form, mail=mail_enabled()), status
    email = form.email.data
    # Per client address, and per address asked for at a higher limit: requests from
    # elsewhere must not keep a writer from their own link (and the links they caused
    # reach the writer's mailbox and work anyway), but nobody floods that mailbox.
    config = current_app.config
    too_many = refused(
        "reset",
        email,
        per_client=config["PASSWORD_RESET_RATE_LIMIT"],
        per_address=config["PASSWORD_RESET_ACCOUNT_RATE_LIMIT"],
        message=_l("Too many requests for a new password; please wait and try again."),
    )
    if too_many:
        return too_many
    if mail_enabled():
        send_reset_link(email)
    db.session.commit()
    return render_template("auth/forgot_sent.html", message=SENT)


def _user_of(token: str) -> tuple[User, dict]:
    """The account a genuine, unexpired, unused link is for; LinkError otherwise."""
    minutes = int(current_app.config["PASSWORD_RESET_LINK_MINUTES"])
    data = links.read(PURPOSE, token, timedelta(minutes=minutes))
    used = db.session.get(UsedToken, str(data.get("n", "")))
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if used is not None:
        raise links.LinkError("This link was already used. Ask for a new one if you need it.")
    if (
        user is None
        or not user.is_active_account
        or not hmac.compare_digest(str(data.get("f", "")), _fingerprint(user))
    ):
        raise links.LinkError("This link no longer works: the password was changed since.")
    return user, data


@bp.after_request
def _token_page(response):
    """The reset page's URL is its token: like every page opened from a mail link, it
    names itself in no Referer (a link or an image on it would hand the token on)."""
    if request.endpoint == "auth.reset_password":
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user, data = _user_of(token)
    except links.LinkError as error:
        return render_template("auth/reset_problem.html", message=error.message), 400
    form = PasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/reset.html", form=form, token=token, login=user.login), status
    if not links.consume(data["n"], PURPOSE):
        db.session.rollback()
        return render_template(
            "auth/reset_problem.html", message=_l("This link was already used.")
        ), 400
    set_password(user, form.password.data)  # a new session token: every session ends
    db.session.commit()
    flash(
        _(
            "Your password is changed and every session of the account has ended. "
            "Log in with the new password."
        ),
        "success",
    )
    return redirect(url_for("auth.login"))
