"""Everything that changes a comment. Each change records a ModerationEvent (the
audit log) and keeps ``Post.comment_count`` equal to the number of approved
comments, in the same transaction.

Status changes are conditional UPDATEs (``... WHERE status = <the status we saw>``),
so two moderators pressing "Approve" at once change the comment, and the count,
once; the count moves by an increment, which stays right under concurrent writers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import bindparam, insert, select, update

from blogapp import clock
from blogapp.comments import keys, notify, spam_filter
from blogapp.comments.commented_post import CommentedPost
from blogapp.comments.retention import keeps_addresses
from blogapp.comments.rules import Candidate, Verdict, count_links, judge
from blogapp.comments.settings import CommentSettings
from blogapp.content import html_to_text
from blogapp.database import Changed, commit_write
from blogapp.extensions import db
from blogapp.models import (
    Comment,
    CommentReport,
    CommentSpamScore,
    CommentStatus,
    ModerationEvent,
    Post,
    User,
)
from blogapp.sanitize import clean_comment, safe_website, strip_invisible

# Moderation actions and the status each leads to ("restore" is computed).
ACTIONS = {
    "approve": CommentStatus.APPROVED,
    "unapprove": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.TRASH,
    "restore": None,
    "delete": None,
}
DELETABLE = (CommentStatus.SPAM, CommentStatus.TRASH)


class SubmissionError(ValueError):
    """A reader's comment that cannot be stored, and which form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Submission:
    author_name: str
    author_email: str
    author_url: str
    body: str
    parent_id: int | None
    author_ip: str
    user_agent: str
    honeypot_filled: bool
    seconds_since_served: float | None
    commenter_key: str = ""  # the browser's key (``keys``), read from the POST's cookie
    wants_key: bool = False  # "Recognise me on this browser" ticked
    lockdown_hold: bool = False  # a lockdown holds every new comment (``lockdown``)


def summarize(comment: Comment, extra: str = "") -> str:
    """A line that still says what the comment was after it is deleted."""
    text = html_to_text(comment.body_html)
    if len(text) > 80:
        text = text[:80] + "…"
    line = f"#{comment.id} by {comment.author_name} on post #{comment.post_id}: {text}"
    if extra:
        line = f"{line} [{extra}]"
    return line if len(line) <= 300 else line[:299] + "…"


def _event(
    comment: Comment,
    action: str,
    from_status: str,
    to_status: str,
    actor: User | None,
    extra: str = "",
) -> dict:
    """The columns of the ModerationEvent (audit log entry) for an action."""
    return dict(
        comment_id=comment.id,
        comment_summary=summarize(comment, extra),
        actor_id=actor.id if actor else None,
        actor_login=actor.login if actor else "",
        action=action,
        from_status=from_status,
        to_status=to_status,
        created_at=clock.now(),
    )


def _record(
    comment: Comment,
    action: str,
    from_status: str,
    to_status: str,
    actor: User | None,
    extra: str = "",
) -> None:
    db.session.add(ModerationEvent(**_event(comment, action, from_status, to_status, actor, extra)))


# Statements built once. Those of a reader's comment run while SQLite's single write
# lock is held, which every other comment waits for; as plain Core statements with
# parameters they take a fraction of the time of building them anew each time and
# flushing ORM objects (an insert a fifth, a select half).
_posts, _comments = Post.__table__.c, Comment.__table__.c
_COUNT_CHANGE = (
    update(Post.__table__)
    .where(_posts.id == bindparam("post"))
    .values(comment_count=_posts.comment_count + bindparam("delta"))
)
_POST_STATE = select(_posts.status, _posts.comment_mode, _posts.published_at).where(
    _posts.id == bindparam("post")
)
_PARENT_STATE = select(_comments.post_id, _comments.status).where(
    _comments.id == bindparam("parent")
)
_INSERT_COMMENT = insert(Comment.__table__)
_INSERT_EVENT = insert(ModerationEvent.__table__)
_INSERT_SCORE = insert(CommentSpamScore.__table__)


def _adjust_count(post_id: int, delta: int) -> None:
    if delta:
        db.session.execute(_COUNT_CHANGE, {"post": post_id, "delta": delta})


def _delta(from_status: str, to_status: str) -> int:
    return (to_status == CommentStatus.APPROVED) - (from_status == CommentStatus.APPROVED)


_HOST = re.compile(r"^[\w.-]+(:\d{1,5})?$")


def clean_website(url: str) -> str:
    """An http(s) website with a plausible host, else nothing (``safe_website`` checks
    the scheme; this also drops spaces, quotes and angle brackets pasted into it)."""
    url = safe_website(url)
    if not url or len(url) > 500 or re.search(r"[\s<>\"'`]", url):
        return ""
    return url if _HOST.match(urlsplit(url).netloc.rsplit("@", 1)[-1]) else ""


