"""The interface's language: the page's own, never the reader's.

A post or page speaks its own language; any other page speaks the language its
``?lang=`` names, else the site's (``SITE_LANGUAGE``). Neither ``Accept-Language``
nor a cookie is read, so one address is the same bytes for every reader: the page
cache keys on ``?lang=`` (``blogapp.page_cache.KEY_PARAMS``) and sends no ``Vary``.

Flask-Babel asks ``page_language()`` the first time a request translates something.
A template rendered with a ``post`` or ``page_obj`` (the post page, its comment
thread, the comment form sent back with errors, the reader's own-comment editor) is
that item's page: ``before_render_template`` sets its language first, so a view
needs no line of its own. Admin screens, and the mails an account receives, speak
the language the account chose (``User.interface_language``), else the site's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    before_render_template,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
)
from flask_babel import Babel, force_locale, get_locale, get_translations, gettext, refresh

from blogapp.config import LANGUAGES

# Languages the interface is written in: each has a catalog under blogapp/translations/
# (English is the source). A post may be in another language; its page then speaks the site's.
INTERFACE_LANGUAGES = tuple(language.code for language in LANGUAGES)
# Each language's name in its own script: what the language switches show. ``?lang=``
# names one of these (``blogapp.translations.services.listing_language``).
ENDONYMS = {language.code: language.endonym for language in LANGUAGES}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# Blueprints whose screens are not reader pages: their language is the account's.
NOT_READER_PAGES = frozenset({"admin", "auth", "moderation"})
_CHOSEN = "blogapp_interface"  # in g: (language, catalog) of this request


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it: a flashed message is
    stored as written and translated where it is shown (``_flashes.html``), in the
    language of that page."""
    return message


def site_language() -> str:
    language = current_app.config["SITE_LANGUAGE"]
    return language if language in INTERFACE_LANGUAGES else "en"


def interface_language(language: str | None) -> str:
    """``language`` when the interface is written in it, else the site's."""
    return language if language in INTERFACE_LANGUAGES else site_language()


def page_language() -> str:
    """Flask-Babel's locale selector: the item's language, else ``?lang=``, else the site's."""
    if not has_request_context():
        return site_language()  # mail and other work outside a request (their own language later)
    chosen = g.get("page_language")
    if chosen:
        return chosen
    if request.blueprint in NOT_READER_PAGES:
        # Flask-Login's user as already loaded (no query here: a login POST must take
        # its throttle's lock before the request's first query); anonymous: the site's.
        return account_language(g.get("_login_user"))
    return interface_language(request.args.get("lang"))


def account_language(user: Any) -> str:
    """The language ``user`` chose for the admin and their mails, else the site's."""
    return interface_language(getattr(user, "interface_language", None))


def set_page_language(language: str | None) -> None:
    """This request's page is in ``language``: what is translated from now on follows it."""
    chosen = interface_language(language)
    if g.get("page_language") == chosen:
        return
    g.page_language = chosen
    refresh()
    g.pop(_CHOSEN, None)
    # Flask-WTF keeps WTForms' own catalog per request, loaded for the earlier locale.
    request.__dict__.pop("wtforms_translations", None)


@contextmanager
def mail_locale(language: str | None) -> Iterator[str]:
    """Write a mail in ``mail_language(language)`` inside a request or a worker."""
    chosen = mail_language(language)
    g.pop(_CHOSEN, None)
    try:
        with force_locale(chosen):
            yield chosen
    finally:
        g.pop(_CHOSEN, None)


def _chosen() -> tuple[str, Any]:
    """(language, catalog) of what is being rendered, looked up once per request: a page
    translates dozens of strings and writes dozens of dates and counts."""
    found = g.get(_CHOSEN)
    if found is None:
        locale = get_locale()
        language = str(locale) if locale is not None else site_language()
        found = g.setdefault(_CHOSEN, (language, get_translations()))
    return found


def page_catalog() -> Any:
    """The catalog the page is being rendered with (what ``gettext`` translates with)."""
    return _chosen()[1]


# blogapp.config's default tagline, here so that `make translations` puts it in the catalog.
DEFAULT_DESCRIPTION = N_("Op-eds on politics and society, in English and Khmer.")


def site_description() -> str:
    """The site's tagline in the page's language: ``SITE_DESCRIPTIONS[language]`` when
    set, else ``SITE_DESCRIPTION`` through the catalog (the default one is translated)."""
    config = current_app.config
    own = config["SITE_DESCRIPTIONS"].get(current_language())
    return own or gettext(config["SITE_DESCRIPTION"])


def current_language() -> str:
    """The language this page is being rendered in: ``<html lang>``."""
    return _chosen()[0] if has_app_context() else "en"


def mail_language(language: str | None) -> str:
    """A mail's language: ``language`` (a list's, a post's) when the interface speaks it,
    else the language of the page the request came from (outside one, the site's)."""
    return language if language in INTERFACE_LANGUAGES else current_language()


def other_than_site_language() -> str | None:
    """This page's language when it is not the site's: the ``?lang=`` a form on it sends
    with its answer, so that the page answering speaks the same language."""
    here = current_language()
    return here if here != site_language() else None


def _item_page(sender: Flask, template: Any, context: dict, **extra: Any) -> None:
    set_item_language(context.get("post") or context.get("page_obj"))


def set_item_language(item: Any) -> None:
    """A reader's page showing ``item`` (a post, a page) speaks its language: what a
    template rendered with it sets (``before_render_template``), for one rendered
    without ``render_template``."""
    if request.blueprint in NOT_READER_PAGES:
        return
    language = getattr(item, "language", None)
    if language:
        set_page_language(language)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["SITE_LANGUAGE"])
    Babel(app, locale_selector=page_language)
    # Templates' _() and ngettext() as Flask-Babel installs them, with the catalog found
    # once per request (its own lookup is several steps for each string).
    app.jinja_env.install_gettext_callables(
        gettext=lambda text: _chosen()[1].ugettext(text),
        ngettext=lambda one, many, n: _chosen()[1].ungettext(one, many, n),
        newstyle=True,
    )
    before_render_template.connect(_item_page, app)
    app.add_template_global(current_language, "page_language")
    app.add_template_filter(gettext, "translated")
    app.add_template_global(other_than_site_language)
