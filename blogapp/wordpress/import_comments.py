"""Import step: the comments of a batch of posts, threaded as on the old site, with
parents before replies; one multi-row INSERT per thread depth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update

from blogapp import clock
from blogapp.comments import spam_filter
from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, Post
from blogapp.sanitize import safe_website, strip_invisible
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.wxr_fields import chunks, item_date
from blogapp.wordpress.wxr_reader import WxrComment, WxrItem

COMMENT_STATUS = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.TRASH,
    "post-trashed": CommentStatus.TRASH,
}
LINKBACKS = ("pingback", "trackback")  # notices from other blogs, not readers' comments
MAX_THREAD_DEPTH = 1000  # a longer chain of parents is a loop the file made


def is_linkback(comment: WxrComment) -> bool:
    return comment.type in LINKBACKS


def write_comments(
    state: ImportState, targets: Sequence[tuple[WxrItem, int]], cleaned_html: dict[int, str]
) -> None:
    """Insert the comments of ``targets`` (items with the id of their post here);
    ``cleaned_html`` holds each one's clean HTML by ``id()`` of its WxrComment."""
    report = state.report
    wanted_ids = {c.wp_id for item, _ in targets for c in item.comments if c.wp_id}
    wanted_ids |= {c.parent for item, _ in targets for c in item.comments if c.parent}
    known: dict[int, tuple[int, int]] = {}  # WordPress comment id -> (our id, depth)
    existing: set[int] = set()
    for chunk in chunks(sorted(wanted_ids)):
        for wp_id, our_id, depth in db.session.execute(
            select(Comment.wp_id, Comment.id, Comment.depth).where(Comment.wp_id.in_(chunk))
        ):
            known[wp_id] = (our_id, depth)
            existing.add(wp_id)

    levels: dict[int, list[tuple[WxrComment, int]]] = {}  # depth -> (comment, post id)
    touched: set[int] = set()
    for item, post_id in targets:
        fresh: dict[int, WxrComment] = {}
        for c in item.comments:
            if is_linkback(c):
                report.skipped["pingbacks and trackbacks"] += 1
            elif c.wp_id is not None and c.wp_id in existing:
                report.skipped["comments already imported"] += 1
            elif c.wp_id is not None and c.wp_id in fresh:
                report.skipped["duplicate comments in the file"] += 1
            else:
                fresh[c.wp_id if c.wp_id is not None else -len(fresh) - 1] = c
        depths = thread_depths(state, fresh, known, item.line)
        for key, comment in fresh.items():
            levels.setdefault(depths[key], []).append((comment, post_id))
        if fresh:
            touched.add(post_id)

    for depth in sorted(levels):
        rows, keys = [], []
        for c, post_id in levels[depth]:
            rows.append(_comment_row(state, c, post_id, known, depth, cleaned_html[id(c)]))
            keys.append(c.wp_id)
        ids = db.session.scalars(
            insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows
        ).all()
        for wp_id, our_id in zip(keys, ids, strict=True):
            if wp_id is not None:
                known[wp_id] = (our_id, depth)
        # The old site's moderators' verdicts teach the spam filter.
        spam_filter.learn_comments(
            {**row, "id": our_id} for row, our_id in zip(rows, ids, strict=True)
        )
    for chunk in chunks(sorted(touched)):
        approved = (
            select(func.count(Comment.id))
            .where(Comment.post_id == Post.id, Comment.status == CommentStatus.APPROVED)
            .scalar_subquery()
        )
        db.session.execute(
            update(Post)
            .where(Post.id.in_(chunk))
            .values(comment_count=approved)
            .execution_options(synchronize_session=False)
        )


def thread_depths(
    state: ImportState,
    fresh: dict[int, WxrComment],
    known: dict[int, tuple[int, int]],
    line: int | None,
) -> dict[int, int]:
    """Each new comment's depth from its parent chain; a reply whose parent is
    missing (or a loop of parents) becomes a top-level comment."""
    depths: dict[int, int] = {}
    for start in fresh:
        chain: list[int] = []
        key = start
        while key not in depths:
            parent = fresh[key].parent
            if parent in chain or parent == key or len(chain) > MAX_THREAD_DEPTH:
                fresh[key].parent = 0
            if not fresh[key].parent:
                depths[key] = 0
                break
            chain.append(key)
            if parent in fresh:
                key = parent
                continue
            if parent in known:
                depths[key] = known[parent][1] + 1
            else:
                state.report.warn(
                    f"comment {key}: its parent {parent} is not in the file; "
                    "shown as a top-level comment",
                    line,
                )
                fresh[key].parent = 0
                depths[key] = 0
            break
        depth = depths[key]
        for child in reversed(chain):
            if child != key:
                depth += 1
                depths[child] = depth
    return depths


def _comment_row(
    state: ImportState,
    c: WxrComment,
    post_id: int,
    known: dict[int, tuple[int, int]],
    depth: int,
    body_html: str,
) -> dict[str, Any]:
    status = COMMENT_STATUS.get(c.approved.lower())
    if status is None:
        status = CommentStatus.PENDING
        state.report.warn(
            f"comment {c.wp_id}: unknown status {c.approved!r}; held as pending", state.line
        )
    state.report.comments[status] += 1
    created = item_date(c.date_gmt, c.date, state.line) or clock.now()
    return {
        "post_id": post_id,
        "parent_id": known[c.parent][0] if c.parent else None,
        "depth": depth,
        "author_name": strip_invisible(c.author).strip()[:250],
        "author_email": strip_invisible(c.email).strip()[:254],
        "author_url": safe_website(c.url)[:500],
        "author_ip": c.ip[:45],
        "user_agent": "",
        "body": c.content,
        "body_html": body_html,
        "status": status,
        "created_at": created,
        "user_id": state.users_by_wp.get(c.user_id) if c.user_id else None,
        "wp_id": c.wp_id,
    }
