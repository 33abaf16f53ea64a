"""Reply notifications for readers without accounts.

A reader ticks "E-mail me when someone replies to this comment" or "E-mail me new
comments on this post" (``subscribe``). Nothing is mailed for a comment until it is
approved: then an address that never confirmed gets one confirmation mail (double
opt-in), so nobody can make the blog mail a stranger, and a spammer's held comment
mails nobody. Confirmed addresses stay confirmed.

When a comment is approved (``comment_approved``, called in the approving
transaction), every confirmed subscriber it concerns gets a ``ReplyNotice``, except
its own author, and a "reply-digest" outbox row, at most one queued per subscriber,
due no sooner than ``NOTIFY_DIGEST_MINUTES`` after their last one. The worker
writes the digest when it sends it (``compose_digest``), so a burst of approvals
becomes one mail. Every mail here has a plain-text part, a signed one-click
unsubscribe link (RFC 8058 headers) and a link to the reader's subscriptions."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select, update

from blogapp.clock import now
from blogapp.content import html_to_text
from blogapp.database import commit_write
from blogapp.dates import to_local
from blogapp.digits import page_digits
from blogapp.extensions import db
from blogapp.interface_language import N_, mail_locale
from blogapp.mail.outbox import absolute, enqueue, mail_enabled
from blogapp.mail.subscriptions import CONFIRM as CONFIRM_STEP
from blogapp.mail.subscriptions import (
    MANAGE,
    UNSUBSCRIBE,
    Subscriptions,
    footer_text,
    list_headers,
)
from blogapp.mirrors.addresses import mirrors_footer_text
from blogapp.models import (
    SUBSCRIBE_POST,
    SUBSCRIBE_REPLIES,
    Comment,
    CommentStatus,
    MailSubscriber,
    MailSubscription,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Post,
    ReplyNotice,
)
from blogapp.upsert import insert_for

DIGEST = OutboxKind.REPLY_DIGEST
CONFIRM = OutboxKind.SUBSCRIPTION_CONFIRM
EXCERPT = 300  # characters of each comment quoted in a digest


def subscribe(comment: Comment, *, replies: bool, new_comments: bool) -> None:
    """What the reader ticked on the form of the comment just stored (commits).
    Nothing for spam or trash, nor on a site that sends no mail."""
    scopes = [
        s for s, wanted in ((SUBSCRIBE_REPLIES, replies), (SUBSCRIBE_POST, new_comments)) if wanted
    ]
    if not scopes or not mail_enabled() or not comment.author_email:
        return
    if comment.status in (CommentStatus.SPAM, CommentStatus.TRASH):
        return

    def add_subscriptions() -> None:
        subscriber = _subscriber(comment.author_email)
        for scope in scopes:
            db.session.add(
                MailSubscription(
                    subscriber_id=subscriber.id,
                    post_id=comment.post_id,
                    comment_id=comment.id,
                    scope=scope,
                    created_at=now(),
                )
            )
        if comment.status == CommentStatus.APPROVED:
            _ask_to_confirm(subscriber, _language_of(comment))

    commit_write(add_subscriptions)


def subscriber_for(email: str) -> MailSubscriber:
    """The subscriber row of ``email``, made if missing (in the open transaction)."""
    return _subscriber(email)


def confirm_url(subscriber: MailSubscriber) -> str:
    """The double opt-in link: pressing its button confirms the address (and gives
    the browser a commenter key, ``blogapp.comments.keys``)."""
    return REPLIES.url(CONFIRM_STEP, subscriber)


def _subscriber(email: str) -> MailSubscriber:
    db.session.execute(
        insert_for(db.session, MailSubscriber.__table__)
        .values(email=email, created_at=now())
        .on_conflict_do_nothing(index_elements=["email"])
    )
    return db.session.scalars(select(MailSubscriber).where(MailSubscriber.email == email)).one()


def _language_of(comment: Comment) -> str:
    return db.session.scalar(select(Post.language).where(Post.id == comment.post_id))


def _ask_to_confirm(subscriber: MailSubscriber, language: str | None) -> None:
    """One confirmation mail, unless confirmed or asked within ``CONFIRM_RESEND_HOURS``,
    in ``language`` (the post's commented on)."""
    moment = now()
    resend = timedelta(hours=float(current_app.config["CONFIRM_RESEND_HOURS"]))
    if subscriber.confirmed_at is not None:
        return
    if subscriber.confirmation_sent_at and moment - subscriber.confirmation_sent_at < resend:
        return
    subscriber.confirmation_sent_at = moment
    site = current_app.config["SITE_NAME"]
    confirm = REPLIES.url(CONFIRM_STEP, subscriber)
    with mail_locale(language):
        text = _(
            "Someone, probably you, asked %(site)s to e-mail %(email)s about replies to "
            "comments.\n\nTo confirm, open this link and press the button:\n%(link)s\n\n"
            "If it was not you, ignore this mail: nothing more will be sent.\n",
            site=site,
            email=subscriber.email,
            link=confirm,
        )
        enqueue(
            key=f"confirm.{subscriber.id}.{int(moment.timestamp())}",
            kind=CONFIRM,
            recipient=subscriber.email,
            subject=_("[%(site)s] Confirm your e-mail notifications", site=site),
            text=text + _footer(subscriber, []),
            headers=_list_headers(subscriber, []),
            ref=f"subscriber:{subscriber.id}",
        )


REPLIES = Subscriptions(
    model=MailSubscriber,
    endpoints={
        CONFIRM_STEP: "comment_mail.confirm",
        UNSUBSCRIBE: "comment_mail.unsubscribe",
        MANAGE: "comment_mail.subscriptions",
    },
    purposes={CONFIRM_STEP: "confirm", UNSUBSCRIBE: "unsubscribe", MANAGE: "subscriptions"},
    templates="mail",
    gone=N_("This address is no longer subscribed."),
    stop=N_("Press the button to stop these notifications."),
    manage_label=N_("Your subscriptions"),
)


def subscriptions_url(subscriber: MailSubscriber) -> str:
    return REPLIES.url(MANAGE, subscriber)


def _list_headers(subscriber: MailSubscriber, subscription_ids: list[int]) -> dict:
    return list_headers(REPLIES.url(UNSUBSCRIBE, subscriber, ids=subscription_ids))


def _footer(subscriber: MailSubscriber, subscription_ids: list[int]) -> str:
    stop = (
        _("Stop these notifications")
        if subscription_ids
        else _("Stop every notification from this site")
    )
    return (
        footer_text(
            (stop, REPLIES.url(UNSUBSCRIBE, subscriber, ids=subscription_ids)),
            (_("Your subscriptions"), subscriptions_url(subscriber)),
        )
        + mirrors_footer_text()
    )


def confirm(subscriber: MailSubscriber) -> None:
    """Confirm the subscriber behind a confirmation link (commits; in the link's POST,
    whose transaction may write)."""
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now()
    db.session.commit()


def active_subscriptions(subscriber_id: int) -> list[MailSubscription]:
    return list(
        db.session.scalars(
            select(MailSubscription)
            .join(MailSubscription.post)
            .options(db.contains_eager(MailSubscription.post))
            .where(
                MailSubscription.subscriber_id == subscriber_id, MailSubscription.ended_at.is_(None)
            )
            .order_by(MailSubscription.created_at, MailSubscription.id)
        )
    )


def end(subscriber_id: int, subscription_ids: list[int] | None = None) -> int:
    """End some (or, with None or [], all) of a subscriber's subscriptions and drop the
    notices not yet sent for them (commits; in a POST);
    returns how many ended."""
    which = [MailSubscription.subscriber_id == subscriber_id, MailSubscription.ended_at.is_(None)]
    if subscription_ids:
        which.append(MailSubscription.id.in_(subscription_ids))
    ended = db.session.execute(
        update(MailSubscription)
        .where(*which)
        .values(ended_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        delete(ReplyNotice)
        .where(
            ReplyNotice.subscriber_id == subscriber_id,
            ReplyNotice.outbox_id.is_(None),
            ReplyNotice.subscription_id.in_(
                select(MailSubscription.id).where(
                    MailSubscription.subscriber_id == subscriber_id,
                    MailSubscription.ended_at.is_not(None),
                )
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return ended


def comment_approved(comment: Comment) -> None:
    """In the transaction that approved ``comment`` (no commit): confirmation mail for
    its own author's subscriptions, notices and digests for everyone it concerns."""
    if not mail_enabled():
        return
    own = db.session.scalars(
        select(MailSubscriber)
        .join(MailSubscription, MailSubscription.subscriber_id == MailSubscriber.id)
        .where(MailSubscription.comment_id == comment.id, MailSubscription.ended_at.is_(None))
        .limit(1)
    ).first()
    if own is not None:
        _ask_to_confirm(own, _language_of(comment))
    source = db.aliased(Comment)
    concerned = db.session.execute(
        select(MailSubscription.id, MailSubscriber.id, MailSubscriber.last_digest_at)
        .join(MailSubscriber, MailSubscriber.id == MailSubscription.subscriber_id)
        .join(source, source.id == MailSubscription.comment_id)
        .where(
            MailSubscription.ended_at.is_(None),
            MailSubscriber.confirmed_at.is_not(None),
            MailSubscriber.email != comment.author_email,  # one's own replies tell nobody
            source.status == CommentStatus.APPROVED,
            source.id != comment.id,
            or_(
                and_(
                    MailSubscription.scope == SUBSCRIBE_REPLIES,
                    MailSubscription.comment_id == comment.parent_id,
                ),
                and_(
                    MailSubscription.scope == SUBSCRIBE_POST,
                    MailSubscription.post_id == comment.post_id,
                ),
            ),
        )
        .order_by(MailSubscription.id)
    ).all()
    moment, told = now(), set()
    for subscription_id, subscriber_id, last_digest_at in concerned:
        if subscriber_id in told:
            continue  # one notice per comment, whichever subscription brought it
        told.add(subscriber_id)
        added = (
            db.session.execute(
                insert_for(db.session, ReplyNotice.__table__)
                .values(
                    subscriber_id=subscriber_id,
                    subscription_id=subscription_id,
                    comment_id=comment.id,
                    created_at=moment,
                )
                .on_conflict_do_nothing(index_elements=["subscriber_id", "comment_id"])
                .returning(ReplyNotice.id)
            ).first()
            is not None
        )
        if added:
            _queue_digest(subscriber_id, last_digest_at, comment.id)


def _queue_digest(subscriber_id: int, last_digest_at, comment_id: int) -> None:
    ref = f"subscriber:{subscriber_id}"
    waiting = db.session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == DIGEST,
            OutboxMessage.ref == ref,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.body_text == "",
        )
        .limit(1)
    )
    if waiting is not None:
        return  # the digest already waiting will carry this notice too
    interval = timedelta(minutes=float(current_app.config["NOTIFY_DIGEST_MINUTES"]))
    enqueue(
        key=f"digest.{subscriber_id}.{comment_id}",
        kind=DIGEST,
        ref=ref,
        payload={"subscriber": subscriber_id},
        not_before=last_digest_at + interval if last_digest_at else None,
    )


def comment_link(post: Post, comment: Comment) -> str:
    """The comment on its post's permalink (``posts.post_url``'s shape; importing it
    would make this module part of the posts and comments import loop)."""
    local = to_local(post.published_at)
    return absolute(
        lambda: url_for(
            "posts.detail",
            year=local.year,
            month=local.month,
            day=local.day,
            slug=post.slug,
            _anchor=f"comment-{comment.id}",
        )
    )


def compose_digest(message: OutboxMessage) -> bool | datetime:
    """Write a digest at sending time from its subscriber's unsent notices (in the
    worker's write transaction); False when none is left, or the time to try again
    when the subscriber's last digest is more recent than the interval allows.

    The subscriber's row is locked (PostgreSQL; SQLite's write lock does the same),
    so two workers never put one notice into two digests."""
    subscriber = db.session.get(
        MailSubscriber, int(message.payload.get("subscriber", 0)), with_for_update=True
    )
    if subscriber is None:
        return False
    interval = timedelta(minutes=float(current_app.config["NOTIFY_DIGEST_MINUTES"]))
    if subscriber.last_digest_at and now() < subscriber.last_digest_at + interval:
        return subscriber.last_digest_at + interval
    rows = db.session.execute(
        select(ReplyNotice, Comment, Post, MailSubscription)
        .join(Comment, Comment.id == ReplyNotice.comment_id)
        .join(Post, Post.id == Comment.post_id)
        .join(MailSubscription, MailSubscription.id == ReplyNotice.subscription_id)
        .where(ReplyNotice.subscriber_id == subscriber.id, ReplyNotice.outbox_id.is_(None))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    live = [
        r
        for r in rows
        if r.Comment.status == CommentStatus.APPROVED
        and r.MailSubscription.ended_at is None
        and r.Post.is_public
    ]
    for row in rows:
        row.ReplyNotice.outbox_id = message.id  # told now, or never (no longer approved)
    subscriber.last_digest_at = now()
    if not live:
        return False
    site = current_app.config["SITE_NAME"]
    subscription_ids = sorted({r.MailSubscription.id for r in live})
    languages = {r.Post.language for r in live}
    # In the language of the post commented on (the site's, when replies span languages).
    with mail_locale(languages.pop() if len(languages) == 1 else None) as language:
        parts = []
        for row in live:
            comment, post = row.Comment, row.Post
            text = html_to_text(comment.body_html)
            if len(text) > EXCERPT:
                text = text[:EXCERPT] + "…"
            link = comment_link(post, comment)
            parts.append(
                _(
                    "%(name)s on “%(title)s”:",
                    name=comment.author_name or _("Someone"),
                    title=post.title,
                )
                + f"\n{text}\n{link}\n"
            )
        count = len(live)
        message.recipient = subscriber.email
        message.subject = (
            _(
                "[%(site)s] %(count)s new comments",
                site=site,
                count=page_digits(str(count), language),
            )
            if count > 1
            else _("[%(site)s] New comment on “%(title)s”", site=site, title=live[0].Post.title)
        )
        message.body_text = (
            _("New comments you asked to hear about on %(site)s:", site=site)
            + "\n\n"
            + "\n".join(parts)
            + _footer(subscriber, subscription_ids)
        )
    message.headers = _list_headers(subscriber, subscription_ids)
    return True
