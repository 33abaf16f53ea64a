"""What the blog holds about a commenter, found by the address they gave, and how it
is exported or erased.

An erasure removes or anonymizes their comments, as the admin chose
(``privacy.erasure``: "anonymize" keeps the words under "Anonymous", without name,
address, website, IP or browser; "delete" removes them, replies stay), and removes
their reply-notification and newsletter subscriptions; the moderation log's lines
about those comments lose their quoted name and words. Every other feature that keeps
some of it has its eraser in ``ERASERS`` (``blogapp.reader_data``): the outbox (mail
to them, mail about their comments) and the audit log's old labels. It is one audit
entry, which names no address. Both are writes of reader-visible rows made through
the session, so the content version moves with them (``blogapp.content_version``)."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from blogapp import audit
from blogapp.extensions import db
from blogapp.interface_language import other_than_site_language
from blogapp.mail import links
from blogapp.mail import retention as mail_retention
from blogapp.mail.outbox import enqueue, site_url
from blogapp.models import (
    AuditAction,
    Comment,
    CommentStatus,
    ErasureMode,
    MailSubscriber,
    ModerationEvent,
    NewsletterSubscriber,
    OutboxKind,
    Post,
    Setting,
)
from blogapp.reader_data import Reader
from blogapp.site_settings import stored_settings

PURPOSE = "reader-data"
ERASURE_KEY = "privacy.erasure"
ANONYMIZE, DELETE = ErasureMode.ANONYMIZE, ErasureMode.DELETE
ERASURE_MODES = tuple(ErasureMode)
EXPORT, ERASE = "export", "erase"
ANONYMOUS = "Anonymous"
# Each feature's eraser of what it keeps about a reader, run before the comments and
# subscriptions below go (they find their rows through them).
ERASERS = (mail_retention.erase_reader, audit.erase_reader)


def erasure_mode() -> str:
    mode = stored_settings().get(ERASURE_KEY)
    return mode if mode in ERASURE_MODES else ANONYMIZE


def save_erasure_mode(mode: str) -> None:
    db.session.merge(Setting(key=ERASURE_KEY, value=mode))


def _mine(email: str):
    return func.lower(Comment.author_email) == email.strip().lower()


def holds_anything(email: str) -> bool:
    address = email.strip().lower()
    return any(
        db.session.scalar(select(model.id).where(condition).limit(1)) is not None
        for model, condition in (
            (Comment, _mine(email)),
            (MailSubscriber, func.lower(MailSubscriber.email) == address),
            (NewsletterSubscriber, func.lower(NewsletterSubscriber.email) == address),
        )
    )


def send_confirmation(email: str, what: str) -> None:
    """Queue the mail whose link confirms ``what`` (export or erase), when the blog
    holds anything from ``email``; nothing otherwise. In the open transaction."""
    if not holds_anything(email):
        return
    token = links.make(PURPOSE, {"e": email.strip(), "w": what}, single_use=True)
    nonce = links.read(PURPOSE, token)["n"]
    # In the language of the page that asked (its form sends ?lang=), as is the page it opens.
    url = site_url("privacy.confirm", token=token, lang=other_than_site_language())
    hours = int(current_app.config["READER_DATA_LINK_HOURS"])
    address = email.strip()
    if what == ERASE:
        subject = _("Confirm: delete everything you wrote")
        if erasure_mode() == DELETE:
            asked = _("Someone (we hope you) asked to delete everything you wrote here, for "
                      "the address %(email)s.", email=address)
        else:
            asked = _("Someone (we hope you) asked to remove your name, address and website "
                      "from everything you wrote here, for the address %(email)s.",
                      email=address)
    else:
        subject = _("Your data from this site")
        asked = _("Someone (we hope you) asked to download everything you wrote here, for "
                  "the address %(email)s.", email=address)
    enqueue(key=f"reader-data.{what}.{nonce}", kind=OutboxKind(f"reader-{what}"), recipient=address,
            subject=subject, ref="reader-data",
            text=asked + "\n\n" + _("Confirm on this page (the link works once, for %(hours)s "
                                     "hours):", hours=hours)
            + f"\n{url}\n\n" + _("If you did not ask, ignore this mail: nothing changes.")
            + "\n")  # fmt: skip


def export(email: str) -> dict:
    """Everything stored from ``email``, as plain data for JSON."""
    rows = db.session.execute(
        select(Comment, Post.title, Post.slug).join(Post, Post.id == Comment.post_id)
        .where(_mine(email)).order_by(Comment.created_at, Comment.id)
    ).all()  # fmt: skip
    address = email.strip().lower()
    subscribed = db.session.scalar(
        select(MailSubscriber.created_at).where(func.lower(MailSubscriber.email) == address)
    )
    newsletter = db.session.scalar(
        select(NewsletterSubscriber).where(func.lower(NewsletterSubscriber.email) == address)
    )
    return {
        "site": current_app.config["SITE_URL"],
        "address": email.strip(),
        "comments": [
            {
                "id": c.id,
                "post": title,
                "post_id": c.post_id,
                "status": c.status,
                "created_at": c.created_at.isoformat(),
                "name": c.author_name,
                "email": c.author_email,
                "website": c.author_url,
                "ip_address": c.author_ip,
                "user_agent": c.user_agent,
                "text": c.body,
            }
            for c, title, _slug in rows
        ],  # fmt: skip
        "reply_notifications_since": subscribed.isoformat() if subscribed else None,
        "newsletter": None
        if newsletter is None
        else {
            "lists": newsletter.lists,
            "status": newsletter.status,
            "since": newsletter.created_at.isoformat(),
        },  # fmt: skip
    }


def erase(email: str) -> int:
    """Remove or anonymize every comment of ``email`` and end its subscriptions, in
    the open transaction, with its audit entry; how many comments. Does not commit."""
    mode = erasure_mode()
    mine = _mine(email)
    reader = Reader(email=email.strip().lower(), mode=mode,
                    comment_ids=tuple(db.session.scalars(select(Comment.id).where(mine))))
    for eraser in ERASERS:
        eraser(reader)
    approved = Counter(db.session.scalars(
        select(Comment.post_id).where(mine, Comment.status == CommentStatus.APPROVED)
    ))  # fmt: skip
    # The moderation log's lines about these comments quote the name and the words.
    db.session.execute(
        update(ModerationEvent)
        .where(ModerationEvent.comment_id.in_(select(Comment.id).where(mine)))
        .values(comment_summary="(erased at the commenter's request)", previous_body="")
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if mode == DELETE:
        for post_id, n in approved.items():
            db.session.execute(update(Post).where(Post.id == post_id)
                               .values(comment_count=Post.comment_count - n)
                               .execution_options(synchronize_session=False))  # fmt: skip
        count = db.session.execute(
            delete(Comment).where(mine).execution_options(synchronize_session=False)
        ).rowcount
    else:
        count = db.session.execute(
            update(Comment).where(mine)
            .values(author_name=ANONYMOUS, author_email="", author_url="", author_ip="",
                    user_agent="", user_id=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # fmt: skip
    address = email.strip().lower()
    for model in (MailSubscriber, NewsletterSubscriber):
        db.session.execute(delete(model).where(func.lower(model.email) == address)
                           .execution_options(synchronize_session=False))  # fmt: skip
    # Which reader it was stays unknown to the log: a short keyed hash only tells two
    # erasures of one address apart. Keyed: a plain hash of an address can be checked
    # against any address one suspects.
    digest = hmac.new(str(current_app.config["SECRET_KEY"]).encode(), address.encode(),
                      hashlib.sha256).hexdigest()[:12]
    audit.record(AuditAction.ERASE, table="comments", label=f"{count} comments ({mode})",
                 changes=f"a reader's own request, confirmed by mail; address hash {digest}",
                 actor_login="reader (by mail)")  # fmt: skip
    return count