def clean_name(name: str) -> str:
    return " ".join(strip_invisible(name).split())[:250]


def valid_parent(post: CommentedPost, parent_id: int | None) -> Comment | None:
    """The approved comment of this post being replied to; SubmissionError otherwise."""
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.post_id != post.id or parent.status != CommentStatus.APPROVED:
        raise SubmissionError(
            "parent_id", "The comment you are replying to is not open for replies on this post."
        )
    return parent


class Outdated(Changed):
    """The post or the comment replied to changed between judging a reader's comment
    and storing it: judge it again."""


def submit(
    post: CommentedPost, sub: Submission, settings: CommentSettings
) -> tuple[Comment, Verdict]:
    """Judge a reader's comment, then store it with the status the rules give it
    (commits). Raises ``Outdated`` when what it was judged on changed meanwhile.

    The reads, the cleaning and the rules run in whatever transaction is open (a
    read-only one in ``comments.create``); that transaction then ends, and only the
    insert runs in a write transaction, so SQLite's single write lock is held for as
    little as possible. Under that lock the post and the parent are checked again,
    so a comment is never stored on a post that was closed, hidden or deleted, or
    under a reply target that stopped being approved, in the meantime."""
    parent = valid_parent(post, sub.parent_id)
    body = strip_invisible(sub.body).strip()
    candidate = Candidate(
        author_name=clean_name(sub.author_name),
        author_email=strip_invisible(sub.author_email).strip().lower()[:254],
        author_url=clean_website(sub.author_url),
        author_ip=sub.author_ip[:45],
        body=body,
        body_html=clean_comment(body),
    )
    # Known only by the key this browser was given for the address: a name and an
    # address anyone can type in recognise nobody.
    known = keys.is_known(sub.commenter_key, candidate.author_email)
    verdict = judge(
        candidate,
        settings,
        comment_mode=post.comment_mode,
        honeypot_filled=sub.honeypot_filled,
        seconds_since_served=sub.seconds_since_served,
        min_seconds=float(current_app.config["COMMENT_MIN_SECONDS"]),
        known_commenter=settings.auto_approve_known and known,
        lockdown_hold=sub.lockdown_hold,
    )
    found_signals = _signals(candidate, sub.seconds_since_served)
    scored = spam_filter.score(candidate.body, found_signals)
    verdict = spam_filter.route(verdict, scored)
    row = dict(
        post_id=post.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        author_name=candidate.author_name,
        author_email=candidate.author_email,
        author_url=candidate.author_url,
        # With COMMENT_IP_RETENTION_DAYS=0 the rules above saw the address; nothing keeps it.
        author_ip=candidate.author_ip if keeps_addresses() else "",
        user_agent=strip_invisible(sub.user_agent)[:500] if keeps_addresses() else "",
        body=candidate.body,
        body_html=candidate.body_html,
        status=verdict.status,
        created_at=clock.now(),
        known_browser=known,
        wants_key=sub.wants_key and bool(candidate.author_email) and not known,
    )
    judged_on = (post.status, post.comment_mode, post.published_at)
    held_mail = notify.prepare_held_mail(row, post.title)  # read now, not under the lock

    def store() -> Comment:
        if not _unchanged(row["post_id"], row["parent_id"], judged_on):
            raise Outdated
        stored = db.session.execute(_INSERT_COMMENT, row)
        # Not in the session: the comment as stored, with its id, for the caller.
        comment = Comment(id=stored.inserted_primary_key[0], **row)
        _adjust_count(comment.post_id, _delta("", verdict.status))
        db.session.execute(
            _INSERT_EVENT, _event(comment, "submitted", "", verdict.status, None, verdict.reason)
        )
        db.session.execute(_INSERT_SCORE, spam_filter.score_row(comment.id, scored, found_signals))
        notify.comment_stored(comment, held_mail)  # its mail, in the same transaction
        return comment

    # The read above ends here; an approved comment renews the content version as it commits.
    return commit_write(store), verdict


def _signals(candidate: Candidate, seconds_since_served: float | None) -> tuple[str, ...]:
    return spam_filter.signals(
        links=count_links(candidate.body, candidate.body_html),
        website=bool(candidate.author_url),
        email=bool(candidate.author_email),
        length=len(candidate.body),
        seconds_since_served=seconds_since_served,
    )


def _unchanged(post_id: int, parent_id: int | None, judged_on: tuple) -> bool:
    """The post still has the status, comment mode and date the comment was judged on
    (so it is still public and open), and the parent, if any, is still an approved
    comment of it."""
    post = db.session.execute(_POST_STATE, {"post": post_id}).first()
    if post is None or tuple(post) != judged_on:
        return False
    if parent_id is None:
        return True
    parent = db.session.execute(_PARENT_STATE, {"parent": parent_id}).first()
    return parent is not None and tuple(parent) == (post_id, CommentStatus.APPROVED)


