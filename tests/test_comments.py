"""A reader comments on a post through the real form: held, seen only by its
author, approved by a moderator, then seen by everyone; replies, closing, rules,
bad input and the rate limit, each as a reader or a bot would meet them."""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.extensions import db
from blogapp.models import (
    COMMENTS_CLOSED,
    COMMENTS_MODERATED,
    Comment,
    CommentStatus,
    ModerationEvent,
    Post,
    utcnow,
)
from tests.factories import make_comment, make_post, make_user
from tests.helpers import (
    BROWSER_POST,
    csrf_token_from,
    hidden_value,
    open_form,
    post_comment,
    recognise,
    restart_worker,
    stored_comments,
    url_of,
)

NOTICE = "Your comment is awaiting moderation."


def page_of(client, post: Post, **args) -> str:
    response = client.get(url_of(post, **args))
    assert response.status_code == 200
    return response.get_data(as_text=True)


stored = stored_comments


def moderate(client, login_as, comment: Comment, action: str = "approve"):
    """A moderator presses a button on the moderation screen."""
    login_as(make_user(role="editor"))
    listing = client.get("/admin/comments?status=all")
    assert listing.status_code == 200
    return client.post(
        f"/admin/comments/{comment.id}/{action}",
        data={"csrf_token": csrf_token_from(listing.get_data(as_text=True))},
    )


def test_new_comment_is_held_seen_by_its_author_and_public_once_approved(
    app, client, login_as, ctx
):
    post = make_post("Courts and confidence")
    response = post_comment(
        client, post, "The courts earned this distrust.", website="dara.example"
    )

    [comment] = stored()
    assert response.status_code == 302
    assert response.headers["Location"] == url_of(post) + f"#comment-{comment.id}"
    assert comment.status == CommentStatus.PENDING
    assert comment.author_url == "http://dara.example"
    assert comment.author_ip == "127.0.0.1"
    mine = page_of(client, post)
    assert "The courts earned this distrust." in mine
    assert NOTICE in mine
    assert f'id="comment-{comment.id}"' in mine
    assert "dara@example.org" not in mine  # the email is never shown

    stranger = app.test_client()
    theirs = page_of(stranger, post)
    assert "The courts earned this distrust." not in theirs
    assert NOTICE not in theirs
    assert db.session.get(Post, post.id).comment_count == 0

    assert moderate(client, login_as, comment).status_code == 302
    public = page_of(stranger, post)
    assert "The courts earned this distrust." in public
    assert '<h2 class="comments-title">1 Comment</h2>' in public
    assert 'href="http://dara.example" rel="external nofollow ugc noopener">Dara</a>' in public
    assert NOTICE not in public
    db.session.expire_all()
    assert db.session.get(Post, post.id).comment_count == 1
    events = db.session.scalars(select(ModerationEvent).order_by(ModerationEvent.id)).all()
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("submitted", "", CommentStatus.PENDING),
        ("approve", CommentStatus.PENDING, CommentStatus.APPROVED),
    ]
    # The listing shows the count from Post.comment_count.
    assert "1 comment</a>" in stranger.get("/").get_data(as_text=True)


def test_reply_link_works_without_javascript_and_replies_nest(client, ctx):
    post = make_post()
    parent = make_comment(post, "First thoughts.", author_name="Sophea")

    form_page = page_of(client, post)
    link = url_of(post, replytocom=parent.id) + "#respond"
    assert f'href="{htmllib.escape(link)}"' in form_page
    reply_form = page_of(client, post, replytocom=parent.id)
    assert "Reply to Sophea" in reply_form
    assert hidden_value(reply_form, "parent_id") == str(parent.id)

    response = post_comment(client, post, "Second thoughts.", reply_to=parent)
    assert response.status_code == 302
    reply = stored()[-1]
    assert (reply.parent_id, reply.depth) == (parent.id, 1)
    reply.status = CommentStatus.APPROVED
    db.session.commit()

    page = page_of(client.application.test_client(), post)
    nested = re.search(
        rf'<li id="comment-{parent.id}" class="comment depth-1">.*?<ol class="children">\s*'
        rf'<li id="comment-{reply.id}" class="comment depth-2">',
        page,
        re.S,
    )
    assert nested, page


