"""The newsletter's pages: the sign-up POST from the form on every (shared, cached)
page, and the pages the links in its mails open (confirm, one-click unsubscribe,
choose lists).

The form's page is the same for every reader without a session, so it holds no
CSRF token: the POST must come from a page of this site (``is_same_origin``) and is
throttled per client address and per e-mail address. The pages behind mail links
carry a signed token, which is their authority: a GET or HEAD only shows a button,
and the POST does the change (an RFC 8058 one-click POST comes without cookies).
Those pages are never cached and never sent on as a Referer."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from blogapp import throttle
from blogapp.errors import render_error
from blogapp.extensions import csrf
from blogapp.interface_language import INTERFACE_LANGUAGES, set_page_language
from blogapp.mail.links import LinkError, pressed, read
from blogapp.mail.outbox import mail_enabled
from blogapp.models import NEWSLETTER_LISTS
from blogapp.newsletter import services
from blogapp.security import is_same_origin

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")

# Enough to refuse typing mistakes; the confirmation mail proves the rest.
EMAIL = re.compile(r"^[^@\s<>\"(),;:]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _page(template: str, status: int = 200, **context):
    return render_template(f"newsletter/{template}", **context), status


def _message(title: str, message: str, status: int = 200, manage: str | None = None):
    return _page("message.html", status, title=title, message=message, manage=manage)


@bp.post("/subscribe")
@csrf.exempt  # the form is on shared pages: see the module's docstring
def subscribe():
    if not is_same_origin():
        return render_error(403, _("This form must be sent from a page of this site."))
    if not mail_enabled():
        return render_error(404, _("This site sends no e-mail."))
    email = (request.form.get("email") or "").strip()
    lists = request.form.get("lists") or ""
    problems = []
    if len(email) > 254 or not EMAIL.match(email):
        problems.append(_("Please enter a valid e-mail address, like name@example.org."))
    if lists not in NEWSLETTER_LISTS:
        problems.append(_("Please choose English, ខ្មែរ or both."))
    if problems:
        return _page("signup.html", 400, problems=problems, email=email[:254], lists=lists)
    local, domain = email.rsplit("@", 1)
    email = f"{local}@{domain.lower()}"  # one subscriber per address, however it is typed
    limit = current_app.config["NEWSLETTER_SIGNUP_RATE_LIMIT"]
    verdict = throttle.hit(
        throttle.Counter("newsletter-address", throttle.client_address(), limit),
        throttle.Counter("newsletter-email", email.lower(), limit),
    )
    if not verdict.allowed:
        return throttle.refused(verdict, _("Too many sign-ups; please wait and try again."))
    services.sign_up(email, lists)
    return _page("check_inbox.html", email=email)


def _read(purpose: str, token: str, max_age: timedelta | None = None):
    """The subscriber a link names, or the page saying why the link does not work."""
    try:
        data = read(purpose, token, max_age)
    except LinkError as error:
        return None, _message(_("This link does not work"), _(error.message), 400)
    subscriber = services.subscriber_for(data)
    if subscriber is None:
        return None, _message(_("This link does not work"),
                              _("This address is no longer on the list."), 400)
    if subscriber.lists in INTERFACE_LANGUAGES:  # a personal page: in the list's language
        set_page_language(subscriber.lists)
    return subscriber, None


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt
def confirm(token: str):
    age = timedelta(days=float(current_app.config["CONFIRM_LINK_DAYS"]))
    subscriber, problem = _read("newsletter-confirm", token, age)
    if problem:
        return problem
    if not pressed():
        return _page("confirm.html", token=token, lists=services.LIST_NAMES[subscriber.lists])
    services.confirm(subscriber)
    return _message(_("Subscription confirmed"),
                    _("New posts (%(lists)s) will be e-mailed to %(email)s.",
                      lists=services.LIST_NAMES[subscriber.lists], email=subscriber.email),
                    manage=services.manage_url(subscriber))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    subscriber, problem = _read("newsletter-unsubscribe", token)
    if problem:
        return problem
    if not pressed():
        return _page("unsubscribe.html", token=token)
    services.unsubscribe(subscriber)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return _message(_("Unsubscribed"), _("You will get no more posts by e-mail."),
                    manage=services.manage_url(subscriber))


@bp.route("/manage/<token>", methods=["GET", "POST"])
@csrf.exempt
def manage(token: str):
    subscriber, problem = _read("newsletter-manage", token)
    if problem:
        return problem
    message = None
    if pressed():
        wanted = request.form.get("lists", "")
        if wanted == "none":
            services.unsubscribe(subscriber)
            message = _("You will get no more posts by e-mail.")
        elif wanted in NEWSLETTER_LISTS:
            services.choose_lists(subscriber, wanted)
            message = _("You will get new posts in %(lists)s.", lists=services.LIST_NAMES[wanted])
        else:
            return _message(_("Nothing chosen"), _("Choose a list, or to stop."), 400)
    return _page("manage.html", token=token, subscriber=subscriber, message=message,
                 names=services.LIST_NAMES)
