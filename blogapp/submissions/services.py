"""The rules of submitted op-eds: sealing the writer's contact details with age
(pyrage) to the editors' public keys, storing a submission as a pending post with an
unconfirmed byline, telling the editors, opening the seal with an editor's identity,
and forgetting the seal once the post is published or rejected.

The server holds only public keys: what it stores it cannot read. An editor's identity
(``AGE-SECRET-KEY-1…``) is pasted into a POST form and used for that one response;
it is never stored or logged. The trade-off: the identity passes through the server's
memory (and TLS) while it is used, so a compromised server could capture it then;
an editor who wants none of that decrypts offline instead (``flask`` is not needed:
the blob is a standard age file)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.orm import Session

from blogapp.authors.services import slug_for
from blogapp.extensions import db
from blogapp.interface_language import interface_language, mail_locale
from blogapp.mail.outbox import enqueue, mail_enabled, site_url
from blogapp.models import (
    EDITOR_ROLES,
    FORMAT_MARKDOWN,
    AuthorProfile,
    OutboxKind,
    Post,
    PostStatus,
    Submission,
    User,
    post_bylines,
)

KIND = OutboxKind.SUBMISSION


class NotSetUp(Exception):
    """No usable recipient key: nothing may be stored."""


def enabled() -> bool:
    return bool(current_app.config.get("SUBMISSIONS_ENABLED"))


def recipients() -> list:
    """The editors' age public keys; NotSetUp when none is configured or one is not
    a valid ``age1…`` key."""
    raw = current_app.config.get("SUBMISSIONS_RECIPIENTS") or ""
    if isinstance(raw, list | tuple):
        raw = ",".join(raw)
    keys = [k.strip() for k in raw.replace("\n", ",").split(",") if k.strip()]
    if not keys:
        raise NotSetUp
    import pyrage  # imported where contact details are sealed or opened, not at start

    try:
        return [pyrage.x25519.Recipient.from_str(k) for k in keys]
    except pyrage.RecipientError as error:
        current_app.logger.error("SUBMISSIONS_RECIPIENTS holds a key that is not age's: %s", error)
        raise NotSetUp from error


def seal(text: str) -> bytes:
    import pyrage

    return pyrage.encrypt(text.encode(), recipients())


class WrongIdentity(Exception):
    pass


def unseal(sealed: bytes, identity: str) -> str:
    """The contact details, opened with an editor's ``AGE-SECRET-KEY-1…`` (held in
    memory only); WrongIdentity with a message for the editor otherwise."""
    import pyrage

    try:
        key = pyrage.x25519.Identity.from_str(identity.strip())
    except (pyrage.IdentityError, ValueError) as error:
        raise WrongIdentity(
            _("That is not an age identity (it starts with AGE-SECRET-KEY-1).")
        ) from error
    try:
        return pyrage.decrypt(sealed, [key]).decode()
    except pyrage.DecryptError as error:
        raise WrongIdentity(
            _(
                "This identity cannot open these contact details: it is not "
                "the secret key of one of the recipients."
            )
        ) from error


@dataclass(frozen=True)
class Sent:
    title: str
    body: str
    name: str
    contact: str
    language: str = "en"


def submit(sent: Sent) -> Post:
    """Store a submission as a pending post bylined with a new unconfirmed profile,
    its contact details sealed, and queue the editors' mail; the caller commits.
    NotSetUp before anything is written when no key is configured."""
    from blogapp.posts.services import PostData, save_post

    sealed = seal(sent.contact)
    profile = AuthorProfile(slug=slug_for(sent.name), name=sent.name, is_unconfirmed=True)
    db.session.add(profile)
    db.session.flush()
    post = save_post(
        None,
        PostData(
            title=sent.title,
            body=sent.body,
            content_format=FORMAT_MARKDOWN,
            language=sent.language,
            status=PostStatus.PENDING,
            byline_ids=[profile.id],
        ),
        author=None,
    )
    db.session.flush()
    db.session.add(Submission(post_id=post.id, sealed_contact=sealed))
    _tell_editors(post, sent.name)
    return post


_EDITORS = select(User.id, User.email, User.interface_language).where(
    User.is_active_account.is_(True), User.role.in_(EDITOR_ROLES), User.email != ""
)


def _tell_editors(post: Post, name: str) -> None:
    """A mail to each active editor and admin: the title, the name and a link to the
    submission's screen; never the contact details."""
    if not mail_enabled():
        return
    link = site_url("submissions_admin.show", post_id=post.id)
    site = current_app.config["SITE_NAME"]
    for user_id, email, language in db.session.execute(_EDITORS):
        with mail_locale(interface_language(language)):
            subject = _("[%(site)s] New op-ed submitted: %(title)s", site=site, title=post.title)
            text = _(
                "“%(title)s” by %(name)s was submitted through the form and waits as a "
                "pending post.\n\nReview it: %(link)s\n",
                title=post.title,
                name=name,
                link=link,
            )
        enqueue(
            key=f"submission.{post.id}.{user_id}",
            kind=KIND,
            recipient=email,
            subject=subject,
            text=text,
            ref=f"post:{post.id}",
        )


def waiting() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission)) or 0


def reject(post: Post) -> None:
    """Delete the submitted post, its seal (by cascade) and its byline's profile if
    still unconfirmed and bylining nothing else."""
    from blogapp.posts.services import delete_post

    profile_ids = list(
        db.session.scalars(
            select(post_bylines.c.author_id).where(post_bylines.c.post_id == post.id)
        )
    )
    db.session.execute(delete(Submission).where(Submission.post_id == post.id))
    delete_post(post)
    db.session.flush()
    for profile_id in profile_ids:
        used = db.session.scalar(
            select(post_bylines.c.post_id).where(post_bylines.c.author_id == profile_id).limit(1)
        )
        if used is None:
            db.session.execute(
                delete(AuthorProfile).where(
                    AuthorProfile.id == profile_id, AuthorProfile.is_unconfirmed.is_(True)
                )
            )


# Published: the seal is forgotten and the byline confirmed, whatever screen or
# command publishes the post. A session hook is the one place every status change
# passes through.
def _before_flush(session: Session, _context, _instances) -> None:
    published = [
        obj.id
        for obj in session.dirty
        if isinstance(obj, Post)
        and obj.id is not None
        and obj.status == PostStatus.PUBLISHED
        and inspect(obj).attrs.status.history.has_changes()
    ]
    if not published:
        return
    session.execute(delete(Submission).where(Submission.post_id.in_(published)))
    session.execute(
        update(AuthorProfile)
        .where(
            AuthorProfile.is_unconfirmed.is_(True),
            AuthorProfile.id.in_(
                select(post_bylines.c.author_id).where(post_bylines.c.post_id.in_(published))
            ),
        )
        .values(is_unconfirmed=False)
    )


def watch_posts() -> None:
    """Install the hook (once per process: ``db.session`` is shared)."""
    from sqlalchemy import event

    if not event.contains(db.session, "before_flush", _before_flush):
        event.listen(db.session, "before_flush", _before_flush)
