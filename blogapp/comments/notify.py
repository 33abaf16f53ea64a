"""Mail caused by comments, queued in the outbox inside the transaction that stores
or approves them (the worker sends it later, so no request waits for SMTP).

- A held comment: a mail to each address in ``COMMENT_NOTIFY_EMAILS``. An address
  that belongs to an active editor or admin also gets Approve, Spam and Trash links
  signed for that person (see ``email_moderation``).
- An approved comment: reply notifications (``subscriptions.comment_approved``).

Off unless both ``COMMENT_NOTIFY_EMAILS`` and ``MAIL_SERVER`` are set."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from blogapp.comments import subscriptions
from blogapp.content import html_to_text
from blogapp.extensions import db
from blogapp.mail import links
from blogapp.mail.outbox import enqueue, mail_enabled, site_url
from blogapp.models import COMMENT_APPROVED, COMMENT_PENDING, ROLES, Comment, User

HELD = "comment-held"
MODERATION_ACTIONS = ("approve", "spam", "trash")


def recipients() -> list[str]:
    raw = current_app.config.get("COMMENT_NOTIFY_EMAILS") or ""
    if isinstance(raw, list | tuple):
        raw = ",".join(raw)
    return [a.strip() for a in raw.split(",") if a.strip()]


def enabled() -> bool:
    return bool(recipients() and mail_enabled())


def comment_stored(comment: Comment, post_title: str) -> None:
    """In the transaction storing a reader's comment (no commit)."""
    if comment.status == COMMENT_PENDING:
        queue_held_mail(comment, post_title)
    elif comment.status == COMMENT_APPROVED:
        subscriptions.comment_approved(comment)


def comment_approved(comment: Comment) -> None:
    """In the transaction approving a comment (a moderator's, or a moderator's reply)."""
    subscriptions.comment_approved(comment)


def moderation_token(comment: Comment, user: User, action: str) -> str:
    return links.make("moderate", {"c": comment.id, "u": user.id, "a": action}, single_use=True)


def moderation_link_age() -> timedelta:
    return timedelta(hours=float(current_app.config["MODERATION_LINK_HOURS"]))


def queue_held_mail(comment: Comment, post_title: str) -> None:
    if not enabled():
        return
    addresses = recipients()
    editors = {
        user.email.lower(): user
        for user in db.session.scalars(
            select(User).where(func.lower(User.email).in_([a.lower() for a in addresses]),
                               User.is_active_account.is_(True), User.role.in_(ROLES))
        )
    }  # fmt: skip
    config = current_app.config
    title = post_title.strip() or f"post #{comment.post_id}"
    subject = f"[{config['SITE_NAME']}] Comment awaiting moderation: {title}"
    text = (
        f"A new comment on “{title}” is waiting for moderation.\n\n"
        f"Author: {comment.author_name}\nEmail: {comment.author_email}\n"
        f"Website: {comment.author_url or '-'}\nAddress: {comment.author_ip}\n\n"
        f"{html_to_text(comment.body_html)}\n\n"
    )
    admin_link = site_url("moderation.comments", status="pending")
    hours = config["MODERATION_LINK_HOURS"]
    for index, address in enumerate(addresses):
        body = text
        editor = editors.get(address.lower())
        if editor is not None:
            for action in MODERATION_ACTIONS:
                link = site_url("comment_mail.moderate",
                                token=moderation_token(comment, editor, action))
                body += f"{action.capitalize()}: {link}\n"
            body += (f"\n(These links work once, for {editor.public_name}, for {hours} hours; "
                     "each asks you to confirm.)\n")  # fmt: skip
        body += f"Moderate it: {admin_link}\n"
        enqueue(key=f"held.{comment.id}.{index}", kind=HELD, recipient=address,
                subject=subject, text=body, ref=f"comment:{comment.id}")
