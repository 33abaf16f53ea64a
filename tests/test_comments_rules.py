"""The rules and the thread builder called directly, for the cases a form cannot
easily reach: imported data with orphans and parent loops, the order of the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blogapp.comments.rules import Candidate, comments_closed, count_links, judge
from blogapp.comments.settings import CommentSettings
from blogapp.comments.threads import build_tree
from blogapp.models import COMMENTS_MODERATED, COMMENTS_OPEN, Comment, CommentStatus, Post, utcnow


def comment(id: int, parent_id: int | None = None) -> Comment:
    return Comment(id=id, parent_id=parent_id, status=CommentStatus.APPROVED)


def shape(nodes) -> list[tuple[int, int]]:
    out = []
    for node in nodes:
        out.append((node.comment.id, node.level))
        out += shape(node.replies)
    return out


def test_orphans_and_parent_loops_are_shown_once_at_the_top_level():
    comments = [
        comment(1),
        comment(2, parent_id=99),
        comment(3, parent_id=1),
        comment(4, parent_id=5),
        comment(5, parent_id=4),
        comment(6, parent_id=6),
    ]
    roots = build_tree(comments, max_depth=5)
    assert shape(roots) == [(1, 1), (3, 2), (2, 1), (6, 1), (4, 1), (5, 2)]


def test_a_long_reply_chain_is_flattened_at_the_deepest_level_without_recursion():
    chain = [comment(1)] + [comment(n, parent_id=n - 1) for n in range(2, 3001)]
    roots = build_tree(chain, max_depth=2)
    assert len(roots) == 1 and len(roots[0].replies) == 2999
    assert {node.level for node in roots[0].replies} == {2}


def candidate(**changes) -> Candidate:
    values = dict(
        author_name="Dara",
        author_email="dara@example.org",
        author_url="",
        author_ip="192.0.2.1",
        body="Fine words.",
        body_html="<p>Fine words.</p>",
    )
    values.update(changes)
    return Candidate(**values)


NO_RULES = CommentSettings()


def verdict(cand=None, settings=NO_RULES, **kwargs):
    options = dict(
        comment_mode=COMMENTS_OPEN,
        honeypot_filled=False,
        seconds_since_served=60.0,
        min_seconds=3,
        known_commenter=False,
    )
    options.update(kwargs)
    return judge(cand or candidate(), settings, **options).status


def test_rule_order():
    known = CommentSettings(auto_approve_known=True)
    assert verdict(settings=known, known_commenter=True) == CommentStatus.APPROVED
    assert verdict(settings=known, known_commenter=True, honeypot_filled=True) == CommentStatus.SPAM
    assert (
        verdict(settings=known, known_commenter=True, seconds_since_served=1.0)
        == CommentStatus.SPAM
    )
    assert (
        verdict(settings=known, known_commenter=True, seconds_since_served=None)
        == CommentStatus.SPAM
    )
    assert (
        verdict(settings=known, known_commenter=True, comment_mode=COMMENTS_MODERATED)
        == CommentStatus.PENDING
    )
    assert verdict(settings=known, known_commenter=False) == CommentStatus.PENDING
    blocked = CommentSettings(blocklist_words=("192.0.2.",), auto_approve_known=True)
    assert verdict(settings=blocked, known_commenter=True) == CommentStatus.SPAM  # by address
    # The blocklist outranks a moderated post: spam stays spam.
    assert verdict(settings=blocked, comment_mode=COMMENTS_MODERATED) == CommentStatus.SPAM


@pytest.mark.parametrize(
    ("body", "html", "links"),
    [
        ("plain", "<p>plain</p>", 0),
        ("a https://x.org b", '<p>a <a href="https://x.org">https://x.org</a> b</p>', 1),
        ("http://a.example http://b.example www.c.example", "<p>…</p>", 3),
    ],
)
def test_count_links(body, html, links):
    assert count_links(body, html) == links


def test_comments_close_by_mode_or_age():
    now = utcnow()
    post = Post(comment_mode=COMMENTS_OPEN, published_at=now - timedelta(days=10))
    assert not comments_closed(post, CommentSettings(close_after_days=0))
    assert not comments_closed(post, CommentSettings(close_after_days=11))
    assert comments_closed(post, CommentSettings(close_after_days=9))
    post.comment_mode = "closed"
    assert comments_closed(post, CommentSettings())
