"""Moderation from the inbox: the Approve, Spam and Trash links of the held-comment
mail (``notify.queue_held_mail``).

A link is signed for one comment (its id and creation time: ``Comment.grant``), one
editor and one action, expires after ``MODERATION_LINK_HOURS`` and works once (its
nonce goes into ``used_tokens`` in the transaction that acts). Opening it changes
nothing, because mail scanners open links: ``read_link`` and ``why_not`` serve the
confirmation page, and only ``act`` (its button's POST) moderates, through
``services.moderate``, so the moderation log names the editor and says "via e-mail"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blogapp.comments import notify, services
from blogapp.extensions import db
from blogapp.mail import links
from blogapp.models import EDITOR_ROLES, Comment, CommentStatus, UsedToken, User

PURPOSE = "moderate"
DONE = {"approve": "approved", "spam": "marked as spam", "trash": "moved to the trash"}


@dataclass(frozen=True)
class ModerationLink:
    comment: Comment
    editor: User
    action: str
    nonce: str


def read_link(token: str) -> ModerationLink:
    """What a genuine, unexpired link asks for; LinkError with a plain reason otherwise."""
    data = links.read(PURPOSE, token, notify.moderation_link_age())
    action, nonce, named = data.get("a"), data.get("n"), data.get("c")
    if isinstance(named, int):  # a link mailed before links named the creation time
        named = [named, None]
    if (
        action not in notify.MODERATION_ACTIONS
        or not isinstance(nonce, str)
        or not isinstance(named, list)
        or len(named) != 2
    ):
        raise links.LinkError("This link is not valid.")
    comment = db.session.scalar(
        select(Comment).options(joinedload(Comment.post)).where(Comment.id == named[0])
    )
    if comment is None or not _made_for(comment, named, data):
        raise links.LinkError("This comment no longer exists.")
    editor = db.session.get(User, data.get("u"))
    if editor is None or not editor.is_active_account or editor.role not in EDITOR_ROLES:
        raise links.LinkError("This link was sent to someone who can no longer moderate.")
    return ModerationLink(comment, editor, action, nonce)


def _made_for(comment: Comment, named: list, data: dict) -> bool:
    """Whether the link was made for ``comment``, not for one whose id it was given
    since: the link names its creation time too (or, made before links did, the
    comment is as old as the link)."""
    if named[1] is None:
        return links.made_before(comment.created_at, data)
    return list(comment.grant) == named


def why_not(link: ModerationLink) -> str | None:
    """Why the link can no longer act, or None when it can."""
    if db.session.get(UsedToken, link.nonce) is not None:
        return "This link was already used. Nothing changed."
    if link.comment.status != CommentStatus.PENDING:
        return (
            f"This comment was already moderated: it is {link.comment.status} now. Nothing changed."
        )
    return None


def act(link: ModerationLink) -> tuple[bool, str]:
    """Use the link (commits): (True, what was done) or (False, why nothing changed)."""
    reason = why_not(link)
    if reason is None and not links.consume(link.nonce, PURPOSE):
        reason = "This link was already used. Nothing changed."
    if reason is not None:
        db.session.rollback()
        return False, reason
    # Commits the change, its log entry and the used nonce together.
    if not services.moderate(link.comment, link.action, link.editor, f"{link.action} via e-mail"):
        return False, "Someone moderated this comment a moment ago. Nothing changed."
    return True, f"Comment #{link.comment.id} {DONE[link.action]} by {link.editor.public_name}."
