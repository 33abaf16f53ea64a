"""The newsletter's rules: signing up with double opt-in, confirming, changing lists,
unsubscribing, forgetting addresses that never confirmed, and queueing a post for
its language's subscribers once it is public.

Signing up answers the same whatever the address (``sign_up`` returns nothing the
page could show): a new or lapsed address gets a confirmation mail, a subscribed one
a mail with the link to its preferences, and either at most once per
``CONFIRM_RESEND_HOURS``. A stranger's sign-up changes nothing of a confirmed
subscription.

``queue_due_posts`` runs in every pass of ``flask deliver``: a public post without
a complete ``NewsletterIssue`` is queued, one outbox row per confirmed subscriber
of its list (``NewsletterSend`` unique per post and subscriber, the outbox key
``newsletter.<post>.<subscriber>``), in chunks (``_queue_post``); then its issue is
complete, so an edit, a correction or a second publication never sends it again.
Only subscribers confirmed by the time the post became public get it, so the
archive (an import, a back-dated post) is never mailed out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import String, cast, delete, func, literal, or_, select, update

from blogapp.clock import now
from blogapp.content import html_to_text
from blogapp.database import commit_write, read_then_write
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.interface_language import N_, mail_locale
from blogapp.mail.outbox import absolute, enqueue, enqueue_many
from blogapp.mail.subscriptions import (
    CONFIRM,
    MANAGE,
    UNSUBSCRIBE,
    LinkMaker,
    Subscriptions,
    footer_html,
    footer_text,
    list_headers,
)
from blogapp.mirrors.addresses import mirrors_footer_html, mirrors_footer_text
from blogapp.models import (
    NewsletterIssue,
    NewsletterSend,
    NewsletterStatus,
    NewsletterSubscriber,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Post,
    UTCDateTime,
)
from blogapp.upsert import insert_for

KIND = OutboxKind.NEWSLETTER  # a post mailed to a subscriber
CONFIRM_KIND = OutboxKind.NEWSLETTER_CONFIRM  # the double opt-in mail, or the "manage" reminder
# Lazy: each name is translated where it is shown, in that page's (or mail's) language.
LIST_NAMES = {"en": _l("English"), "km": _l("ខ្មែរ (Khmer)"), "both": _l("English and ខ្មែរ (Khmer)")}
FORGET_AFTER = timedelta(days=7)  # an address that never confirms is deleted then
CHUNK = 1000  # subscribers written, then inserted, at a time


NEWSLETTER = Subscriptions(
    model=NewsletterSubscriber,
    endpoints={
        CONFIRM: "newsletter.confirm",
        UNSUBSCRIBE: "newsletter.unsubscribe",
        MANAGE: "newsletter.manage",
    },
    purposes={
        CONFIRM: "newsletter-confirm",
        UNSUBSCRIBE: "newsletter-unsubscribe",
        MANAGE: "newsletter-manage",
    },
    templates="newsletter",
    gone=N_("This address is no longer on the list."),
    stop=N_("Press the button to get no more posts by e-mail."),
    manage_label=N_("Choose your lists"),
)


def confirm_url(subscriber: NewsletterSubscriber) -> str:
    return NEWSLETTER.url(CONFIRM, subscriber)


def manage_url(subscriber: NewsletterSubscriber) -> str:
    return NEWSLETTER.url(MANAGE, subscriber)


def sign_up(email: str, lists: str) -> None:
    """A reader asked for ``lists`` at ``email`` (commits). What happens is never
    shown to them: the page says "check your inbox" whatever the address."""
    moment = now()
    db.session.execute(
        insert_for(db.session, NewsletterSubscriber.__table__)
        .values(email=email, lists=lists, status=NewsletterStatus.PENDING, created_at=moment)
        .on_conflict_do_nothing(index_elements=["email"])
    )
    subscriber = db.session.scalars(
        select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)
    ).one()
    resend = timedelta(hours=float(current_app.config["CONFIRM_RESEND_HOURS"]))
    recently = (
        subscriber.confirmation_sent_at is not None
        and moment - subscriber.confirmation_sent_at < resend
    )
    if subscriber.status != NewsletterStatus.CONFIRMED:
        # Pending, or lapsed (unsubscribed, bouncing): asks again, with the lists asked now.
        if subscriber.status != NewsletterStatus.PENDING:
            subscriber.status, subscriber.created_at = NewsletterStatus.PENDING, moment
        subscriber.lists = lists
    if not recently:
        subscriber.confirmation_sent_at = moment
        _queue_confirmation(subscriber, moment)
    db.session.commit()


def _queue_confirmation(subscriber: NewsletterSubscriber, moment: datetime) -> None:
    site = current_app.config["SITE_NAME"]
    # In the list's language; a reader of both gets the language of the page they used.
    with mail_locale(subscriber.lists):
        names = str(LIST_NAMES[subscriber.lists])
        if subscriber.status == NewsletterStatus.CONFIRMED:
            subject = _("[%(site)s] You already follow %(site)s by e-mail", site=site)
            text = _(
                "Someone, probably you, asked to follow %(site)s by e-mail at %(email)s. "
                "This address is already subscribed (%(lists)s).\n\nTo change your "
                "lists or stop, open this link:\n%(link)s\n",
                site=site,
                email=subscriber.email,
                lists=names,
                link=manage_url(subscriber),
            )
        else:
            subject = _("[%(site)s] Confirm that you want new posts by e-mail", site=site)
            text = _(
                "Someone, probably you, asked %(site)s to e-mail new posts (%(lists)s) "
                "to %(email)s.\n\nTo confirm, open this link and press the button:\n"
                "%(link)s\n\nIf it was not you, ignore this mail: nothing more will be "
                "sent, and the address is forgotten in %(days)s days.\n",
                site=site,
                lists=names,
                email=subscriber.email,
                link=confirm_url(subscriber),
                days=FORGET_AFTER.days,
            )
    enqueue(
        key=f"newsletter-confirm.{subscriber.id}.{int(moment.timestamp())}",
        kind=CONFIRM_KIND,
        recipient=subscriber.email,
        subject=subject,
        text=text,
        ref=f"newsletter-subscriber:{subscriber.id}",
    )


def confirm(subscriber: NewsletterSubscriber) -> None:
    """Confirmed from the link's button (commits). An unsubscribed address stays so:
    an old confirmation mail must not undo an unsubscribe."""
    if subscriber.status in (NewsletterStatus.PENDING, NewsletterStatus.BOUNCING):
        subscriber.status, subscriber.confirmed_at = NewsletterStatus.CONFIRMED, now()
    db.session.commit()


def choose_lists(subscriber: NewsletterSubscriber, lists: str) -> None:
    subscriber.lists = lists
    if subscriber.status == NewsletterStatus.UNSUBSCRIBED:
        subscriber.status, subscriber.confirmed_at = NewsletterStatus.CONFIRMED, now()
    db.session.commit()


def unsubscribe(subscriber: NewsletterSubscriber) -> None:
    """No more mail (commits); mails already queued for the address are cancelled."""
    subscriber.status = NewsletterStatus.UNSUBSCRIBED
    _cancel_queued(subscriber.email)
    db.session.commit()


def _cancel_queued(email: str) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == KIND,
            OutboxMessage.recipient == email,
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .values(status=OutboxStatus.CANCELLED, last_error="The address left the newsletter.")
        .execution_options(synchronize_session=False)
    )


def mark_bouncing(email: str) -> None:
    """The SMTP server refused ``email`` for good (5xx): stop mailing it (in the
    worker, its own write transaction)."""

    def stop() -> None:
        db.session.execute(
            update(NewsletterSubscriber)
            .where(
                NewsletterSubscriber.email == email,
                NewsletterSubscriber.status == NewsletterStatus.CONFIRMED,
            )
            .values(status=NewsletterStatus.BOUNCING)
            .execution_options(synchronize_session=False)
        )
        _cancel_queued(email)

    commit_write(stop)


def forget_unconfirmed() -> int:
    """Delete the addresses still pending ``FORGET_AFTER`` after their last
    confirmation mail (``flask deliver`` runs it in every pass)."""
    cutoff = now() - FORGET_AFTER
    stale = (
        NewsletterSubscriber.status == NewsletterStatus.PENDING,
        NewsletterSubscriber.created_at < cutoff,
        or_(
            NewsletterSubscriber.confirmation_sent_at.is_(None),
            NewsletterSubscriber.confirmation_sent_at < cutoff,
        ),
    )

    def find() -> int | None:  # most passes find nothing, and take no write lock
        return db.session.scalar(select(NewsletterSubscriber.id).where(*stale).limit(1))

    def forget(_found: int) -> int:
        return db.session.execute(
            delete(NewsletterSubscriber).where(*stale).execution_options(synchronize_session=False)
        ).rowcount

    return read_then_write(find, forget) or 0


def _due_posts() -> list[int]:
    first = db.session.scalar(
        select(func.min(NewsletterSubscriber.confirmed_at)).where(
            NewsletterSubscriber.status == NewsletterStatus.CONFIRMED
        )
    )
    if first is None:
        return []
    return list(
        db.session.scalars(
            select(Post.id)
            .outerjoin(NewsletterIssue, NewsletterIssue.post_id == Post.id)
            .where(
                Post.public(), Post.published_at >= first, NewsletterIssue.completed_at.is_(None)
            )  # no issue yet, or one unfinished
            .order_by(Post.published_at, Post.id)
        )
    )


def queue_due_posts() -> int:
    """Queue every newly public post for its subscribers; returns how many mails
    were queued. ``flask deliver`` calls it."""
    post_ids = _due_posts()
    db.session.commit()
    return sum(_queue_post(post_id) for post_id in post_ids)


def _queue_post(post_id: int) -> int:
    """A post for its subscribers, ``CHUNK`` at a time: each chunk's mails (and their
    signed links) are written in a read transaction, without the write lock, then
    inserted in a short write transaction, so memory and the lock stay small for any
    number of subscribers. The keys make a chunk written twice (by a worker killed
    midway and restarted, or two workers at once) queue once; the issue is complete,
    and the post never queued again, after the last chunk."""

    def read_post() -> tuple[dict, str, datetime] | None:
        post = db.session.get(Post, post_id)
        if post is None or not post.is_public:
            return None
        return compose_post(post), post.language, post.published_at

    def start_issue(plan: tuple[dict, str, datetime]) -> tuple[dict, str, datetime]:
        db.session.execute(
            insert_for(db.session, NewsletterIssue.__table__)
            .values(post_id=post_id, queued_at=start, recipients=0)
            .on_conflict_do_nothing(index_elements=["post_id"])
        )
        return plan

    links_for, start = NEWSLETTER.link_maker(), now()
    rate = float(current_app.config["NEWSLETTER_RATE_PER_MINUTE"])
    plan = read_then_write(read_post, start_issue)
    if plan is None:
        return 0
    content, language, published_at = plan
    queued, after = 0, 0

    def read_chunk() -> dict[int, dict] | None:
        chunk = db.session.execute(
            select(NewsletterSubscriber.id, NewsletterSubscriber.email)
            .where(
                NewsletterSubscriber.status == NewsletterStatus.CONFIRMED,
                NewsletterSubscriber.lists.in_((language, "both")),
                NewsletterSubscriber.confirmed_at <= published_at,
                NewsletterSubscriber.id > after,
            )
            .order_by(NewsletterSubscriber.id)
            .limit(CHUNK)
        ).all()
        if not chunk:
            return None
        messages = {s.id: _message(post_id, s, content, links_for) for s in chunk}
        if rate > 0:  # spread over time: the worker sends each when it is due
            for n, message in enumerate(messages.values(), start=queued):
                message["not_before"] = start + timedelta(minutes=n / rate)
        return messages

    def insert_chunk(messages: dict[int, dict]) -> tuple[int, int]:
        return max(messages), _insert_chunk(post_id, messages)

    while (inserted := read_then_write(read_chunk, insert_chunk)) is not None:
        after, count = inserted
        queued += count

    def complete() -> None:
        recipients = db.session.scalar(
            select(func.count())
            .select_from(NewsletterSend)
            .where(NewsletterSend.post_id == post_id)
        )
        db.session.execute(
            update(NewsletterIssue)
            .where(NewsletterIssue.post_id == post_id)
            .values(recipients=recipients, completed_at=now())
            .execution_options(synchronize_session=False)
        )

    commit_write(complete)
    return queued


def _message(post_id: int, subscriber, content: dict, links_for: LinkMaker) -> dict:
    unsubscribe, manage = content["labels"]  # in the post's language
    footer = (
        (unsubscribe, links_for(UNSUBSCRIBE, subscriber)),
        (manage, links_for(MANAGE, subscriber)),
    )
    return dict(
        key=f"newsletter.{post_id}.{subscriber.id}",
        kind=KIND,
        ref=f"post:{post_id}",
        recipient=subscriber.email,
        subject=content["subject"],
        text=content["text"] + footer_text(*footer),
        html=content["html"] + footer_html(*footer),
        headers=list_headers(footer[0][1]),
    )


def _insert_chunk(post_id: int, messages: dict[int, dict]) -> int:
    # Whoever unsubscribed (or bounced) while the mails were written gets none.
    still = set(
        db.session.scalars(
            select(NewsletterSubscriber.id).where(
                NewsletterSubscriber.id.in_(list(messages)),
                NewsletterSubscriber.status == NewsletterStatus.CONFIRMED,
            )
        )
    )
    rows = [message for subscriber_id, message in messages.items() if subscriber_id in still]
    enqueue_many(rows)
    # One row per subscriber now queued, taken from the outbox rows just written.
    sends = (
        select(
            literal(post_id), NewsletterSubscriber.id, OutboxMessage.id, literal(now(), UTCDateTime)
        )
        .join(NewsletterSubscriber, NewsletterSubscriber.email == OutboxMessage.recipient)
        .where(
            NewsletterSubscriber.id.in_(still),
            OutboxMessage.kind == KIND,
            OutboxMessage.ref == f"post:{post_id}",
            OutboxMessage.idempotency_key
            == literal(f"newsletter.{post_id}.") + cast(NewsletterSubscriber.id, String),
        )
    )
    db.session.execute(
        insert_for(db.session, NewsletterSend.__table__)
        .from_select(["post_id", "subscriber_id", "outbox_id", "created_at"], sends)
        .on_conflict_do_nothing(index_elements=["post_id", "subscriber_id"])
    )
    return len(rows)


def post_link(post: Post) -> str:
    """The post's permalink (``permalinks.post_url``'s shape; importing it would put
    this module, which the mail worker imports, into the posts import loop)."""
    local = to_local(post.published_at)
    return absolute(
        lambda: url_for(
            "posts.detail", year=local.year, month=local.month, day=local.day, slug=post.slug
        )
    )


def _paragraphs(html: str) -> str:
    blocks = re.split(r"</(?:p|h[1-6]|li|blockquote|pre)>", html)
    return "\n\n".join(t for t in (html_to_text(b) for b in blocks) if t)


def compose_post(post: Post) -> dict:
    """Subject, plain text and HTML of a post's mail, the same for every subscriber
    (each gets their own footer): the title, the excerpt or (``NEWSLETTER_FULL_TEXT``)
    the whole post, its source line and its link. Links are the post's own: none is
    rewritten, and there is no tracking pixel. The link carries ``?ref=newsletter``,
    the same for every subscriber, so reading counts (``blogapp.stats``) can name the
    channel; the page cache leaves it out of its key."""
    site = current_app.config["SITE_NAME"]
    full = bool(current_app.config["NEWSLETTER_FULL_TEXT"])
    html = post.body_html if full or not post.excerpt_html else post.excerpt_html
    link = post_link(post) + "?ref=newsletter"
    with mail_locale(post.language):  # the list's language is the post's
        read = _("Read it on the site") if full else _("Read on")
        read_on_site = _("Read it on %(site)s", site=site)
        labels = (_("Unsubscribe"), _("Choose your lists"))
    text = f"{post.title}\n\n"
    if post.source_line:
        text += f"{post.source_line}\n\n"
    text += _paragraphs(html) + f"\n\n{read}: {link}\n"
    page = f'<h1><a href="{escape(link)}">{escape(post.title)}</a></h1>\n'
    if post.source_line:
        page += f"<p><em>{escape(post.source_line)}</em></p>\n"
    page += f'<div lang="{escape(post.language)}">{html}</div>\n'
    page += f'<p><a href="{escape(link)}">{escape(read_on_site)}</a></p>\n'
    text, page = text + mirrors_footer_text(), page + mirrors_footer_html()
    return {"subject": post.title or site, "text": text, "html": page, "labels": labels}


def import_confirmed(emails: list[str], lists: str) -> int:
    """Addresses that opted in on the old site (an admin's import), confirmed as they
    were there; an address already here is left as it is. Returns how many were added
    (commits; in the admin's POST)."""
    moment, added = now(), 0
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start : start + CHUNK]
        known = set(
            db.session.scalars(
                select(NewsletterSubscriber.email).where(NewsletterSubscriber.email.in_(chunk))
            )
        )
        new = [e for e in chunk if e not in known]
        if new:
            db.session.execute(
                insert_for(db.session, NewsletterSubscriber.__table__).on_conflict_do_nothing(
                    index_elements=["email"]
                ),
                [
                    dict(
                        email=e,
                        lists=lists,
                        status=NewsletterStatus.CONFIRMED,
                        created_at=moment,
                        confirmed_at=moment,
                    )
                    for e in new
                ],
            )
        added += len(new)
    db.session.commit()
    return added
