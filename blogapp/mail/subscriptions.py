"""What every mailing list of the site does the same way: the signed links in its
mails (confirm, unsubscribe, manage), the subscriber a link names, the footer and
RFC 8058's List-Unsubscribe headers, and the pages those links open.

A feature plugs in with a ``Subscriptions`` (its subscriber table, its blueprint's
endpoints, its link purposes and its templates) and calls ``add_pages`` with what
its pages do; this module imports no feature.

A link names its row by id and by a keyed fingerprint of the row's address, so it
reaches only the row it was made for even should the id be given to someone else,
and the address itself is not in the URL (logs, browser history). Links mailed
before then still work: one that carries the address itself is held to it, and one
that names no address only reaches a row as old as the link.

The pages' signed token is their authority, so their POSTs need no CSRF token (an
RFC 8058 one-click POST comes from the reader's mail provider, without cookies). A
GET or HEAD only shows; the page's button POSTs (``links.pressed``). The pages hold
a personal token: never stored by a cache, never sent on as a Referer.

The words a list gives as constants (``Subscriptions``' and ``Pages``' strings) are
marked with ``N_`` and translated here, where they are shown, in the page's language;
what a list's functions return is made in the request, already translated."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import escape

from blogapp.extensions import csrf, db
from blogapp.interface_language import INTERFACE_LANGUAGES, N_, set_page_language
from blogapp.mail import links
from blogapp.mail.outbox import site_url

CONFIRM, UNSUBSCRIBE, MANAGE = "confirm", "unsubscribe", "manage"
STEPS = (CONFIRM, UNSUBSCRIBE, MANAGE)


@dataclass(frozen=True)
class Subscriptions:
    """One mailing list of a feature, as its links and pages need it.

    ``model`` is the subscriber table (``id``, ``email``, ``created_at``);
    ``endpoints`` and ``purposes`` name, for each of ``STEPS``, the route its link
    opens and the link's signing purpose; ``templates`` is the folder holding the
    feature's ``confirm.html`` and manage page (the unsubscribe and message pages
    are ``mail/``'s); ``gone`` is said of a link whose row no longer exists, ``stop``
    is the unsubscribe page's sentence ("Press the button to …"), ``manage_label``
    names the link to the manage page (each marked with ``N_``)."""

    model: type
    endpoints: dict[str, str]
    purposes: dict[str, str]
    templates: str
    gone: str
    stop: str
    manage_label: str

    def token(self, step: str, subscriber: Any, **extra: Any) -> str:
        return links.make(self.purposes[step], {**token_data(subscriber), **extra})

    def url(self, step: str, subscriber: Any, **extra: Any) -> str:
        return site_url(self.endpoints[step], token=self.token(step, subscriber, **extra))

    def read(self, step: str, token: str, max_age: timedelta | None = None):
        """The subscriber a genuine link names, and the link's data; LinkError otherwise."""
        data = links.read(self.purposes[step], token, max_age)
        subscriber = subscriber_for(self.model, data)
        if subscriber is None:
            raise links.LinkError(self.gone)
        return subscriber, data

    def link_maker(self) -> LinkMaker:
        return LinkMaker(self)


def token_data(subscriber: Any) -> dict:
    return {"s": subscriber.id, "e": links.fingerprint(subscriber.email)}


def subscriber_for(model: type, data: dict) -> Any | None:
    """The row of ``model`` a signed link names, if it still exists with that address."""
    subscriber_id, address = data.get("s"), data.get("e")
    subscriber = db.session.get(model, subscriber_id) if isinstance(subscriber_id, int) else None
    if subscriber is None:
        return None
    if isinstance(address, str):
        if hmac.compare_digest(address, links.fingerprint(subscriber.email)):
            return subscriber
        # A link mailed when links carried the address itself.
        same = hmac.compare_digest(address.encode(), subscriber.email.encode())
        return subscriber if same else None
    # A link mailed before links named the address (an unsubscribe link must keep
    # working): only a row as old as the link can be the one it was made for.
    return subscriber if links.made_before(subscriber.created_at, data) else None


class LinkMaker:
    """A subscriber's links, for thousands of subscribers: the routes' URLs are built
    once (outside a request each ``url_for`` needs a request context of its own) and
    only the signed tokens differ."""

    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions
        self.urls = {
            step: site_url(endpoint, token="TOKEN")
            for step, endpoint in subscriptions.endpoints.items()
        }

    def __call__(self, step: str, subscriber: Any, **extra: Any) -> str:
        return self.urls[step].replace("TOKEN", self.subscriptions.token(step, subscriber, **extra))


def list_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 8058: mail providers show an "Unsubscribe" button that POSTs to the link."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def footer_text(*lines: tuple[str, str]) -> str:
    """The signature block under a mail's text: each ``(label, url)`` on its line."""
    return "\n-- \n" + "".join(f"{label}: {url}\n" for label, url in lines)


