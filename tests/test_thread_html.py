"""The comment list is written in Python (blogapp.comments.thread_html); it must be the
same bytes as the recursive Jinja loop it replaced, for every kind of comment: with and
without a website, anonymous, a moderator's, a reader's own held one, replies deeper
than the thread's depth, on a later comment page, with the form closed, in Khmer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import render_template, render_template_string

from blogapp.comments.threads import thread_page
from blogapp.extensions import db
from blogapp.interface_language import set_page_language
from blogapp.models import CommentStatus
from tests.factories import make_comment, make_post, make_user

# templates/comments/_thread.html as it was, the list a recursive loop.
JINJA_LOOP = (Path(__file__).parent / "fixtures" / "thread_jinja_loop.html").read_text()


@pytest.fixture
def app_config() -> dict:
    return {"COMMENTS_PER_PAGE": 3, "COMMENTS_THREAD_DEPTH": 3}


def _thread(app, post, own=(), page=1):
    config = app.config
    return thread_page(
        post.id,
        own,
        page,
        per_page=config["COMMENTS_PER_PAGE"],
        max_depth=config["COMMENTS_THREAD_DEPTH"],
    )


@pytest.mark.parametrize("language", ["en", "km"])
def test_the_comment_list_is_the_jinja_loops_bytes(app, ctx, language):
    moderator = make_user("mod", role="editor")
    post = make_post("Thread", language=language)
    start = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # a day apart in the site's zone
    made = []

    def comment(n, **kw):
        made.append(
            make_comment(
                post, f"Words *{n}* <b>bold</b>", created_at=start + timedelta(hours=n), **kw
            )
        )
        return made[-1]

    first = comment(0, author_name="Dara & <Sok>")
    first.author_url = 'https://example.org/?a=1&b="2"'
    anonymous = comment(1, author_name="", parent=first)
    deep = anonymous
    for n in range(2, 6):  # deeper than COMMENTS_THREAD_DEPTH: shown at its deepest level
        deep = comment(n, author_name=f"Reader {n}", parent=deep)
    by_moderator = comment(6, author_name="Moderator")
    by_moderator.user_id = moderator.id
    held = comment(7, author_name="Held one", status=CommentStatus.PENDING, parent=by_moderator)
    for n in range(8, 14):  # enough roots for a second comment page
        comment(n, author_name=f"Later {n}")
    db.session.commit()

    cases = 0
    for own in ((), (held.grant,)):
        for page in (1, 2, 3):
            for comment_form in (True, False):
                with app.test_request_context(f"/?cpage={page}"):
                    set_page_language(language)
                    thread = _thread(app, post, own, page)
                    assert thread is not None
                    context = {"post": post, "thread": thread, "comment_form": comment_form}
                    old = render_template_string(JINJA_LOOP, **context)
                    new = render_template("comments/_thread.html", **context)
                assert new == old
                cases += 1
                if page == 1:
                    assert "depth-3" in new and "depth-4" not in new
                    assert ("comment-pending" in new) == bool(own)
                    assert "by-moderator" in new and "Anonymous" in new or language == "km"
                    assert "Dara &amp; &lt;Sok&gt;" in new
                    assert "?a=1&amp;b=&#34;2&#34;" in new
                    assert ("replytocom=" in new) == comment_form
                if page == 2:
                    assert "?cpage=2&amp;replytocom=" in new or not comment_form
    assert cases == 12


def test_the_post_page_shows_the_thread_as_a_reader_sees_it(client, ctx):
    post = make_post("Talk")
    top = make_comment(post, "First!", author_name="Dara")
    make_comment(post, "A reply.", author_name="", parent=top)
    page = client.get(f"/{post.published_at:%Y/%m/%d}/{post.slug}/").get_data(as_text=True)
    assert f'<li id="comment-{top.id}" class="comment depth-1">' in page
    assert '<b class="comment-author">Anonymous</b>' in page
    assert 'Reply<span class="visually-hidden"> to Dara</span>' in page
