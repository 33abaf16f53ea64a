"""Which card a post (or the site) should have, and drawing the ones missing.

A card's file name is a hash of everything it shows and of the drawing's version, so a
name never stands for two different pictures: it is served with a one-year immutable
cache, and a changed title, author name, date, site name or picture makes a new name
(and a new card). A post keeps its card's name in ``Post.share_card``; the site's card
is named by the ``site_card`` setting. Both are written in their own transaction, after
the card's file is in place, so a page never names a card that is not there yet, and
the write makes a new content version: cached pages pick up the new ``og:image``.

Cards are drawn when a post is saved (after its commit: ``refresh_post_card``) and by
``flask cards draw`` (imports, a changed site name or author name, a new drawing);
never in a page view."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload

from blogapp.authors.services import join_plain
from blogapp.cards.draw import DRAWING_VERSION, CardText, card_png
from blogapp.cards.names import CARD_NAME, SITE_CARD_KEY, card_folder, card_path
from blogapp.content import post_label, site_host
from blogapp.dates import format_date
from blogapp.extensions import db
from blogapp.interface_language import mail_locale
from blogapp.media.storage import upload_folder
from blogapp.media.views import UPLOAD_NAME
from blogapp.models import Media, Post, PostStatus, Setting
from blogapp.site_settings import forget_stored_settings, stored_settings

BATCH = 200  # cards whose names one transaction stores


@dataclass(frozen=True)
class Wanted:
    post_id: int
    name: str
    card: CardText


def card_name(card: CardText) -> str:
    picture = card.picture.name if card.picture else ""
    shown = [DRAWING_VERSION, card.title, card.site, card.author, card.date, picture]
    if card.own is not None:  # the writer's upload alone decides what the card shows
        shown = ["own", card.own.name]
    digest = hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()
    return f"{digest[:32]}.png"


def local_picture(url: str) -> Path | None:
    """The upload a post's first image shows, when it is one of ours (nothing is fetched
    from another site to draw a card)."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc.lower() != site_host():
        return None
    name = parts.path.removeprefix("/uploads/")
    if name == parts.path or UPLOAD_NAME.match(name) is None:
        return None
    path = upload_folder() / name
    return path if path.is_file() else None


def own_card_path(post: Post) -> Path | None:
    """The upload a writer chose as the post's card, while its file is there."""
    if post.card_media_id is None:
        return None
    media = db.session.get(Media, post.card_media_id)
    path = upload_folder() / media.filename if media is not None else None
    return path if path is not None and path.is_file() else None


def post_card(post: Post) -> CardText:
    """What ``post``'s card shows (its ``bylines`` must be loaded); its date is written
    as the post's own page writes it (a Khmer post's in Khmer)."""
    with mail_locale(post.language):
        date = format_date(post.published_at)
    return CardText(
        title=post_label(post, date),
        site=current_app.config["SITE_NAME"],
        author=join_plain([p.name_in(post.language) for p in post.bylines]),
        date=date,
        picture=local_picture(post.first_image_url),
        own=own_card_path(post),
    )


def site_card_text() -> CardText:
    config = current_app.config
    return CardText(title=config["SITE_NAME"], site=site_host(), author=config["SITE_DESCRIPTION"])


def write_card(name: str, data: bytes) -> None:
    """Write the file whole before it has its name: a reader never gets half a card."""
    folder = card_folder()
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.{os.getpid()}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)


def needs_drawing(stored: str, name: str) -> bool:
    return stored != name or not card_path(name).is_file()


# -- one post, after its save ---------------------------------------------------------