def test_replies_deeper_than_the_thread_depth_attach_at_the_deepest_level(app, client, ctx):
    app.config["COMMENTS_THREAD_DEPTH"] = 3
    post = make_post()
    chain = [make_comment(post, "Level one.")]
    for n in range(2, 6):
        chain.append(make_comment(post, f"Level {n}.", parent=chain[-1]))
    sibling = make_comment(post, "Another answer to level two.", parent=chain[1])

    page = page_of(client, post)

    levels = dict(re.findall(r'<li id="comment-(\d+)" class="comment depth-(\d+)', page))
    assert [levels[str(c.id)] for c in chain] == ["1", "2", "3", "3", "3"]
    assert levels[str(sibling.id)] == "3"
    assert page.count('<ol class="children">') == 2  # nesting stops at level 3
    # Oldest first, each deep reply right after the one it answers.
    order = [int(i) for i in re.findall(r'<li id="comment-(\d+)"', page)]
    assert order == [chain[0].id, chain[1].id, chain[2].id, chain[3].id, chain[4].id, sibling.id]


BAD_INPUT = [
    ({"body": "   "}, "Please type a comment."),
    ({"body": "x" * 5001}, "Your comment is 5,001 characters long; the limit is 5,000."),
    ({"author_name": ""}, "Please enter your name."),
    ({"author_name": "\u202e\u200f"}, "Please enter your name."),
    ({"body": "\u202e \u2066\u2069"}, "Please type a comment."),
    ({"author_email": ""}, "Please enter your email address."),
    ({"author_email": "not-an-address"}, "Please enter a valid email address"),
    ({"parent_id": "abc"}, "The comment you are replying to does not exist."),
]


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_input_is_answered_on_the_form_and_nothing_is_stored(client, change, message, ctx):
    post = make_post()
    form = {
        "author_name": "Dara",
        "author_email": "dara@example.org",
        "body": "My considered view, kept for me.",
        **change,
    }

    response = post_comment(client, post, fields=form)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'id="commentform"' in page
    assert ("My considered view, kept for me." in page) == ("body" not in change)
    if "author_name" not in change:
        assert 'value="Dara"' in page
    assert stored() == []
    assert db.session.scalar(select(func.count()).select_from(ModerationEvent)) == 0


