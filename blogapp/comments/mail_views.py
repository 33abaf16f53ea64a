"""The pages links in mails open, for people who are not logged in: confirm reply
notifications, unsubscribe (also RFC 8058's one-click POST), "your subscriptions",
and moderate a held comment. The signed token in the address is the authority,
so the POSTs need no CSRF token (a one-click unsubscribe comes from the reader's
mail provider, without cookies). A GET or HEAD only shows; its page's button
POSTs (``links.pressed``).

The pages hold a personal token: never stored by a cache, never sent on as a
Referer."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from blogapp.comments import email_moderation, subscriptions
from blogapp.extensions import csrf
from blogapp.interface_language import N_
from blogapp.mail.links import LinkError, pressed, read

bp = Blueprint("comment_mail", __name__, url_prefix="/mail")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _page(template: str, status: int = 200, **context):
    return render_template(f"mail/{template}", **context), status


def _problem(error: LinkError):
    return _page("message.html", 400, title=_("This link does not work"),
                 message=_(error.message))  # marked with N_ where it was raised


def _subscriber(purpose: str, token: str, max_age: timedelta | None = None):
    """The subscriber a genuine link names, and the link's data; LinkError otherwise."""
    data = read(purpose, token, max_age)
    subscriber = subscriptions.subscriber_for(data)
    if subscriber is None:
        raise LinkError(N_("This address is no longer subscribed."))
    return subscriber, data


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@csrf.exempt
def confirm(token: str):
    age = timedelta(days=float(current_app.config["CONFIRM_LINK_DAYS"]))
    try:
        subscriber, _data = _subscriber("confirm", token, age)
    except LinkError as error:
        return _problem(error)
    if not pressed():
        return _page("confirm.html", token=token)
    subscriptions.confirm(subscriber)
    return _page("message.html", title=_("Notifications confirmed"),
                 message=_("%(email)s will be e-mailed about new replies.",
                           email=subscriber.email),
                 manage=subscriptions.subscriptions_url(subscriber))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    try:
        subscriber, data = _subscriber("unsubscribe", token)
    except LinkError as error:
        return _problem(error)
    if not pressed():
        return _page("unsubscribe.html", token=token)
    ids = [i for i in data.get("ids") or [] if isinstance(i, int)]
    subscriptions.end(subscriber.id, ids)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return _page("message.html", title=_("Unsubscribed"),
                 message=_("You will get no more of these notifications."),
                 manage=subscriptions.subscriptions_url(subscriber))


@bp.route("/subscriptions/<token>", methods=["GET", "POST"], endpoint="subscriptions")
@csrf.exempt
def subscriptions_page(token: str):
    try:
        subscriber, _data = _subscriber("subscriptions", token)
    except LinkError as error:
        return _problem(error)
    subscriber_id = subscriber.id
    message = None
    if pressed():
        wanted = request.form.get("end", "")
        if wanted == "all":
            subscriptions.end(subscriber_id)
            message = _("All your subscriptions have ended.")
        elif wanted.isdigit() and len(wanted) < 12:
            ended = subscriptions.end(subscriber_id, [int(wanted)])
            message = _("That subscription has ended.") if ended else _("It had already ended.")
        else:
            return _page("message.html", 400, title=_("Nothing chosen"),
                         message=_("Choose a subscription to end."))
    return _page("subscriptions.html", token=token, message=message,
                 items=subscriptions.active_subscriptions(subscriber_id))


@bp.route("/moderate/<token>", methods=["GET", "POST"])
@csrf.exempt
def moderate(token: str):
    try:
        link = email_moderation.read_link(token)
    except LinkError as error:
        return _problem(error)
    if not pressed():
        return _page("moderate.html", token=token, link=link,
                     reason=email_moderation.why_not(link))
    changed, message = email_moderation.act(link)
    return _page("message.html", 200 if changed else 409,
                 title="Done" if changed else "Nothing changed", message=message)