def refresh_post_card(post_id: int) -> bool:
    """Draw a published (or scheduled) post's card if its current one is missing or
    out of date, and the site's card with it; True when the post got a new card.
    Drafts get none: nobody can share them."""
    refresh_site_card()
    post = db.session.scalar(
        select(Post)
        .options(joinedload(Post.author), selectinload(Post.bylines))
        .where(Post.id == post_id)
        .execution_options(populate_existing=True)  # the saved post, with its author
    )
    if post is None or post.status != PostStatus.PUBLISHED:
        db.session.rollback()
        return False
    card = post_card(post)
    name = card_name(card)
    if not needs_drawing(post.share_card, name):
        db.session.rollback()
        return False
    db.session.rollback()  # no transaction (nor SQLite's write lock) held while drawing
    write_card(name, card_png(card))
    post = db.session.get(Post, post_id)
    if post is None:  # deleted meanwhile; the file goes with `flask cards prune`
        return False
    post.share_card = name
    db.session.commit()
    return True


def refresh_site_card() -> bool:
    """Draw the site's card when the site's name or description changed."""
    card = site_card_text()
    name = card_name(card)
    stored = db.session.get(Setting, SITE_CARD_KEY)
    db.session.rollback()
    if not needs_drawing(stored.value if stored else "", name):
        return False
    write_card(name, card_png(card))
    db.session.merge(Setting(key=SITE_CARD_KEY, value=name))
    db.session.commit()
    forget_stored_settings()
    return True


# -- every post: flask cards draw -----------------------------------------------------


def wanted_cards() -> Iterator[Wanted]:
    """Published posts whose card is missing or out of date, by id."""
    have = {p.name for p in card_folder().glob("*.png")} if card_folder().is_dir() else set()
    last = 0
    while True:
        posts = db.session.scalars(
            select(Post)
            .options(joinedload(Post.author), selectinload(Post.bylines))
            .where(Post.status == PostStatus.PUBLISHED, Post.id > last)
            .order_by(Post.id)
            .limit(BATCH)
        ).all()
        if not posts:
            return
        for post in posts:
            card = post_card(post)
            name = card_name(card)
            if post.share_card != name or name not in have:
                yield Wanted(post.id, name, card)
        last = posts[-1].id
        # Reads only: end the transaction (a command's takes SQLite's write lock). The
        # session holds clean rows weakly: the batch leaves memory with ``posts``.
        db.session.rollback()


def draw_missing(jobs: int = 1, progress=None) -> int:
    """Draw every card that is missing; return how many were drawn. ``jobs`` processes
    draw at once (the drawing is pure; this process writes the files and the rows)."""
    refresh_site_card()
    wanted = list(wanted_cards())
    done: list[dict] = []

    # A transaction only around each batch's write: none is open while drawing.
    def flush() -> None:
        if done:
            db.session.execute(update(Post), done)  # by primary key, one statement
            db.session.commit()
            done.clear()

    cards = [w.card for w in wanted]
    # forkserver: the drawing processes do not inherit this one's database connections.
    pool = (
        ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("forkserver"))
        if jobs > 1
        else _InProcess()
    )
    with pool:
        for n, (item, data) in enumerate(
            zip(wanted, pool.map(card_png, cards, chunksize=16), strict=True), 1
        ):
            write_card(item.name, data)
            done.append({"id": item.post_id, "share_card": item.name})
            if len(done) >= BATCH:
                flush()
                if progress is not None:
                    progress(n, len(wanted))
    flush()
    return len(wanted)


class _InProcess:
    """``ProcessPoolExecutor``'s ``map`` without the processes (one job)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, fn, items, chunksize: int = 1):
        return map(fn, items)


def prune_cards() -> int:
    """Delete card files no published post and not the site names any more (a changed
    title's old card, a deleted, unpublished or private post's); return how many. A post
    published again gets its card drawn again."""
    folder = card_folder()
    if not folder.is_dir():
        return 0
    used = set(
        db.session.scalars(select(Post.share_card).where(Post.status == PostStatus.PUBLISHED))
    )
    used.add(stored_settings().get(SITE_CARD_KEY, ""))
    removed = 0
    for path in folder.iterdir():
        if CARD_NAME.match(path.name) and path.name not in used:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
