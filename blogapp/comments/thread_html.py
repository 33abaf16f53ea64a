"""The comments of a thread page as HTML, written in Python.

``comments/_thread.html`` wraps this list in its ``<ol>`` and adds the page links. The
list was a recursive Jinja loop before; with its translated words, dates and escapes
worked out again for every comment it was most of a post page's cost (a post's first
render, and every page of the static export). Here the words are translated once per
list, and each comment is one string format. The bytes are the loop's, whitespace
included, so a kept page and a fresh one never differ (tests/test_thread_html.py
compares the two for every kind of comment)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

from blogapp.comments.threads import ThreadNode
from blogapp.dates import format_date, site_zone
from blogapp.digits import page_digits
from blogapp.interface_language import page_catalog

# One comment, with the whitespace the Jinja loop wrote.
_ITEM = (
    "\n    \n    "
    '<li id="comment-{id}" class="comment depth-{level}{pending}{moderator}">\n'
    '      <article class="comment-body">\n'
    '        <footer class="comment-meta">\n'
    '          <b class="comment-author">{author}</b>\n'
    '          <span class="sep" aria-hidden="true">|</span>\n'
    '          <a class="comment-date" href="{permalink}#comment-{id}">'
    '<time datetime="{iso}">{shown}</time></a>\n'
    "          {awaiting}\n"
    "        </footer>\n"
    '        <div class="comment-content">{body}</div>\n'
    "        {reply}\n"
    "        {report}\n"
    "      </article>\n"
    "      {replies}\n"
    "    </li>\n"
    "    "
)


class _Words:
    """The list's words in the page's language, translated once per worker and catalog
    (``_words``): a template's ``_()``, the translation taken as markup."""

    def __init__(self, catalog: Any) -> None:
        self.anonymous = Markup(catalog.ugettext("Anonymous")) % {}
        self.reply = Markup(catalog.ugettext("Reply")) % {}
        self.report = Markup(catalog.ugettext("Report")) % {}
        self.awaiting = Markup(catalog.ugettext("Your comment is awaiting moderation.")) % {}
        self.to_name = Markup(catalog.ugettext("to %(name)s"))
        self.by_name = Markup(catalog.ugettext("the comment by %(name)s"))


_KEPT_WORDS: dict[Any, _Words] = {}  # catalog -> its words (a catalog is loaded once)


def _words() -> _Words:
    catalog = page_catalog()
    found = _KEPT_WORDS.get(catalog)
    if found is None:
        if len(_KEPT_WORDS) >= 16:
            _KEPT_WORDS.clear()
        found = _KEPT_WORDS[catalog] = _Words(catalog)
    return found


class _Dates:
    """A comment's time as the ``isodate`` and ``datetime`` filters write it
    (``dates.format_datetime``), with the zone, the words and each day's date looked
    up once per list rather than once per comment."""

    def __init__(self) -> None:
        self.zone = site_zone()
        self.at = page_catalog().ugettext("%(date)s at %(time)s")
        self.days: dict[date, str] = {}

    def __call__(self, moment: datetime) -> tuple[str, str]:
        local = moment.astimezone(self.zone)
        day = self.days.get(local.date())
        if day is None:
            day = self.days[local.date()] = format_date(moment)
        shown = self.at % {"date": day, "time": page_digits(f"{local:%H:%M}")}
        return local.isoformat(timespec="seconds"), shown


def comment_list(
    nodes: Iterable[ThreadNode],
    *,
    permalink: str,
    reply_base: str,
    report_base: str,
    replies_open: bool,
) -> Markup:
    """The ``<li>`` of each comment in ``nodes``, replies nested in ``<ol class="children">``.

    ``permalink`` is the comment page's address, ``reply_base`` and ``report_base`` the
    links' addresses without the comment id; ``replies_open``: the form is shown, so
    each approved comment has its "Reply" link."""
    words = _words()
    parts: list[str] = []
    _write(
        parts,
        nodes,
        words,
        _Dates(),
        str(escape(permalink)),
        str(escape(reply_base)),
        str(escape(report_base)),
        replies_open,
    )
    return Markup("".join(parts))


def _write(
    parts: list[str],
    nodes: Iterable[ThreadNode],
    words: _Words,
    dates: _Dates,
    permalink: str,
    reply_base: str,
    report_base: str,
    replies_open: bool,
) -> None:
    # Recursion is bounded by COMMENTS_THREAD_DEPTH: deeper replies are placed at
    # that level (threads.build_tree).
    for node in nodes:
        c = node.comment
        name = escape(c.author_name) if c.author_name else words.anonymous
        if c.author_url:
            author = (
                f'<a href="{escape(c.author_url)}" rel="external nofollow ugc noopener">{name}</a>'
            )
        else:
            author = str(name)
        pending = node.own_pending
        reply = report = ""
        if not pending:
            if replies_open:
                reply = (
                    f'\n        <p class="reply"><a rel="nofollow" class="comment-reply-link" '
                    f'href="{reply_base}{c.id}#respond">{words.reply}'
                    f'<span class="visually-hidden"> {words.to_name % {"name": name}}</span>'
                    "</a></p>\n        "
                )
            report = (
                f'<p class="comment-report-link"><a rel="nofollow" href="{report_base}{c.id}">'
                f'{words.report}<span class="visually-hidden"> '
                f"{words.by_name % {'name': name}}</span></a></p>"
            )
        iso, shown = dates(c.created_at)
        if node.replies:
            inner: list[str] = []
            _write(
                inner, node.replies, words, dates, permalink, reply_base, report_base, replies_open
            )
            replies = '<ol class="children">' + "".join(inner) + "</ol>"
        else:
            replies = ""
        parts.append(
            _ITEM.format(
                id=c.id,
                level=node.level,
                pending=" comment-pending" if pending else "",
                moderator=" by-moderator" if c.user_id else "",
                author=author,
                permalink=permalink,
                iso=iso,
                shown=escape(shown),
                awaiting=(
                    f'<p class="comment-awaiting-moderation notice">{words.awaiting}</p>'
                    if pending
                    else ""
                ),
                body=c.body_html,
                reply=reply,
                report=report,
                replies=replies,
            )
        )
