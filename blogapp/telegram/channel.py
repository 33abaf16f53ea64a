"""What the channel shows of a post, and the outbox handler that makes it so.

An outbox row of kind ``telegram`` names a post, nothing more. When the worker sends
it, ``send`` compares what the channel should show (``wanted``: nothing for a post
that is not public, else its card with a caption of title, excerpt, the latest
correction and the link) with what it was last sent (``TelegramMessage``), and makes
the one call that closes the gap: ``sendPhoto`` (``sendMessage`` when the post has
no card), ``editMessageCaption`` (``editMessageText``), or ``deleteMessage``. A row
that finds nothing to change is cancelled (``compose``), so an edit that touches no
word of the caption sends nothing.

Deciding at sending time, from what is stored, makes every row safe to send twice and
in any order: a row retried after a worker died mid-send finds the message it stored,
or sends it. The one message that can reach the channel twice is the one whose
``sendPhoto`` was on the wire when the worker died (the Bot API has no idempotency key)."""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from blogapp import clock
from blogapp.cards.names import card_path
from blogapp.content import html_to_text, post_label, truncate_graphemes
from blogapp.database import commit_write
from blogapp.dates import format_date
from blogapp.extensions import db
from blogapp.interface_language import mail_locale
from blogapp.mail.outbox import absolute
from blogapp.models import Correction, OutboxMessage, Post, TelegramMessage
from blogapp.permalinks import post_url
from blogapp.telegram import api

CAPTION_LIMIT = 1024  # characters in a photo's caption (the Bot API's limit)
TEXT_LIMIT = 4096
QUIET = "blogapp_telegram_quiet"  # session.info: writes that queue no channel work


def chat_for(language: str) -> str:
    """The channel a post in ``language`` goes to: its own, else the one for both."""
    config = current_app.config
    return (config.get("TELEGRAM_CHANNELS") or {}).get(language) or config["TELEGRAM_CHANNEL"]


def enabled() -> bool:
    config = current_app.config
    return bool(config.get("TELEGRAM_BOT_TOKEN")) and bool(
        config.get("TELEGRAM_CHANNEL") or config.get("TELEGRAM_CHANNELS")
    )


def too_old(post: Post) -> bool:
    """Posted first only when published lately: an import of old posts, or an old post
    published again, does not flood the channel."""
    days = float(current_app.config["TELEGRAM_NEW_POST_DAYS"])
    return post.published_at < clock.now() - timedelta(days=days)


@dataclass(frozen=True)
class Wanted:
    chat_id: str
    text: str  # HTML, as the Bot API's parse_mode=HTML reads it
    card: str  # the card's file name, "" when it has none (a text message then)
    digest: str


def _latest_note(post_id: int) -> Correction | None:
    return db.session.scalar(
        select(Correction)
        .where(Correction.post_id == post_id)
        .order_by(Correction.noted_at.desc(), Correction.id.desc())
        .limit(1)
    )


def caption(post: Post, note: Correction | None, limit: int) -> str:
    """Title in bold, the excerpt, the latest correction and the link, within ``limit``
    characters: the excerpt gives way first."""
    with current_app.test_request_context(), mail_locale(post.language):
        link = absolute(lambda: post_url(post))
        title = post_label(post, format_date(post.published_at))
        excerpt = post.excerpt.strip() or html_to_text(post.excerpt_html)
        noted = ""
        if note is not None:
            label = gettext("Correction") if note.kind == "correction" else gettext("Update")
            words, cut = truncate_graphemes(html_to_text(note.body_html), 200)
            noted = gettext(
                "%(label)s, %(date)s: %(text)s",
                label=label,
                date=format_date(note.noted_at),
                text=words + ("…" if cut else ""),
            )
    title = truncate_graphemes(title, 200)[0]
    room = 600
    while True:
        words, cut = truncate_graphemes(excerpt, room)
        parts = [f"<b>{html.escape(title)}</b>", html.escape(words + (" …" if cut else ""))]
        if noted:
            parts.append(f"<i>{html.escape(noted)}</i>")
        parts.append(html.escape(link))
        text = "\n\n".join(part for part in parts if part)
        if len(text) <= limit or room <= 0:
            return text
        room -= 100


def wanted(post: Post | None) -> Wanted | None:
    """What the channel should show of ``post`` (None: nothing)."""
    if post is None or not post.is_public:
        return None
    chat = chat_for(post.language)
    if not chat:
        return None
    card = post.share_card if post.share_card and card_path(post.share_card).is_file() else ""
    text = caption(post, _latest_note(post.id), CAPTION_LIMIT if card else TEXT_LIMIT)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Wanted(chat, text, card, digest)


