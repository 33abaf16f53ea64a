"""The Reading screen at ``/admin/stats/`` (editors): views per day over 30 and 365
days, drawn as SVG on the server; the top posts and channels, English and Khmer side
by side; where the counts come from and what they cannot see. Also each post's own
numbers on its editing screen (``post_reading``, a template global)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from blogapp.auth.permissions import editor_required
from blogapp.config import LANGUAGES
from blogapp.stats import queries
from blogapp.stats.chart import draw
from blogapp.stats.ingest import today

bp = Blueprint("stats_admin", __name__, url_prefix="/admin/stats")

CHANNEL_NAMES = {
    "newsletter": _l("Newsletter"),
    "telegram": _l("Telegram"),
    "facebook": _l("Facebook"),
    "search": _l("Search engines"),
    "fediverse": _l("Fediverse"),
    "site": _l("From another page of the site"),
    "other": _l("Other sites"),
    "direct": _l("Direct (no referrer)"),
}
LANGUAGE_NAMES = {language.code: language.endonym for language in LANGUAGES}


@bp.get("/")
@editor_required
def overview():
    last = today()
    month, year = last - timedelta(days=29), last - timedelta(days=364)
    by_day = queries.views_by_day(year, last)
    return render_template(
        "stats/overview.html",
        month_chart=draw(last, 30, by_day),
        year_chart=draw(last, 365, by_day),
        readers_30=queries.readers_by_day(month, last),
        top_posts=queries.top_posts(month, last),
        channels=queries.channels(month, last),
        referrers=queries.referrers(month, last),
        logs=queries.logs(),
        languages=queries.LANGUAGES,
        language_names=LANGUAGE_NAMES,
        channel_names=CHANNEL_NAMES,
    )


def post_reading(post) -> queries.PostNumbers | None:
    """A post's numbers for its editing screen; None for a post not yet saved."""
    if post is None or post.id is None:
        return None
    return queries.post_numbers(post.id, today())


def template_globals() -> dict:
    return {"post_reading": post_reading, "stats_channel_names": CHANNEL_NAMES}