@pytest.mark.parametrize("parent_kind", ["other post", "pending", "spam", "missing"])
def test_a_reply_to_a_comment_that_is_not_open_for_replies_is_refused(client, parent_kind, ctx):
    post, other = make_post("Here"), make_post("Elsewhere")
    parent = {
        "other post": lambda: make_comment(other, "Over there."),
        "pending": lambda: make_comment(post, "Not yet.", status=CommentStatus.PENDING),
        "spam": lambda: make_comment(post, "Buy.", status=CommentStatus.SPAM),
        "missing": lambda: None,
    }[parent_kind]()
    before = len(stored())

    response = post_comment(
        client, post, "Replying anyway.", parent_id=str(parent.id if parent else 999_999)
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The comment you are replying to is not open for replies on this post." in page
    assert "Replying anyway." in page
    assert len(stored()) == before


def test_too_long_follows_the_configured_limit(app, client, ctx):
    app.config["COMMENT_MAX_LENGTH"] = 20
    post = make_post()
    response = post_comment(client, post, "a" * 21)
    assert response.status_code == 400
    assert "the limit is 20" in response.get_data(as_text=True)
    assert post_comment(client, post, "a" * 20).status_code == 302


def test_unknown_or_unpublished_post_is_404(client, ctx):
    draft = make_post("Draft", status="draft")
    form = open_form(client, make_post("Public"))
    data = {**form, "author_name": "A", "author_email": "a@example.org", "body": "Hello"}
    for target in (999999, draft.id):
        answer = client.post(f"/comments/post/{target}", headers=BROWSER_POST, data=data)
        assert answer.status_code == 404
    assert stored() == []


def test_comments_closed_per_post_show_a_notice_and_refuse_a_post(client, ctx):
    post = make_post()
    make_comment(post, "Said before closing.")
    form = open_form(client, post)
    post.comment_mode = COMMENTS_CLOSED
    db.session.commit()

    page = page_of(client, post)
    assert "Comments are closed." in page
    assert 'id="commentform"' not in page
    assert "Said before closing." in page  # approved comments stay visible
    assert ">Reply<" not in page
    response = client.post(
        f"/comments/post/{post.id}",
        headers=BROWSER_POST,
        data={
            **form,
            "author_name": "Late",
            "author_email": "late@example.org",
            "body": "Too late",
        },
    )
    assert response.status_code == 403
    assert "Comments are closed." in response.get_data(as_text=True)
    assert len(stored()) == 1


@pytest.mark.parametrize("how", ["config", "admin setting"])
def test_comments_close_by_age(app, client, how, ctx):
    old = make_post("Old news", published_at=utcnow() - timedelta(days=40))
    fresh = make_post("Fresh news", published_at=utcnow() - timedelta(days=10))
    form = open_form(client, old)
    if how == "config":
        # Set before the worker starts, as a changed setting is in production.
        app.config["COMMENTS_CLOSE_AFTER_DAYS"] = 30
        restart_worker(app)
    else:
        save_settings(CommentSettings(close_after_days=30))

    assert "Comments are closed." in page_of(client, old)
    assert 'id="commentform"' in page_of(client, fresh)
    response = client.post(
        f"/comments/post/{old.id}",
        headers=BROWSER_POST,
        data={**form, "author_name": "A", "author_email": "a@example.org", "body": "Still?"},
    )
    assert response.status_code == 403
    assert post_comment(client, fresh).status_code == 302
    assert [c.post_id for c in stored()] == [fresh.id]


def test_honeypot_sends_to_spam_and_the_bot_is_told_nothing(app, client, ctx):
    post = make_post()
    response = post_comment(
        client, post, "Great post! Visit my shop.", homepage="http://shop.example"
    )

    [comment] = stored()
    assert response.status_code == 302
    assert comment.status == CommentStatus.SPAM
    assert NOTICE in page_of(client, post)  # looks held to its sender
    assert "Visit my shop" not in page_of(app.test_client(), post)
    event = db.session.scalar(select(ModerationEvent))
    assert "hidden field filled in" in event.comment_summary


def test_a_form_sent_back_too_fast_is_spam(app, client, ctx):
    app.config["COMMENT_MIN_SECONDS"] = 30
    post = make_post()
    post_comment(client, post, "Instant reply from a script.")
    [comment] = stored()
    assert comment.status == CommentStatus.SPAM


@pytest.mark.parametrize("token", ["", "forged.token.value"])
def test_a_missing_or_forged_form_token_is_spam(client, token, ctx):
    post = make_post()
    post_comment(client, post, "No token here.", form_token=token)
    assert [c.status for c in stored()] == [CommentStatus.SPAM]


def test_a_form_token_from_another_post_is_spam(client, ctx):
    post, other = make_post("One"), make_post("Two")
    token = open_form(client, other)["form_token"]
    post_comment(client, post, "Token borrowed.", form_token=token)
    assert [c.status for c in stored()] == [CommentStatus.SPAM]


@pytest.mark.parametrize("where", ["body", "name", "email", "website"])
def test_blocklist_words_send_to_spam_wherever_they_appear(client, where, ctx):
    save_settings(CommentSettings(blocklist_words=("casino",), auto_approve_known=True))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    values = {
        "body": "A sincere comment.",
        "name": "Dara",
        "email": "dara@example.org",
        "website": "",
    }
    values[where] = {
        "body": "Try our CASINO tonight",
        "name": "Casino King",
        "email": "win@casino.example",
        "website": "https://casino.example",
    }[where]

    post_comment(
        client,
        post,
        values["body"],
        name=values["name"],
        email=values["email"],
        website=values["website"],
    )

    assert stored()[-1].status == CommentStatus.SPAM


def test_auto_approve_a_known_commenter_but_not_a_stranger(app, client, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, "My first, approved.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")

    post_comment(client, post, "Back again.", name="Dara", email="Dara@Example.org")
    post_comment(client, post, "New here.", name="Stranger", email="new@example.org")

    statuses = {c.body: c.status for c in stored()}
    assert statuses["Back again."] == CommentStatus.APPROVED
    assert statuses["New here."] == CommentStatus.PENDING
    assert "Back again." in page_of(app.test_client(), post)
    assert db.session.get(Post, post.id).comment_count == 2


def test_without_auto_approve_a_known_commenter_is_held(client, ctx):
    post = make_post()
    make_comment(post, "Approved once.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    post_comment(client, post, "Again.")
    assert stored()[-1].status == CommentStatus.PENDING


@pytest.mark.parametrize(
    ("links", "expected"), [(2, CommentStatus.APPROVED), (3, CommentStatus.PENDING)]
)
def test_more_links_than_the_limit_are_held_even_for_a_known_commenter(
    client, links, expected, ctx
):
    save_settings(CommentSettings(auto_approve_known=True, link_limit=2))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    body = " ".join(f"See https://source{n}.example/report" for n in range(links))

    post_comment(client, post, body)

    assert stored()[-1].status == expected


def test_moderation_words_hold_even_for_a_known_commenter(client, ctx):
    save_settings(CommentSettings(auto_approve_known=True, moderation_words=("election fraud",)))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    post_comment(client, post, "This was Election Fraud, plainly.")
    post_comment(client, post, "This was fine.")
    assert [c.status for c in stored()[1:]] == [CommentStatus.PENDING, CommentStatus.APPROVED]


def test_a_moderated_post_holds_everything(client, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post(comment_mode=COMMENTS_MODERATED)
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    post_comment(client, post, "Known, but this post is moderated.")
    assert stored()[-1].status == CommentStatus.PENDING


def test_posting_is_rate_limited_per_client_address(app, client, ctx):
    post = make_post()
    for n in range(5):
        response = post_comment(client, post, f"Comment number {n}.")
        assert response.status_code == 302, response.get_data(as_text=True)
    response = post_comment(client, post, "One too many.")
    assert response.status_code == 429
    assert "You are doing that too often" in response.get_data(as_text=True)
    assert len(stored()) == 5
    # Another address has its own allowance.
    other = app.test_client()
    form = open_form(other, post)
    response = other.post(
        f"/comments/post/{post.id}",
        headers=BROWSER_POST,
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
        data={
            **form,
            "author_name": "B",
            "author_email": "b@example.org",
            "body": "From elsewhere.",
        },
    )
    assert response.status_code == 302
    assert stored()[-1].author_ip == "10.1.2.3"


def test_comment_pages_past_the_configured_number_of_top_level_comments(app, client, ctx):
    app.config["COMMENTS_PER_PAGE"] = 2
    post = make_post()
    start = utcnow() - timedelta(hours=5)
    tops = [
        make_comment(post, f"Top {n}.", created_at=start + timedelta(minutes=n)) for n in range(5)
    ]
    make_comment(post, "Reply on page one.", parent=tops[0], created_at=start + timedelta(hours=1))

    first, second, third = (page_of(client, post, **a) for a in ({}, {"cpage": 2}, {"cpage": 3}))

    assert "Top 0." in first and "Top 1." in first and "Reply on page one." in first
    assert "Top 2." not in first
    assert "Top 2." in second and "Top 3." in second and "Top 0." not in second
    assert "Top 4." in third
    assert f'href="{url_of(post, cpage=2)}#comments" rel="next"' in first
    assert f'href="{url_of(post)}#comments" rel="prev"' in second
    assert '<h2 class="comments-title">6 Comments</h2>' in second
    for bad in ("4", "0", "x"):
        assert client.get(url_of(post) + f"?cpage={bad}").status_code == 404


def test_redirect_after_posting_points_at_the_comment_page_holding_it(app, client, ctx):
    app.config["COMMENTS_PER_PAGE"] = 2
    post = make_post()
    for n in range(2):
        make_comment(post, f"Top {n}.")
    response = post_comment(client, post, "Third top-level comment.")
    comment = stored()[-1]
    assert response.headers["Location"] == url_of(post, cpage=2) + f"#comment-{comment.id}"
    assert NOTICE in page_of(client, post, cpage=2)


def test_post_page_with_a_thousand_comments_runs_a_few_queries(app, client, count_queries, ctx):
    app.config["COMMENTS_PER_PAGE"] = 50
    post = make_post("Popular")
    small = make_post("Quiet")
    make_comment(small, "Only one.")
    start = utcnow() - timedelta(days=1)
    parents: list[Comment] = []
    for n in range(1000):
        parent = parents[n % len(parents)] if n % 3 and parents else None
        comment = make_comment(
            post,
            f"Comment {n}.",
            parent=parent,
            commit=False,
            created_at=start + timedelta(seconds=n),
        )
        if n % 50 == 0:
            db.session.flush()
            parents.append(comment)
    db.session.commit()
    quiet_url, busy_url = url_of(small), url_of(post)
    client.get("/")  # warm the sidebar, as a running site has it
    # What rendering each page costs: the first reader after a change meets this.
    del app.extensions["blogapp.page_store"]
    with count_queries() as quiet:
        assert client.get(quiet_url).status_code == 200
    with count_queries() as busy:
        page = client.get(busy_url)
    assert page.status_code == 200
    assert '<h2 class="comments-title">1000 Comments</h2>' in page.get_data(as_text=True)
    assert busy.count == quiet.count, [s for s in busy.statements if s not in quiet.statements]
    assert busy.count <= 5, busy.statements
    assert sum("FROM comments" in s for s in busy.statements) == 1  # the whole thread