def footer_html(*lines: tuple[str, str]) -> str:
    anchors = " · ".join(f'<a href="{escape(url)}">{escape(label)}</a>' for label, url in lines)
    return f"<hr><p>{anchors}</p>\n"


def private(response):
    """For a blueprint's ``after_request``: the page holds a personal token."""
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@dataclass(frozen=True)
class Pages:
    """What a feature's link pages do and say; ``add_pages`` makes the routes.

    ``confirm(subscriber)`` and ``unsubscribe(subscriber, data)`` do the change
    (``data`` is the link's: which subscriptions it ends); ``manage(subscriber,
    form)`` acts on the manage page's POST and returns the message to show, or None
    when nothing was chosen; ``confirm_context(subscriber)`` adds to the confirm
    page; ``manage_context(subscriber)`` gives the manage page what it lists;
    ``language(subscriber)`` is the language the pages behind the subscriber's links
    speak (None: the page's own, from ``?lang=`` or the site's). The strings are
    marked with ``N_``; the functions return translated text."""

    confirm: Callable[[Any], None]
    confirmed: Callable[[Any], tuple[str, str]]
    unsubscribe: Callable[[Any, dict], None]
    unsubscribed: str
    manage: Callable[[Any, Any], str | None]
    manage_template: str
    manage_context: Callable[[Any], dict]
    confirm_context: Callable[[Any], dict] = lambda subscriber: {}
    nothing_chosen: str = N_("Choose what to change.")
    language: Callable[[Any], str | None] = lambda subscriber: None


def add_pages(
    bp: Blueprint, subscriptions: Subscriptions, pages: Pages, *, manage_path: str
) -> None:
    """The confirm, unsubscribe and manage routes of ``subscriptions`` on ``bp``
    (``/confirm/<token>``, ``/unsubscribe/<token>`` and ``manage_path``)."""
    folder = subscriptions.templates

    def page(template: str, status: int = 200, **context):
        return render_template(f"{folder}/{template}", **context), status

    def message(title: str, text: str, status: int = 200, manage: str | None = None):
        return render_template(
            "mail/message.html",
            title=title,
            message=text,
            manage=manage,
            manage_label=_(subscriptions.manage_label),
        ), status

    def problem(error: links.LinkError):
        # Marked with N_ where it was raised (here, or in links).
        return message(_("This link does not work"), _(error.message), 400)

    def read(step: str, token: str, max_age: timedelta | None = None):
        """``subscriptions.read``, and the page speaks the subscriber's language."""
        subscriber, data = subscriptions.read(step, token, max_age)
        language = pages.language(subscriber)
        if language in INTERFACE_LANGUAGES:  # a personal page: in the list's language
            set_page_language(language)
        return subscriber, data

    def confirm(token: str):
        age = timedelta(days=float(current_app.config["CONFIRM_LINK_DAYS"]))
        try:
            subscriber, _data = read(CONFIRM, token, age)
        except links.LinkError as error:
            return problem(error)
        if not links.pressed():
            return page("confirm.html", token=token, **pages.confirm_context(subscriber))
        pages.confirm(subscriber)
        title, text = pages.confirmed(subscriber)
        return message(title, text, manage=subscriptions.url(MANAGE, subscriber))

    def unsubscribe(token: str):
        try:
            subscriber, data = read(UNSUBSCRIBE, token)
        except links.LinkError as error:
            return problem(error)
        if not links.pressed():
            return render_template(
                "mail/unsubscribe.html",
                stop=_(subscriptions.stop),
                action=url_for(subscriptions.endpoints[UNSUBSCRIBE], token=token),
            )
        pages.unsubscribe(subscriber, data)
        if request.form.get("List-Unsubscribe") == "One-Click":
            return "Unsubscribed.\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
        return message(
            _("Unsubscribed"), _(pages.unsubscribed), manage=subscriptions.url(MANAGE, subscriber)
        )

    def manage(token: str):
        try:
            subscriber, _data = read(MANAGE, token)
        except links.LinkError as error:
            return problem(error)
        said = None
        if links.pressed():
            said = pages.manage(subscriber, request.form)
            if said is None:
                return message(_("Nothing chosen"), _(pages.nothing_chosen), 400)
        return page(
            pages.manage_template, token=token, message=said, **pages.manage_context(subscriber)
        )

    both = ["GET", "POST"]
    endpoints = {step: subscriptions.endpoints[step].rpartition(".")[2] for step in STEPS}
    bp.add_url_rule("/confirm/<token>", endpoints[CONFIRM], csrf.exempt(confirm), methods=both)
    bp.add_url_rule(
        "/unsubscribe/<token>", endpoints[UNSUBSCRIBE], csrf.exempt(unsubscribe), methods=both
    )
    bp.add_url_rule(manage_path, endpoints[MANAGE], csrf.exempt(manage), methods=both)
