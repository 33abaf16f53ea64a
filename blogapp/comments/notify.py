"""Mail caused by comments, queued in the outbox inside the transaction that stores
or approves them (the worker sends it later, so no request waits for SMTP).

- A held comment: a mail to each address in ``COMMENT_NOTIFY_EMAILS``. An address
  that belongs to an active editor or admin also gets Approve, Spam and Trash links
  signed for that person (see ``email_moderation``).
- An approved comment: reply notifications (``subscriptions.comment_approved``).

Each held-comment mail is written in its reader's language: the account's choice for an
editor or admin (``User.interface_language``), the site's for any other address.

Off unless both ``COMMENT_NOTIFY_EMAILS`` and ``MAIL_SERVER`` are set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from blogapp.comments import keys, subscriptions
from blogapp.content import html_to_text
from blogapp.extensions import db
from blogapp.interface_language import N_, interface_language, mail_locale
from blogapp.mail import links
from blogapp.mail.outbox import enqueue, mail_enabled, site_url
from blogapp.models import EDITOR_ROLES, Comment, CommentStatus, OutboxKind, User

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
    """What the held-comment mail says, worked out before the comment's write lock is
    taken: all but the comment's id (its key and the signed links), which the insert
    gives, and the words, written per recipient in their language."""

    title: str
    author: str
    email: str
    website: str
    address: str
    body: str
    # Each address, and the editor or admin it belongs to: (id, name, language), or None.
    recipients: tuple[tuple[str, tuple[int, str, str | None] | None], ...]


def prepare_held_mail(row: dict, post_title: str) -> HeldMail | None:
    """For a reader's comment about to be stored held (``row``: its columns); None when
    it is not held or no mail is sent. Runs in the read phase of ``services.submit``."""
    if row["status"] != CommentStatus.PENDING or not enabled():
        return None
    addresses = recipients()
    editors = {
        email.lower(): (user_id, display_name.strip() or login, language)
        for user_id, email, display_name, login, language in db.session.execute(
            _EDITORS, {"emails": [a.lower() for a in addresses]}
        )
    }
    return HeldMail(
        title=post_title.strip() or f"post #{row['post_id']}",
        author=row["author_name"],
        email=row["author_email"],
        website=row["author_url"] or "-",
        address=row["author_ip"],
        body=html_to_text(row["body_html"]),
        recipients=tuple((a, editors.get(a.lower())) for a in addresses),
    )


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
    return links.make(
        "moderate", {"c": comment.grant, "u": editor_id, "a": action}, single_use=True
    )


def moderation_link_age() -> timedelta:
    return timedelta(hours=float(current_app.config["MODERATION_LINK_HOURS"]))


# Built once: the held-comment mail is worked out for every held comment.
_EDITORS = select(
    User.id, User.email, User.display_name, User.login, User.interface_language
).where(
    func.lower(User.email).in_(bindparam("emails", expanding=True)),
    User.is_active_account.is_(True),
    User.role.in_(EDITOR_ROLES),
)


# The action links' names, as the moderation screen shows them.
_ACTION_NAMES = {"approve": N_("Approve"), "spam": N_("Spam"), "trash": N_("Trash")}


def queue_held_mail(comment: Comment, held: HeldMail) -> None:
    """One mail per address, in its reader's language; an editor's carries their own
    signed action links."""
    admin_link = site_url("moderation.comments", status="pending")
    hours = current_app.config["MODERATION_LINK_HOURS"]
    site = current_app.config["SITE_NAME"]
    for index, (address, editor) in enumerate(held.recipients):
        with mail_locale(interface_language(editor[2] if editor else None)):
            body = _(
                "A new comment on “%(title)s” is waiting for moderation.\n\n"
                "Author: %(author)s\nEmail: %(email)s\nWebsite: %(website)s\n"
                "Address: %(address)s\n\n",
                title=held.title,
                author=held.author,
                email=held.email,
                website=held.website,
                address=held.address,
            )
            body += f"{held.body}\n\n"
            if editor is not None:
                editor_id, name, _language = editor
                for action in MODERATION_ACTIONS:
                    link = site_url(
                        "comment_mail.moderate", token=moderation_token(comment, editor_id, action)
                    )
                    body += f"{_(_ACTION_NAMES[action])}: {link}\n"
                body += (
                    "\n"
                    + _(
                        "(These links work once, for %(name)s, for %(hours)s "
                        "hours; each asks you to confirm.)",
                        name=name,
                        hours=hours,
                    )
                    + "\n"
                )
            body += _("Moderate it: %(link)s", link=admin_link) + "\n"
            subject = _(
                "[%(site)s] Comment awaiting moderation: %(title)s", site=site, title=held.title
            )
        enqueue(
            key=f"held.{comment.id}.{index}",
            kind=HELD,
            recipient=address,
            subject=subject,
            text=body,
            ref=f"comment:{comment.id}",
        )
