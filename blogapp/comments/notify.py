"""Mail caused by comments, queued in the outbox inside the transaction that stores
or approves them (the worker sends it later, so no request waits for SMTP).

- A held comment: a mail to each address in ``COMMENT_NOTIFY_EMAILS``. An address
  that belongs to an active editor or admin also gets Approve, Spam and Trash links
  signed for that person (see ``email_moderation``).
- An approved comment: reply notifications (``subscriptions.comment_approved``).

Off unless both ``COMMENT_NOTIFY_EMAILS`` and ``MAIL_SERVER`` are set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select

from blogapp.comments import keys, subscriptions
from blogapp.content import html_to_text
from blogapp.extensions import db
from blogapp.mail import links
from blogapp.mail.outbox import enqueue, mail_enabled, site_url
from blogapp.models import ROLES, Comment, CommentStatus, OutboxKind, User

HELD = OutboxKind.COMMENT_HELD
MODERATION_ACTIONS = ("approve", "spam", "trash")


def recipients() -> list[str]:
    raw = current_app.config.get("COMMENT_NOTIFY_EMAILS") or ""
    if isinstance(raw, list | tuple):
        raw = ",".join(raw)
    return [a.strip() for a in raw.split(",") if a.strip()]


def enabled() -> bool:
    return bool(recipients() and mail_enabled())


@dataclass(frozen=True)
class HeldMail:
    """The held-comment mail, worked out before the comment's write lock is taken:
    all but the comment's id (its key and the signed links), which the insert gives."""

    subject: str
    text: str
    # Each address, and the editor or admin it belongs to: (id, name), or None.
    recipients: tuple[tuple[str, tuple[int, str] | None], ...]


def prepare_held_mail(row: dict, post_title: str) -> HeldMail | None:
    """For a reader's comment about to be stored held (``row``: its columns); None when
    it is not held or no mail is sent. Runs in the read phase of ``services.submit``."""
    if row["status"] != CommentStatus.PENDING or not enabled():
        return None
    addresses = recipients()
    editors = {
        email.lower(): (user_id, display_name.strip() or login)
        for user_id, email, display_name, login in db.session.execute(
            _EDITORS, {"emails": [a.lower() for a in addresses]}
        )
    }
    title = post_title.strip() or f"post #{row['post_id']}"
    text = (
        f"A new comment on “{title}” is waiting for moderation.\n\n"
        f"Author: {row['author_name']}\nEmail: {row['author_email']}\n"
        f"Website: {row['author_url'] or '-'}\nAddress: {row['author_ip']}\n\n"
        f"{html_to_text(row['body_html'])}\n\n"
    )
    return HeldMail(
        subject=f"[{current_app.config['SITE_NAME']}] Comment awaiting moderation: {title}",
        text=text, recipients=tuple((a, editors.get(a.lower())) for a in addresses),
    )  # fmt: skip


def comment_stored(comment: Comment, held: HeldMail | None) -> None:
    """In the transaction storing a reader's comment (no commit)."""
    if held is not None:
        queue_held_mail(comment, held)
    elif comment.status == CommentStatus.APPROVED:
        subscriptions.comment_approved(comment)


def comment_approved(comment: Comment) -> None:
    """In the transaction approving a comment (a moderator's, or a moderator's reply)."""
    subscriptions.comment_approved(comment)
    keys.comment_approved(comment)


def moderation_token(comment: Comment, editor_id: int, action: str) -> str:
    # The comment's grant (id and creation time), not its id alone: the link can only
    # ever act on the comment the mail was about (``email_moderation.read_link``).
    return links.make("moderate", {"c": comment.grant, "u": editor_id, "a": action},
                      single_use=True)  # fmt: skip


def moderation_link_age() -> timedelta:
    return timedelta(hours=float(current_app.config["MODERATION_LINK_HOURS"]))


# Built once: the held-comment mail is worked out for every held comment.
_EDITORS = select(User.id, User.email, User.display_name, User.login).where(
    func.lower(User.email).in_(bindparam("emails", expanding=True)),
    User.is_active_account.is_(True), User.role.in_(ROLES),
)  # fmt: skip


def queue_held_mail(comment: Comment, held: HeldMail) -> None:
    """One mail per address; an editor's carries their own signed action links."""
    admin_link = site_url("moderation.comments", status="pending")
    hours = current_app.config["MODERATION_LINK_HOURS"]
    for index, (address, editor) in enumerate(held.recipients):
        body = held.text
        if editor is not None:
            editor_id, name = editor
            for action in MODERATION_ACTIONS:
                link = site_url("comment_mail.moderate",
                                token=moderation_token(comment, editor_id, action))
                body += f"{action.capitalize()}: {link}\n"
            body += (f"\n(These links work once, for {name}, for {hours} hours; "
                     "each asks you to confirm.)\n")  # fmt: skip
        body += f"Moderate it: {admin_link}\n"
        enqueue(key=f"held.{comment.id}.{index}", kind=HELD, recipient=address,
                subject=held.subject, text=body, ref=f"comment:{comment.id}")
