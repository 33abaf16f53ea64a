"""Moderators at /admin/comments: tabs with counts, search, every button, bulk
actions, edit, reply, the audit log and the rules screen; readers see the result."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blogapp.comments.settings import load_settings
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, Comment, CommentStatus, ModerationEvent, Post, utcnow
from tests.factories import make_comment, make_post, make_user
from tests.helpers import OFF_SITE_TARGETS, csrf_token_from, url_of


@pytest.fixture
def editor(login_as, ctx):
    return login_as(make_user("mod", role="editor"))


def screen(client, url: str = "/admin/comments") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def press(client, comment: Comment, action: str, **extra):
    token = csrf_token_from(screen(client))
    return client.post(
        f"/admin/comments/{comment.id}/{action}", data={"csrf_token": token, **extra}
    )


def status_of(comment_id: int) -> str | None:
    db.session.expire_all()
    found = db.session.get(Comment, comment_id)
    return found.status if found else None


def count_of(post: Post) -> int:
    db.session.expire_all()
    return db.session.get(Post, post.id).comment_count


def approved_in_db(post: Post) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED)
    )


def test_moderation_needs_an_editor_or_admin(client, ctx):
    post = make_post()
    comment = make_comment(post, status=CommentStatus.PENDING)
    response = client.get("/admin/comments")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get("/login").get_data(as_text=True)  # a token of this session's own
    response = client.post(
        f"/admin/comments/{comment.id}/approve", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert status_of(comment.id) == CommentStatus.PENDING


def test_actions_are_posts_with_csrf(client, editor, ctx):
    comment = make_comment(make_post(), status=CommentStatus.PENDING)
    assert client.get(f"/admin/comments/{comment.id}/approve").status_code == 405
    assert client.post(f"/admin/comments/{comment.id}/approve").status_code == 400
    assert status_of(comment.id) == CommentStatus.PENDING


def test_tabs_show_counts_newest_first_with_every_detail(client, editor, ctx):
    post = make_post("Courts and confidence")
    start = utcnow() - timedelta(hours=3)
    older = make_comment(
        post,
        "Older <strong>pending</strong> words.",
        status=CommentStatus.PENDING,
        author_name="Sophea",
        author_email="sophea@example.org",
        created_at=start,
    )
    older.author_url, older.author_ip = "https://sophea.example", "203.0.113.9"
    newer = make_comment(
        post, "Newer pending.", status=CommentStatus.PENDING, created_at=start + timedelta(hours=1)
    )
    make_comment(post, "Approved one.", created_at=start)
    make_comment(post, "Spammy.", status=CommentStatus.SPAM)
    make_comment(post, "Binned.", status=CommentStatus.TRASH)
    db.session.commit()

    page = screen(client, "/admin/comments?status=pending")

    for label, n in (("All", 3), ("Pending", 2), ("Approved", 1), ("Spam", 1), ("Trash", 1)):
        assert f'{label} <span class="count">({n})</span>' in page
    assert page.index("Newer pending.") < page.index("Older <strong>pending</strong> words.")
    assert "Approved one." not in page and "Spammy." not in page
    for detail in (
        "Sophea",
        "sophea@example.org",
        "https://sophea.example",
        "203.0.113.9",
        "Courts and confidence",
        "Approve",
        "Spam",
        "Trash",
        "Edit",
        "Reply",
    ):
        assert detail in page
    assert "Delete Permanently" not in page  # only from Spam or Trash
    assert "Delete Permanently" in screen(client, "/admin/comments?status=spam")
    assert "Binned." in screen(client, "/admin/comments?status=trash")
    assert client.get("/admin/comments?status=bogus").status_code == 404
    assert newer.id


def test_search_by_author_email_address_or_text_ignoring_case(client, editor, ctx):
    post = make_post()
    a = make_comment(
        post,
        "The BUDGET is late.",
        author_name="Vannak",
        author_email="vannak@example.org",
        status=CommentStatus.PENDING,
    )
    a.author_ip = "198.51.100.7"
    make_comment(
        post,
        "Nothing to see, 100% sure_thing.",
        author_name="Other",
        author_email="other@example.org",
    )
    db.session.commit()

    def found(q: str) -> list[str]:
        return re.findall(r'<tr id="comment-(\d+)"', screen(client, f"/admin/comments?q={q}"))

    assert found("vANNAK") == [str(a.id)]
    assert found("VANNAK@EXAMPLE") == [str(a.id)]
    assert found("198.51.100") == [str(a.id)]
    assert found("budget") == [str(a.id)]
    assert len(found("100%25")) == 1  # a literal percent sign, not a wildcard
    assert found("_thing") != [] and found("x_thing") == []
    assert found("nobody") == []


def test_pagination_of_the_list(client, editor, ctx):
    post = make_post()
    for n in range(25):
        make_comment(
            post,
            f"Comment {n}.",
            status=CommentStatus.PENDING,
            commit=False,
            created_at=utcnow() - timedelta(minutes=n),
        )
    db.session.commit()
    first = screen(client, "/admin/comments")
    second = screen(client, "/admin/comments?page=2")
    assert len(re.findall(r'<tr id="comment-', first)) == 20
    assert len(re.findall(r'<tr id="comment-', second)) == 5
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert client.get("/admin/comments?page=0").status_code == 404


def test_each_button_changes_status_count_and_log_once(app, client, editor, ctx):
    post = make_post()
    comment = make_comment(post, "Under review.", status=CommentStatus.PENDING)
    reader = app.test_client()

    assert press(client, comment, "approve").status_code == 302
    assert (status_of(comment.id), count_of(post)) == (CommentStatus.APPROVED, 1)
    assert "Under review." in reader.get(url_of(post)).get_data(as_text=True)
    press(client, comment, "approve")  # a second press (double click) changes nothing
    assert count_of(post) == 1

    press(client, comment, "unapprove")
    assert (status_of(comment.id), count_of(post)) == (CommentStatus.PENDING, 0)
    assert "Under review." not in reader.get(url_of(post)).get_data(as_text=True)
    press(client, comment, "approve")
    press(client, comment, "spam")
    assert (status_of(comment.id), count_of(post)) == (CommentStatus.SPAM, 0)
    press(client, comment, "restore")  # back to where it was before: approved
    assert (status_of(comment.id), count_of(post)) == (CommentStatus.APPROVED, 1)
    press(client, comment, "trash")
    assert (status_of(comment.id), count_of(post)) == (CommentStatus.TRASH, 0)

    events = db.session.scalars(select(ModerationEvent).order_by(ModerationEvent.id)).all()
    assert [(e.action, e.from_status, e.to_status, e.actor_login) for e in events] == [
        ("approve", "pending", "approved", "mod"),
        ("unapprove", "approved", "pending", "mod"),
        ("approve", "pending", "approved", "mod"),
        ("spam", "approved", "spam", "mod"),
        ("restore", "spam", "approved", "mod"),
        ("trash", "approved", "trash", "mod"),
    ]
    assert approved_in_db(post) == count_of(post)


def test_delete_permanently_only_from_spam_or_trash_and_the_log_remembers(client, editor, ctx):
    post = make_post()
    comment = make_comment(post, "Remember me.", author_name="Chenda")
    reply = make_comment(post, "An answer.", parent=comment)
    comment_id, reply_id = comment.id, reply.id

    response = press(client, comment, "delete")
    assert response.status_code == 302
    assert status_of(comment.id) == CommentStatus.APPROVED
    flashed = screen(client)
    assert "Only comments in Spam or Trash can be deleted permanently." in flashed

    press(client, comment, "trash")
    press(client, comment, "delete")
    assert status_of(comment_id) is None
    assert count_of(post) == 1 == approved_in_db(post)
    db.session.expire_all()
    assert db.session.get(Comment, reply_id).parent_id is None  # the reply stays
    log = screen(client, "/admin/comments/log")
    assert "delete" in log and "Chenda" in log and "Remember me." in log
    assert "trash → deleted" in log


def test_bulk_actions_on_checked_comments(client, editor, ctx):
    post = make_post()
    held = [make_comment(post, f"Held {n}.", status=CommentStatus.PENDING) for n in range(3)]
    other = make_comment(post, "Left alone.", status=CommentStatus.PENDING)
    page = screen(client)
    assert f'name="ids" value="{held[0].id}" form="bulk-form"' in page

    response = client.post(
        "/admin/comments/bulk",
        data={
            "csrf_token": csrf_token_from(page),
            "action": "approve",
            "ids": [str(c.id) for c in held] + ["not-a-number"],
            "next": "/admin/comments?status=pending",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/comments?status=pending"
    assert [status_of(c.id) for c in held] == [CommentStatus.APPROVED] * 3
    assert status_of(other.id) == CommentStatus.PENDING
    assert count_of(post) == 3
    assert "3 of 3 comments approved." in screen(client)
    client.post(
        "/admin/comments/bulk",
        data={"csrf_token": csrf_token_from(page), "action": "approve", "ids": [str(held[0].id)]},
    )
    assert "0 of 1 comments approved." in screen(client)  # idempotent
    response = client.post(
        "/admin/comments/bulk",
        data={
            "csrf_token": csrf_token_from(page),
            "action": "trash",
            "ids": [str(other.id)],
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/admin/comments"  # no open redirect


@pytest.mark.parametrize("target", OFF_SITE_TARGETS)
def test_moderation_never_sends_a_moderator_off_the_site(client, editor, target, ctx):
    comment = make_comment(make_post(), "Held.", status=CommentStatus.PENDING)
    page = screen(client)

    response = client.post(
        "/admin/comments/bulk",
        data={
            "csrf_token": csrf_token_from(page),
            "action": "approve",
            "ids": [str(comment.id)],
            "next": target,
        },
    )

    assert response.headers["Location"] == "/admin/comments"


def test_edit_sanitizes_again_and_is_logged(app, client, editor, ctx):
    post = make_post()
    comment = make_comment(post, "Tpyo here.")
    form = screen(client, f"/admin/comments/{comment.id}/edit")

    response = client.post(
        f"/admin/comments/{comment.id}/edit",
        data={
            "csrf_token": csrf_token_from(form),
            "author_name": "Reader",
            "author_email": "reader@example.org",
            "author_url": "javascript:alert(1)",
            "body": "Typo fixed. <script>alert(1)</script>",
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Comment, comment.id)
    assert edited.body_html == "<p>Typo fixed. &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert edited.author_url == ""
    assert "Typo fixed." in app.test_client().get(url_of(post)).get_data(as_text=True)
    event = db.session.scalar(select(ModerationEvent))
    assert (event.action, event.actor_login) == ("edit", "mod")
    bad = client.post(
        f"/admin/comments/{comment.id}/edit",
        data={"csrf_token": csrf_token_from(form), "author_name": "Reader", "body": ""},
    )
    assert bad.status_code == 400
    assert "The comment cannot be empty." in bad.get_data(as_text=True)


def test_a_moderators_reply_is_published_at_once_under_the_comment(app, client, editor, ctx):
    post = make_post()
    question = make_comment(post, "Is this sourced?", status=CommentStatus.PENDING)
    form = screen(client, f"/admin/comments/{question.id}/reply")

    response = client.post(
        f"/admin/comments/{question.id}/reply",
        data={"csrf_token": csrf_token_from(form), "body": "Yes: see the footnotes."},
    )

    assert response.status_code == 302
    reply = db.session.scalars(select(Comment).where(Comment.parent_id == question.id)).one()
    assert (reply.status, reply.user_id, reply.depth) == (CommentStatus.APPROVED, editor.id, 1)
    assert status_of(question.id) == CommentStatus.APPROVED  # answered, so approved with it
    assert count_of(post) == 2
    page = app.test_client().get(url_of(post)).get_data(as_text=True)
    assert re.search(
        rf'<li id="comment-{question.id}".*?<ol class="children">\s*'
        rf'<li id="comment-{reply.id}" class="comment depth-2 by-moderator">',
        page,
        re.S,
    )
    actions = db.session.scalars(select(ModerationEvent.action).order_by(ModerationEvent.id))
    assert list(actions) == ["approve", "reply"]
    history = screen(client, f"/admin/comments/{question.id}/edit")
    assert "mod – approve (pending → approved)" in history


def test_log_screen_lists_who_did_what_newest_first(client, editor, ctx):
    post = make_post()
    comment = make_comment(post, "Logged.", status=CommentStatus.PENDING)
    press(client, comment, "approve")
    press(client, comment, "trash")
    log = screen(client, "/admin/comments/log")
    assert log.index("approved → trash") < log.index("pending → approved")
    assert log.count("<td>mod</td>") == 2


def test_settings_are_for_admins_and_take_effect(client, login_as, ctx):
    login_as(make_user(role="editor"))
    assert client.get("/admin/comments/settings").status_code == 403
    login_as(make_user("boss", role=ROLE_ADMIN))
    form = screen(client, "/admin/comments/settings")
    assert 'value="2"' in form  # the default link limit

    response = client.post(
        "/admin/comments/settings",
        data={
            "csrf_token": csrf_token_from(form),
            "auto_approve_known": "y",
            "blocklist_words": "Casino\n\n  pills  \ncasino",
            "moderation_words": "fraud",
            "link_limit": "4",
            "close_after_days": "30",
        },
    )

    assert response.status_code == 302
    settings = load_settings()
    assert settings.auto_approve_known is True
    assert settings.blocklist_words == ("casino", "pills")
    assert settings.moderation_words == ("fraud",)
    assert (settings.link_limit, settings.close_after_days) == (4, 30)
    bad = client.post(
        "/admin/comments/settings",
        data={"csrf_token": csrf_token_from(form), "link_limit": "-1", "close_after_days": "x"},
    )
    assert bad.status_code == 400
    assert load_settings().link_limit == 4
