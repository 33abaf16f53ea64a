"""A post's comment thread, built in Python from one query.

Top-level comments are paginated (``COMMENTS_PER_PAGE`` per page, oldest first);
replies nest to ``COMMENTS_THREAD_DEPTH`` levels, and replies deeper than that
are shown at the deepest level, right after the comment they answer."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Row, Select, and_, bindparam, or_, select

from blogapp.comments.grants import Grant, grant_of
from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus

# What the thread shows of a comment, read as a row rather than a Comment: building
# an ORM object for every comment of a long thread cost more than the rest of the query.
SHOWN_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.status,
    Comment.created_at,
    Comment.author_name,
    Comment.author_url,
    Comment.user_id,
    Comment.body_html,
)


@dataclass
class ThreadNode:
    comment: Row  # the SHOWN_COLUMNS of a comment
    level: int  # 1 for a top-level comment
    own_pending: bool  # held, and shown only because this reader wrote it
    replies: list[ThreadNode] = field(default_factory=list)


@dataclass
class ThreadPage:
    nodes: list[ThreadNode]  # this page's top-level comments, replies inside
    page: int
    pages: int
    visible_ids: frozenset[int]  # every comment on this page: valid reply targets

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _shown(condition) -> Select:
    return (
        select(*SHOWN_COLUMNS)
        .where(Comment.post_id == bindparam("post"), condition)
        .order_by(Comment.created_at, Comment.id)
    )


# Built once: a thread binds only its post (and the reader's held comments' ids), so
# SQLAlchemy reuses each statement and its cache key.
_APPROVED = _shown(Comment.status == CommentStatus.APPROVED)
_APPROVED_AND_HELD = _shown(
    or_(
        Comment.status == CommentStatus.APPROVED,
        and_(
            Comment.status.in_((CommentStatus.PENDING, CommentStatus.SPAM)),
            Comment.id.in_(bindparam("held", expanding=True)),
        ),
    )
)


def visible_comments(post_id: int, own_pending: Iterable[Grant]) -> list[Row]:
    """The one query: approved comments, plus the reader's own held ones (named by
    their grants: id and creation time). A comment the rules sent to spam also shows
    to its author as held: a bot learns nothing, and a person caught by mistake is not
    left wondering where their words went."""
    own = set(own_pending)
    if not own:
        return list(db.session.execute(_APPROVED, {"post": post_id}))
    found = db.session.execute(
        _APPROVED_AND_HELD, {"post": post_id, "held": [comment_id for comment_id, _ in own]}
    )
    return [
        c
        for c in found
        if c.status == CommentStatus.APPROVED or grant_of(c.id, c.created_at) in own
    ]


def build_tree(comments: list[Row], max_depth: int) -> list[ThreadNode]:
    """Roots in order, each with its replies. A comment whose parent is not shown
    (held, trashed, deleted) becomes a root, so no approved text disappears."""
    max_depth = max(1, max_depth)
    shown = {c.id for c in comments}
    children: dict[int | None, list[Row]] = {}
    for c in comments:
        parent = c.parent_id if c.parent_id in shown and c.parent_id != c.id else None
        children.setdefault(parent, []).append(c)

    # An explicit stack rather than recursion: a long reply chain must not hit
    # Python's recursion limit. Pre-order keeps each reply right after its parent.
    roots: list[ThreadNode] = []
    placed: set[int] = set()

    def place_from(stack: list[tuple[Row, int, list[ThreadNode]]]) -> None:
        while stack:
            comment, level, into = stack.pop()
            if comment.id in placed:
                continue
            placed.add(comment.id)
            node = ThreadNode(comment, level, comment.status != CommentStatus.APPROVED)
            into.append(node)
            for child in reversed(children.get(comment.id, [])):
                if level < max_depth:
                    stack.append((child, level + 1, node.replies))
                else:
                    stack.append((child, level, into))

    place_from([(c, 1, roots) for c in reversed(children.get(None, []))])
    # Comments in a parent loop (bad imported data) are reachable from no root:
    # each loop is shown from its oldest comment, at the top level.
    for comment in comments:
        if comment.id not in placed:
            place_from([(comment, 1, roots)])
    return roots


def _ids(nodes: list[ThreadNode]) -> set[int]:
    found: set[int] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        found.add(node.comment.id)
        stack.extend(node.replies)
    return found


def page_count(roots: int, per_page: int) -> int:
    return max(1, math.ceil(roots / per_page))


def thread_page(
    post_id: int, own_pending: Iterable[Grant], page: int, *, per_page: int, max_depth: int
) -> ThreadPage | None:
    """One page of the thread, or None when ``page`` is past the last one."""
    roots = build_tree(visible_comments(post_id, own_pending), max_depth)
    pages = page_count(len(roots), per_page)
    if not 1 <= page <= pages:
        return None
    nodes = roots[(page - 1) * per_page : page * per_page]
    return ThreadPage(nodes, page, pages, frozenset(_ids(nodes)))


def page_of(
    post_id: int, comment_id: int, own_pending: Iterable[Grant], *, per_page: int, max_depth: int
) -> int:
    """The comment page that shows the comment (for the redirect after posting)."""
    roots = build_tree(visible_comments(post_id, own_pending), max_depth)
    for index, root in enumerate(roots):
        if comment_id in _ids([root]):
            return index // per_page + 1
    return 1
