"""Template globals and filters shared by every page."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, current_app, get_template_attribute, has_request_context, render_template
from flask import request as _request
from jinja2 import nodes
from jinja2.ext import Extension
from markupsafe import Markup, escape

from blogapp.assets import register_assets
from blogapp.content import post_label
from blogapp.content_version import (
    EVERYTHING,
    STRUCTURE,
    post_scope,
    remembered,
    shows_comments_of,
)
from blogapp.dates import format_date, format_datetime, format_month, month_name, to_local
from blogapp.digits import format_count, page_digits
from blogapp.interface_language import current_language, page_language, site_description
from blogapp.language_switch import language_switch
from blogapp.models import CommentStatus, FollowerStatus, NewsletterStatus, OutboxStatus, PostStatus
from blogapp.page_cache import part, register_part
from blogapp.permalinks import post_url
from blogapp.post_queries import (
    ShownPost,
    held_listing,
    sidebar,
    sidebar_comments,
    sidebar_html,
)
from blogapp.translations.services import ENDONYMS, listing_language

# Where a held listing page (the static export's) leaves a post's summary out.
HELD_SUMMARY = '<article data-held-summary="{id}"></article>'

# The pieces of the frame that show content, and the scope they read (the navigation:
# the top categories' names and paths); the others show only the configuration's words
# and fixed addresses, and are kept without asking for the content's versions (the
# error pages render them while the database is away).
KEPT_SCOPES = {"nav": STRUCTURE}
KEPT_PER_NAME = 16  # renderings kept of each piece (its languages and keys)
_KEPT_FRAME = "blogapp_kept_frame"  # in app.extensions: name -> {key: Markup}


# Stand-ins for a post's id, title and address in the share links rendered once per
# language (posts/_share.html), as the template writes them: the id and the address
# escaped, the title and the address URL-encoded (no text holds a U+0001).
_SHARE_ID, _SHARE_TITLE, _SHARE_ADDRESS = "\x01I\x01", "\x01T\x01", "\x01A\x01"
_SHARE_SLOTS = re.compile("(\x01I\x01|%01T%01|\x01A\x01|%01A%01)")
_KEPT_SHARE = "blogapp_kept_share"  # in app.extensions: (language, root) -> parts


class KeptExtension(Extension):
    """``{% kept "name", key… %}…{% endkept %}``: a piece of the frame rendered once per
    worker for each interface language, script root, site name and description and
    ``key``, and for a piece in ``KEPT_SCOPES`` per version of what it reads, then
    written as kept on every page.

    A piece reads nothing but those, translated words and fixed addresses (``url_for``
    of no request argument): its bytes are the same as when it is rendered in place,
    as it always is with ``KEEP_RENDERED`` off or in debug mode."""

    tags = {"kept"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        keys = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endkept",), drop_needle=True)
        call = self.call_method("_kept", [nodes.List(keys)])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    @staticmethod
    def _kept(keys: list, caller: Callable[[], str]) -> Markup:
        app = current_app._get_current_object()
        config = app.config
        if not config["KEEP_RENDERED"] or app.debug:
            return Markup(caller())
        name = keys[0]
        key = (
            current_language(),
            _request.script_root if has_request_context() else "",
            config["SITE_NAME"],
            config["SITE_DESCRIPTION"],
            config["SITE_LANGUAGE"],
            tuple(config["SITE_DESCRIPTIONS"].items()),
            *keys[1:],
        )
        scope = KEPT_SCOPES.get(name)
        if scope is not None:
            return remembered(
                "kept:" + name,
                key,
                lambda: Markup(caller()),
                scope=scope,
                maxsize=KEPT_PER_NAME,
            )
        store = app.extensions.setdefault(_KEPT_FRAME, {}).setdefault(name, {})
        found = store.get(key)
        if found is None:
            found = Markup(caller())
            if len(store) >= KEPT_PER_NAME:
                store.clear()
            store[key] = found
        return found


def register_template_helpers(app: Flask) -> None:
    register_assets(app)
    app.jinja_env.add_extension(KeptExtension)
    app.add_template_global(post_url)
    app.add_template_global(sidebar)
    app.add_template_global(sidebar_comments)
    app.add_template_global(listing_language)
    app.add_template_global(language_switch)
    # Called where it is shown: a context processor runs before the page's language is set.
    app.add_template_global(site_description)
    app.add_template_global(ENDONYMS, "language_names")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_count, "count")
    app.add_template_filter(page_digits, "digits")
    app.add_template_global(month_name)
    app.add_template_global(format_month)
    # Templates compare statuses to the same enums as the code does.
    for status_enum in (PostStatus, CommentStatus, OutboxStatus, NewsletterStatus, FollowerStatus):
        app.add_template_global(status_enum, status_enum.__name__)
    app.add_template_filter(format_datetime, "datetime")

    # The same for every page until the content changes: rendered once per worker and
    # language, and a part of kept pages (blogapp.page_cache), filled in on each hit. Its
    # latest comments are rendered apart, as they change with every approved comment.
    register_part(
        app,
        "sidebar",
        lambda language: sidebar_html(
            lambda slot: render_template("_sidebar.html", recent_comments_slot=Markup(slot)),
            lambda: render_template("_sidebar_comments.html"),
            language,
        ),
        scope=EVERYTHING,  # the site and every comment: as sidebar_html keeps it
    )

    @app.template_global("share_links")
    def share_links(post, address: str) -> Markup:
        """The post page's share links for ``post`` at ``address``: the section rendered
        once per worker, language and script root, the post's id, title and address
        filled in (the same bytes as ``share_block`` rendered for it)."""
        share_block = get_template_attribute("posts/_share.html", "share_block")
        title = label(post)
        if not app.config["KEEP_RENDERED"] or app.debug:
            return Markup(share_block(post.id, title, address))
        key = (current_language(), _request.script_root if has_request_context() else "")
        kept = app.extensions.setdefault(_KEPT_SHARE, {})
        parts = kept.get(key)
        if parts is None:
            skeleton = str(share_block(_SHARE_ID, _SHARE_TITLE, _SHARE_ADDRESS))
            parts = _SHARE_SLOTS.split(skeleton)
            if any("\x01" in text for text in parts[::2]):
                raise ValueError("posts/_share.html writes a stand-in in a way not filled in")
            if len(kept) >= 16:
                kept.clear()
            kept[key] = parts
        urlencode = app.jinja_env.filters["urlencode"]
        values = {
            _SHARE_ID: str(escape(post.id)),
            "%01T%01": str(escape(urlencode(title))),
            _SHARE_ADDRESS: str(escape(address)),
            "%01A%01": str(escape(urlencode(address))),
        }
        return Markup("".join(values[p] if i % 2 else p for i, p in enumerate(parts)))

    @app.template_global("comment_count")
    def comment_count(post) -> int:
        # A page showing a post's count changes when that post's comments do.
        shows_comments_of(getattr(post, "id", None))
        return post.comment_count

    @app.template_global("post_summary")
    def post_summary(post) -> Markup:
        """A listing's summary of ``post`` (``summary`` in _macros.html), rendered once
        per version of the post and its comments, per language: the same post is shown
        by the front page, its categories', tags', author's and date archives' pages."""
        shows_comments_of(post.id)  # what comment_count() says when it renders
        if (held := held_listing()) is not None:
            # The static export's listing page: the summary's place is left in the page
            # for the export's own copy of it, rewritten once for every listing.
            if not isinstance(post, ShownPost):
                held.rendered[post.id] = str(rendered_summary(post))
            return Markup(HELD_SUMMARY.format(id=int(post.id)))
        return rendered_summary(post)

    def rendered_summary(post) -> Markup:
        return remembered(
            "summary",
            (post.id, page_language(), current_language()),
            lambda: Markup(get_template_attribute("_macros.html", "summary")(post)),
            scope=post_scope(post.id),
            maxsize=int(current_app.config["SUMMARY_CACHE_BYTES"]),
            sizeof=len,
        )

    @app.template_global("sidebar_html")
    def rendered_sidebar() -> Markup:
        return Markup(part("sidebar", current_language()))

    @app.template_filter("isodate")
    def isodate(value) -> str:
        return to_local(value).isoformat(timespec="seconds")

    @app.template_global()
    def label(post) -> str:
        # A titled post's label is its title: no date to write (most posts).
        title = post.title.strip()
        return title if title else post_label(post, format_date(post.published_at))

    @app.template_global()
    def absolute(path: str) -> str:
        """An absolute URL from the configured site URL, never from the request's Host."""
        return current_app.config["SITE_URL"] + path

    @app.context_processor
    def site():
        return {
            "config_site": {
                "name": app.config["SITE_NAME"],
                "description": app.config["SITE_DESCRIPTION"],
                "language": app.config["SITE_LANGUAGE"],
            }
        }
