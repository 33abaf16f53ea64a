"""``/corrections/``: every correction and update note on the site, newest first, and
its feed ``/corrections/feed/``. Public and cached like every reader's page. (Beside
the feeds, not in ``blogapp.corrections``, which the post page's queries read.)"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from blogapp.arguments import check_page
from blogapp.content import post_label
from blogapp.dates import format_date
from blogapp.extensions import db
from blogapp.feeds.builder import Entry, absolute_links, feed_response, new_feed
from blogapp.models import Correction, Post
from blogapp.permalinks import post_url
from blogapp.seo.meta import absolute_url

bp = Blueprint("corrections", __name__)
PER_PAGE = 30


def newest_notes(page: int = 1, per_page: int = PER_PAGE) -> tuple[list[Correction], bool]:
    """Notes on public posts, newest first, each with its post: one query."""
    check_page(page)
    rows = list(
        db.session.scalars(
            select(Correction)
            .join(Correction.post)
            .options(contains_eager(Correction.post))
            .where(Post.public())
            .order_by(Correction.noted_at.desc(), Correction.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def note_anchor(note: Correction) -> str:
    return f"{post_url(note.post)}#correction-{note.id}"


@bp.route("/corrections/")
@bp.route("/corrections/page/<int:page>/")
def index(page: int = 1):
    notes, has_next = newest_notes(page)
    if not notes and page > 1:
        abort(404)
    return render_template(
        "corrections/index.html",
        notes=notes,
        page=page,
        has_next=has_next,
        note_anchor=note_anchor,
        browsing=("corrections", "Corrections and updates"),
    )


@bp.route("/corrections/feed/")
def feed():
    notes, _ = newest_notes(1, current_app.config["FEED_ITEMS"])
    site = current_app.config["SITE_NAME"]
    built = new_feed(
        f"{site} » Corrections",
        url_for("corrections.index"),
        url_for("corrections.feed"),
        "Corrections and updates to published posts",
        "rss",
    )
    for note in notes:
        link = absolute_url(note_anchor(note))
        title = post_label(note.post, format_date(note.post.published_at))
        label = "Correction" if note.kind == "correction" else "Update"
        built.entries.append(
            Entry(
                id=link,
                link=link,
                title=f"{label} to “{title}”, {format_date(note.noted_at)}",
                published=note.noted_at,
                updated=note.updated_at,
                content_html=absolute_links(note.body_html),
            )
        )
    return feed_response(built, max((n.updated_at for n in notes), default=None))