def _load(post_id: int) -> tuple[Post | None, TelegramMessage | None]:
    post = db.session.scalar(
        select(Post)
        .options(joinedload(Post.author))
        .where(Post.id == post_id)
        .execution_options(populate_existing=True)
    )
    return post, db.session.get(TelegramMessage, post_id, populate_existing=True)


def _plan(post_id: int, draw: bool = True) -> tuple[str, Wanted | None, TelegramMessage | None]:
    """The call to make: "send", "edit", "delete", "move" (delete, then send) or "".
    A post to be posted first is given its card (``draw``), if it has none yet."""
    post, sent = _load(post_id)
    if draw and post is not None and post.is_public and not post.share_card and sent is None:
        from blogapp.cards.services import refresh_post_card  # Pillow: only when needed

        db.session.commit()
        db.session.info[QUIET] = True  # this very row sends the card: nothing to queue
        try:
            refresh_post_card(post_id)
        finally:
            db.session.info.pop(QUIET, None)
        post, sent = _load(post_id)
    want = wanted(post)
    if sent is None:
        if want is None or too_old(post):
            return "", None, None
        return "send", want, None
    if want is None:
        return "delete", None, sent
    if want.chat_id != sent.chat_id or bool(want.card) != sent.is_photo:
        return "move", want, sent
    if want.digest != sent.text_digest or want.card != sent.card:
        return "edit", want, sent
    return "", want, sent


def compose(row: OutboxMessage) -> bool | datetime:
    """Cancel a row with nothing to change; hold one for a scheduled post till its time."""
    post = db.session.get(Post, row.payload["post_id"])
    if post is not None and post.is_scheduled:
        return post.published_at
    action, _want, _sent = _plan(row.payload["post_id"], draw=False)
    if not action:
        return False
    row.body_text = action  # what was decided: shown in the Outbox, read by nothing
    return True


def send(row: OutboxMessage) -> None:
    post_id = row.payload["post_id"]
    action, want, sent = _plan(post_id)
    if sent is not None:
        db.session.expunge(sent)  # read after the commit below, as it was
    db.session.commit()  # nothing held while Telegram answers
    if action in ("delete", "move"):
        _delete(sent.chat_id, sent.message_id)

        def forget() -> None:
            db.session.execute(delete(TelegramMessage).where(TelegramMessage.post_id == post_id))

        commit_write(forget)
    if action in ("send", "move"):
        _post(post_id, want)
    elif action == "edit":
        _edit(post_id, want, sent)


def _post(post_id: int, want: Wanted) -> None:
    fields = {"chat_id": want.chat_id, "parse_mode": "HTML"}
    if want.card:
        photo = api.Photo(want.card, card_path(want.card).read_bytes())
        result = api.call("sendPhoto", {**fields, "caption": want.text}, photo)
    else:
        result = api.call("sendMessage", {**fields, "text": want.text})
    message_id = int(result["message_id"])

    def record() -> None:
        db.session.merge(
            TelegramMessage(
                post_id=post_id,
                chat_id=want.chat_id,
                message_id=message_id,
                is_photo=bool(want.card),
                card=want.card,
                text_digest=want.digest,
                sent_at=clock.now(),
            )
        )

    commit_write(record)


def _edit(post_id: int, want: Wanted, sent: TelegramMessage) -> None:
    """The words changed: ``editMessageCaption`` (``editMessageText``); the card
    changed too (a new title draws a new one): ``editMessageMedia``, caption and all."""
    fields = {"chat_id": sent.chat_id, "message_id": sent.message_id, "parse_mode": "HTML"}
    try:
        if want.card and want.card != sent.card:
            media = {
                "type": "photo",
                "media": "attach://photo",
                "caption": want.text,
                "parse_mode": "HTML",
            }
            photo = api.Photo(want.card, card_path(want.card).read_bytes())
            api.call(
                "editMessageMedia",
                {
                    "chat_id": sent.chat_id,
                    "message_id": sent.message_id,
                    "media": json.dumps(media, ensure_ascii=False),
                },
                photo,
            )
        elif want.card:
            api.call("editMessageCaption", {**fields, "caption": want.text})
        else:
            api.call("editMessageText", {**fields, "text": want.text})
    except api.BotError as error:
        if "message is not modified" not in error.description:
            raise

    def record() -> None:
        stored = db.session.get(TelegramMessage, post_id)
        if stored is not None:
            stored.text_digest, stored.card, stored.edited_at = want.digest, want.card, clock.now()

    commit_write(record)


def _delete(chat_id: str, message_id: int) -> None:
    try:
        api.call("deleteMessage", {"chat_id": chat_id, "message_id": message_id})
    except api.BotError as error:
        if "not found" in error.description.lower():
            return  # deleted by hand in the channel already
        if error.permanent:
            raise api.BotError(
                error.method,
                error.status,
                f"{error.description}; delete message {message_id} in {chat_id} by hand",
            ) from None
        raise