def _restore_target(comment: Comment) -> str:
    """Back to the status it had before it was trashed or marked spam, else pending."""
    before = db.session.scalar(
        select(ModerationEvent.from_status)
        .where(
            ModerationEvent.comment_id == comment.id, ModerationEvent.to_status == comment.status
        )
        .order_by(ModerationEvent.created_at.desc(), ModerationEvent.id.desc())
        .limit(1)
    )
    kept = (CommentStatus.PENDING, CommentStatus.APPROVED)
    return before if before in kept else CommentStatus.PENDING


def change_status(
    comment: Comment, to_status: str, actor: User | None, action: str, extra: str = ""
) -> bool:
    """Move ``comment`` to ``to_status`` once; False (and nothing recorded) when it
    already was there or someone else changed it first. Does not commit. A
    moderator's change settles the readers' reports of the comment."""
    from_status = comment.status
    if from_status == to_status:
        return False
    changed = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status == from_status)
        .values(status=to_status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.refresh(comment)
        return False
    comment.status = to_status
    db.session.flush()
    spam_filter.relabel(comment, to_status)  # a moderator's word teaches the filter
    _adjust_count(comment.post_id, _delta(from_status, to_status))
    _record(comment, action, from_status, to_status, actor, extra)
    if actor is not None:
        settle_reports(comment.id)
    if to_status == CommentStatus.APPROVED:
        notify.comment_approved(comment)
    return True


def settle_reports(comment_id: int) -> int:
    """A moderator looked at the comment: readers' reports of it are dealt with."""
    return db.session.execute(
        update(CommentReport)
        .where(CommentReport.comment_id == comment_id, CommentReport.resolved_at.is_(None))
        .values(resolved_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount


def hide_reported(comment: Comment, readers: int) -> bool:
    """Reports from ``readers`` readers hide an approved comment until a moderator
    looks (back to pending), recorded in the moderation log. Does not commit."""
    if comment.status != CommentStatus.APPROVED:
        return False
    return change_status(
        comment,
        CommentStatus.PENDING,
        None,
        "hidden after reports",
        f"reported by {readers} readers",
    )


def dismiss_reports(comment: Comment, actor: User) -> bool:
    """A moderator keeps a reported comment as it is (commits)."""
    settled = settle_reports(comment.id)
    if settled:
        _record(
            comment,
            "reports dismissed",
            comment.status,
            comment.status,
            actor,
            f"{settled} report(s)",
        )
    db.session.commit()
    return bool(settled)


def _act(comment: Comment, to_status: str, actor: User, action: str) -> bool:
    changed = change_status(comment, to_status, actor, action)
    db.session.commit()
    return changed


def moderate(comment: Comment, action: str, actor: User, label: str) -> bool:
    """``action`` (approve, unapprove, spam or trash) recorded in the log as ``label``,
    e.g. "approve via e-mail" (commits)."""
    return _act(comment, ACTIONS[action], actor, label)


def approve(comment: Comment, actor: User) -> bool:
    return _act(comment, CommentStatus.APPROVED, actor, "approve")


def unapprove(comment: Comment, actor: User) -> bool:
    return _act(comment, CommentStatus.PENDING, actor, "unapprove")


def spam(comment: Comment, actor: User) -> bool:
    return _act(comment, CommentStatus.SPAM, actor, "spam")


def trash(comment: Comment, actor: User) -> bool:
    return _act(comment, CommentStatus.TRASH, actor, "trash")


def restore(comment: Comment, actor: User) -> bool:
    if comment.status not in DELETABLE:
        return False
    return _act(comment, _restore_target(comment), actor, "restore")


def delete_permanently(comment: Comment, actor: User) -> bool:
    """Only from spam or trash, so no comment is lost by one wrong click. Replies
    stay (their parent becomes empty); the audit log keeps the summary."""
    if comment.status not in DELETABLE:
        return False
    _record(comment, "delete", comment.status, "", actor)
    db.session.flush()
    deleted = db.session.execute(
        Comment.__table__.delete().where(
            Comment.__table__.c.id == comment.id, Comment.__table__.c.status.in_(DELETABLE)
        )
    ).rowcount
    if not deleted:
        db.session.rollback()
        return False
    db.session.commit()
    db.session.expunge(comment)
    return True


def apply(action: str, comment: Comment, actor: User) -> bool:
    handlers = {
        "approve": approve,
        "unapprove": unapprove,
        "spam": spam,
        "trash": trash,
        "restore": restore,
        "delete": delete_permanently,
    }
    return handlers[action](comment, actor)


def bulk(action: str, comment_ids: Iterable[int], actor: User) -> int:
    """Apply one action to many comments; returns how many changed."""
    ids = sorted(set(comment_ids))
    if not ids or action not in ACTIONS:
        return 0
    comments = db.session.scalars(select(Comment).where(Comment.id.in_(ids))).all()
    return sum(apply(action, comment, actor) for comment in comments)


def edit(
    comment: Comment,
    actor: User,
    *,
    author_name: str,
    author_email: str,
    author_url: str,
    body: str,
) -> bool:
    """A moderator corrects a comment: sanitized again exactly as a reader's."""
    body = strip_invisible(body).strip()
    new = {
        "author_name": clean_name(author_name),
        "author_email": strip_invisible(author_email).strip().lower()[:254],
        "author_url": clean_website(author_url),
        "body": body,
        "body_html": clean_comment(body),
    }
    if all(getattr(comment, k) == v for k, v in new.items()):
        return False
    spam_filter.forget(comment)  # learned from the text as it was
    for key, value in new.items():
        setattr(comment, key, value)
    spam_filter.relabel(comment, comment.status)
    _record(comment, "edit", comment.status, comment.status, actor)
    db.session.commit()
    return True


def reader_edit(comment: Comment, body: str, settings: CommentSettings) -> Verdict | None:
    """A reader fixes their own comment (``own_edits`` decides whether they may):
    sanitized and judged again as a new comment would be. An approved comment goes
    back to pending whatever the rules say: approval was given to the words a
    moderator read, and an edit could add anything (a person's home address). The log
    entry keeps the text before the edit and the rules' reason. None (and nothing
    stored) when the text did not change or the comment changed meanwhile; commits
    otherwise."""
    body = strip_invisible(body).strip()
    if body == comment.body:
        return None
    was_approved = comment.status == CommentStatus.APPROVED
    candidate = Candidate(
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_url=comment.author_url,
        author_ip=comment.author_ip,
        body=body,
        body_html=clean_comment(body),
    )
    verdict = judge(
        candidate,
        settings,
        comment_mode=db.session.get(Post, comment.post_id).comment_mode,
        honeypot_filled=False,
        seconds_since_served=float("inf"),  # bot traps ran at submission
        min_seconds=0.0,
        # Sent from a recognised browser, or not: an edit keeps what its comment was.
        known_commenter=comment.known_browser,
    )
    found_signals = _signals(candidate, None)
    scored = spam_filter.score(body, found_signals)
    if was_approved:
        # Back to the queue, spam included: a person decides about a comment they approved.
        reason = "edited after approval"
        if verdict.status != CommentStatus.APPROVED:
            reason += f"; {verdict.reason}"
        verdict = Verdict(CommentStatus.PENDING, reason)
    else:
        verdict = spam_filter.route(verdict, scored)
    to_status = verdict.status
    from_status, previous = comment.status, comment.body
    spam_filter.forget(comment)  # learned from the text as it was
    changed = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status == from_status, Comment.body == previous)
        .values(body=body, body_html=candidate.body_html, status=to_status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        return None
    comment.body, comment.body_html, comment.status = body, candidate.body_html, to_status
    spam_filter.rescore(comment.id, scored, found_signals)
    _adjust_count(comment.post_id, _delta(from_status, to_status))
    event = _event(comment, "reader edit", from_status, to_status, None, verdict.reason)
    db.session.execute(_INSERT_EVENT, {**event, "previous_body": previous})
    if to_status == CommentStatus.APPROVED and from_status != CommentStatus.APPROVED:
        notify.comment_approved(comment)
    db.session.commit()
    return Verdict(to_status, verdict.reason)


def reply(parent: Comment, actor: User, body: str) -> Comment:
    """A moderator's reply: published at once, threaded under ``parent``. Replying
    to a held comment approves it, as WordPress does, so the reply is not orphaned."""
    if parent.status in DELETABLE:
        raise SubmissionError("body", "Restore this comment before replying to it.")
    change_status(parent, CommentStatus.APPROVED, actor, "approve")
    body = strip_invisible(body).strip()
    comment = Comment(
        post_id=parent.post_id,
        parent_id=parent.id,
        depth=parent.depth + 1,
        author_name=clean_name(actor.public_name),
        author_email=actor.email.lower(),
        body=body,
        body_html=clean_comment(body),
        status=CommentStatus.APPROVED,
        user_id=actor.id,
    )
    db.session.add(comment)
    db.session.flush()
    _adjust_count(comment.post_id, 1)
    _record(comment, "reply", "", CommentStatus.APPROVED, actor, f"reply to #{parent.id}")
    notify.comment_approved(comment)
    db.session.commit()
    return comment
