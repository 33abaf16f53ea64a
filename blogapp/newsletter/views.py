"""The newsletter's pages: the sign-up POST from the form on every (shared, cached)
page, and the pages the links in its mails open (confirm, one-click unsubscribe,
choose lists).

The form's page is the same for every reader without a session, so it holds no
CSRF token: the POST must come from a page of this site (``is_same_origin``) and is
throttled per client address and per e-mail address. The pages behind mail links
carry a signed token, which is their authority: a GET or HEAD only shows a button,
and the POST does the change (an RFC 8058 one-click POST comes without cookies).
Those pages are never cached and never sent on as a Referer, and speak the
subscriber's list language."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf

from blogapp.errors import render_error
from blogapp.extensions import csrf
from blogapp.interface_language import N_
from blogapp.mail import subscriptions
from blogapp.mail.link_request import LinkRequestForm, one_per_address, refused
from blogapp.mail.outbox import mail_enabled
from blogapp.models import NEWSLETTER_LISTS
from blogapp.newsletter import services
from blogapp.security import is_same_origin

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")


class SignupForm(LinkRequestForm):
    lists = StringField(
        validators=[AnyOf(NEWSLETTER_LISTS, message=_l("Please choose English, ខ្មែរ or both."))]
    )


bp.after_request(subscriptions.private)


def _page(template: str, status: int = 200, **context):
    return render_template(f"newsletter/{template}", **context), status


@bp.post("/subscribe")
@csrf.exempt  # the form is on shared pages: see the module's docstring
def subscribe():
    if not is_same_origin():
        return render_error(403, _("This form must be sent from a page of this site."))
    if not mail_enabled():
        return render_error(404, _("This site sends no e-mail."))
    form = SignupForm(meta={"csrf": False})
    if not form.validate():
        return _page(
            "signup.html",
            400,
            problems=form.problems,
            email=(form.email.data or "")[:254],
            lists=form.lists.data,
        )
    email, lists = one_per_address(form.email.data), form.lists.data
    too_many = refused(
        "newsletter",
        email,
        per_client=current_app.config["NEWSLETTER_SIGNUP_RATE_LIMIT"],
        per_address=current_app.config["NEWSLETTER_SIGNUP_RATE_LIMIT"],
        message=_("Too many sign-ups; please wait and try again."),
    )
    if too_many:
        return too_many
    services.sign_up(email, lists)
    return _page("check_inbox.html", email=email)


def _confirmed(subscriber) -> tuple[str, str]:
    return (
        _("Subscription confirmed"),
        _(
            "New posts (%(lists)s) will be e-mailed to %(email)s.",
            lists=services.LIST_NAMES[subscriber.lists],
            email=subscriber.email,
        ),
    )


def _manage(subscriber, form) -> str | None:
    wanted = form.get("lists", "")
    if wanted == "none":
        services.unsubscribe(subscriber)
        return _("You will get no more posts by e-mail.")
    if wanted in NEWSLETTER_LISTS:
        services.choose_lists(subscriber, wanted)
        return _("You will get new posts in %(lists)s.", lists=services.LIST_NAMES[wanted])
    return None


subscriptions.add_pages(
    bp,
    services.NEWSLETTER,
    subscriptions.Pages(
        confirm=services.confirm,
        confirmed=_confirmed,
        confirm_context=lambda subscriber: {"lists": services.LIST_NAMES[subscriber.lists]},
        unsubscribe=lambda subscriber, data: services.unsubscribe(subscriber),
        unsubscribed=N_("You will get no more posts by e-mail."),
        manage=_manage,
        manage_template="manage.html",
        manage_context=lambda subscriber: {"subscriber": subscriber, "names": services.LIST_NAMES},
        nothing_chosen=N_("Choose a list, or to stop."),
        language=lambda subscriber: subscriber.lists,  # "both": the page's own
    ),
    manage_path="/manage/<token>",
)
