"""The pages links in mails open, for people who are not logged in: confirm reply
notifications, unsubscribe (also RFC 8058's one-click POST), "your subscriptions",
and moderate a held comment. The signed token in the address is the authority,
so the POSTs need no CSRF token (a one-click unsubscribe comes from the reader's
mail provider, without cookies). A GET or HEAD only shows; its page's button
POSTs (``links.pressed``).

The pages hold a personal token: never stored by a cache, never sent on as a
Referer."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from blogapp.comments import email_moderation, keys, subscriptions
from blogapp.extensions import csrf
from blogapp.interface_language import N_
from blogapp.mail.links import LinkError, pressed
from blogapp.mail.subscriptions import MANAGE, Pages, add_pages, private

bp = Blueprint("comment_mail", __name__, url_prefix="/mail")


bp.after_request(private)


def _page(template: str, status: int = 200, **context):
    return render_template(f"mail/{template}", **context), status


def _problem(error: LinkError):
    return _page(
        "message.html", 400, title=_("This link does not work"), message=_(error.message)
    )  # marked with N_ where it was raised


def _confirm(subscriber) -> None:
    """The address is confirmed, and the browser that pressed the button gets a
    commenter key (``keys``): its comments as this address count as known."""
    subscriptions.confirm(subscriber)
    keys.issue(subscriber.email)


def _confirmed(subscriber) -> tuple[str, str]:
    return (
        _("Address confirmed"),
        _(
            "%(email)s is confirmed: it will be e-mailed about the replies it asked for, "
            "and comments sent from this browser with it count as yours.",
            email=subscriber.email,
        ),
    )


def _unsubscribe(subscriber, data: dict) -> None:
    subscriptions.end(subscriber.id, [i for i in data.get("ids") or [] if isinstance(i, int)])


def _manage(subscriber, form) -> str | None:
    wanted = form.get("end", "")
    if wanted == "all":
        subscriptions.end(subscriber.id)
        return _("All your subscriptions have ended.")
    if wanted.isdigit() and len(wanted) < 12:
        ended = subscriptions.end(subscriber.id, [int(wanted)])
        return _("That subscription has ended.") if ended else _("It had already ended.")
    return None


add_pages(
    bp,
    subscriptions.REPLIES,
    Pages(
        confirm=_confirm,
        confirmed=_confirmed,
        unsubscribe=_unsubscribe,
        unsubscribed=N_("You will get no more of these notifications."),
        manage=_manage,
        manage_template="subscriptions.html",
        manage_context=lambda subscriber: {
            "items": subscriptions.active_subscriptions(subscriber.id),
            "browsers": keys.recognised_browsers(subscriber.email),
        },
        nothing_chosen=N_("Choose a subscription to end."),
    ),
    manage_path="/subscriptions/<token>",
)


@bp.route("/subscriptions/browsers/<token>", methods=["POST"])
def forget_browsers(token: str):
    """The "Forget my browsers" button of the subscriptions page. Unlike that page's
    other buttons, it checks the form's CSRF token: a reader who forwarded a
    notification should not have a page elsewhere undo every browser of theirs."""
    try:
        subscriber, _data = subscriptions.REPLIES.read(MANAGE, token)
    except LinkError as error:
        return _problem(error)
    keys.forget_browsers(subscriber.email)
    return render_template(
        "mail/message.html",
        title=_("Browsers forgotten"),
        message=_(
            "No browser recognises you now as %(email)s: your comments will be held for "
            "moderation until you confirm your address again from a browser.",
            email=subscriber.email,
        ),
        manage=subscriptions.subscriptions_url(subscriber),
    )


@bp.route("/moderate/<token>", methods=["GET", "POST"])
@csrf.exempt
def moderate(token: str):
    try:
        link = email_moderation.read_link(token)
    except LinkError as error:
        return _problem(error)
    if not pressed():
        return _page("moderate.html", token=token, link=link, reason=email_moderation.why_not(link))
    changed, message = email_moderation.act(link)
    return _page(
        "message.html",
        200 if changed else 409,
        title="Done" if changed else "Nothing changed",
        message=message,
    )
