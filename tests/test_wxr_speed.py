"""A faster move-in (issue 13): a large import renders and sanitizes in worker
processes, stores exactly what an in-process import stores, stays one transaction,
and skips only the comment cleaning pass that would change nothing."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, Post, User
from blogapp.sanitize import (
    _comment_cleaner_pair,
    _escape_pass_changes_nothing,
    _paragraphs,
    clean_comment,
    clean_comments,
)
from blogapp.wordpress import wxr_import
from tests.factories import make_comment, make_post

POOL = {"WXR_IMPORT_POOL_MIN_BYTES": 0, "WXR_IMPORT_WORKERS": 2}
INLINE = {"WXR_IMPORT_WORKERS": 0}
# Seven in ten comments approved, then one each held, spam and trash.
COMMENT_STATUSES = [CommentStatus.APPROVED] * 7 + [
    CommentStatus.PENDING,
    CommentStatus.SPAM,
    CommentStatus.TRASH,
]


def stored() -> list[tuple]:
    posts = db.session.execute(
        select(
            Post.wp_id,
            Post.slug,
            Post.body_html,
            Post.excerpt_html,
            Post.search_text,
            Post.first_image_url,
            Post.has_more,
            Post.comment_count,
        ).order_by(Post.wp_id)
    ).all()
    comments = db.session.execute(
        select(Comment.wp_id, Comment.body_html, Comment.status, Comment.depth).order_by(
            Comment.wp_id
        )
    ).all()
    return [tuple(r) for r in posts + comments]


def wipe() -> None:
    for model in (Comment, Post, User):
        db.session.execute(model.__table__.delete())
    db.session.commit()


def write_export(runner, path, posts: int, comments_per_post: int) -> None:
    """A WordPress export written by the app's own ``export-wxr``: ``posts`` published
    posts, each with threaded comments of every status; the rows are wiped after."""
    for p in range(1, posts + 1):
        post = make_post(
            f"Post number {p}", f"The river rose early.\n\n<!--more-->\n\nThe end of {p}."
        )
        made = []
        for k in range(comments_per_post):
            parent = made[(k - 1) // 2] if k else None  # threads a few levels deep
            made.append(
                make_comment(
                    post,
                    f"Comment {k} on post {p}: I <b>agree</b>.\nSee http://example.org/{k}",
                    status=COMMENT_STATUSES[k % 10],
                    parent=parent,
                )
            )
    result = runner.invoke(args=["export-wxr", str(path)])
    assert result.exit_code == 0, result.output
    wipe()


def test_a_pooled_import_stores_what_an_in_process_import_stores(
    app, runner, tmp_path, monkeypatch, ctx
):
    monkeypatch.setattr(wxr_import, "BATCH_ITEMS", 7)  # several batches in flight
    export = tmp_path / "export.xml"
    write_export(runner, export, 40, 10)

    app.config.update(INLINE)
    assert runner.invoke(args=["import-wxr", str(export)]).exit_code == 0
    in_process = stored()
    wipe()
    app.config.update(POOL)
    result = runner.invoke(args=["import-wxr", str(export)])

    assert result.exit_code == 0, result.output
    assert "posts:      40 (published 40)" in result.output
    assert "comments:   400 (approved 280, pending 40, spam 40, trash 40)" in result.output
    assert stored() == in_process
    assert len(in_process) == 40 + 400
    assert 'rel="nofollow ugc noopener">http://example.org/0</a>' in in_process[40][1]


def test_a_pooled_import_that_fails_halfway_leaves_nothing(app, runner, tmp_path, monkeypatch, ctx):
    monkeypatch.setattr(wxr_import, "BATCH_ITEMS", 5)
    export = tmp_path / "export.xml"
    write_export(runner, export, 30, 2)
    text = export.read_text()
    for field in ("wp:post_date", "wp:post_date_gmt"):  # one post, halfway through the file
        dates = list(re.finditer(rf"<{field}><!\[CDATA\[[^]]*\]\]>", text))
        middle = dates[len(dates) // 2]
        text = text[: middle.start()] + f"<{field}><![CDATA[x]]>" + text[middle.end() :]
    export.write_text(text)
    app.config.update(POOL)

    result = runner.invoke(args=["import-wxr", str(export)])

    assert result.exit_code == 1
    assert "invalid date 'x'" in result.output and "Nothing was imported." in result.output
    for model in (Post, Comment, User):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def _random_comments(pieces: list[str], count: int) -> list[str]:
    rng = random.Random(13)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(count)]


WELL_FORMED = [
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    '<a href="http://x.example/a?b=1">',
    "</a>",
    "<br>",
    "<em>",
    "</em>",
    "<code>",
    "</code>",
    "text ",
    "\n",
    "\n\n",
    "é ខ្មែរ",
    '"',
    " http://example.org/x ",
    " www.example.com ",
    ":",
    "\t",
]
MIXED = WELL_FORMED + [
    "<script>",
    "</p>",
    "<p>",
    "&",
    "&amp;",
    ">",
    "<",
    "<B>",
    "\r",
    "<a href='javascript:alert(1)'>",
    "<b onclick=x>",
    "<br/>",
]


@pytest.mark.parametrize("pieces", [WELL_FORMED, MIXED], ids=["well-formed", "mixed"])
def test_the_skipped_comment_pass_is_only_skipped_where_it_changes_nothing(pieces):
    escape, final = _comment_cleaner_pair()
    skipped = 0
    for text in _random_comments(pieces, 3000):
        if _escape_pass_changes_nothing(text):
            skipped += 1
            assert escape.clean(text) == text, text
        assert clean_comment(text) == final.clean(_paragraphs(escape.clean(text))).strip(), text
    assert skipped > 50  # the fast path is taken at all


@pytest.mark.parametrize("pieces", [WELL_FORMED, MIXED], ids=["well-formed", "mixed"])
def test_comments_cleaned_together_come_out_as_each_cleaned_alone(pieces):
    texts = _random_comments(pieces, 1500) + [
        "",
        "\n\n",
        "<b>x\n\ny</b>",
        "<b>unclosed",
        "</blockquote><script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "a <em>b</em> http://c.example",
    ]
    random.Random(7).shuffle(texts)
    assert clean_comments(texts) == [clean_comment(t) for t in texts]
