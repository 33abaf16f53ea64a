"""Readers fix their own comment: from the same browser, within COMMENT_EDIT_MINUTES,
while nobody has replied. The edit is sanitized and judged again; an approved
comment goes back to pending whatever the rules say; the log keeps the old text."""

from __future__ import annotations

from sqlalchemy import select

from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, ModerationEvent, Post
from blogapp.permalinks import post_url
from tests.factories import make_comment, make_post, make_user
from tests.helpers import csrf_token_from, recognise
from tests.helpers_mail import send_comment


def my_comment() -> Comment:
    comment = db.session.scalars(select(Comment).order_by(Comment.id.desc()).limit(1)).one()
    db.session.commit()
    return comment


def edit(client, comment_id: int, body: str):
    page = client.get(f"/comments/{comment_id}/edit")
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(
        f"/comments/{comment_id}/edit",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "body": body},
    )


def reload(comment_id: int) -> Comment:
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    db.session.commit()
    return comment


def page_of(app, client, post) -> str:
    with app.test_request_context():
        url = post_url(post)
    return client.get(url).get_data(as_text=True)


def test_a_reader_fixes_a_typo_from_the_same_browser(app, client, clock, ctx):
    post = make_post("Rice prices")
    send_comment(client, post, "Teh harvest was late.")
    comment = my_comment()
    assert "Edit your comment" in page_of(app, client, post)
    assert "Edit your comment" not in page_of(app, app.test_client(), post)  # nobody else

    response = edit(client, comment.id, "The harvest was late. <script>alert(1)</script>")
    assert response.status_code == 302
    stored = reload(comment.id)
    assert stored.body.startswith("The harvest was late.")
    assert "<script" not in stored.body_html
    assert stored.status == CommentStatus.PENDING
    event = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.action == "reader edit")
    ).one()
    assert event.previous_body == "Teh harvest was late."


def test_another_browser_cannot_edit(app, client, ctx):
    post = make_post()
    send_comment(client, post, "Mine.")
    comment = my_comment()
    stranger = app.test_client()
    answer = stranger.get(f"/comments/{comment.id}/edit")
    assert answer.status_code == 403
    assert "Only the browser that sent a comment can edit it." in answer.get_data(as_text=True)
    # Refused by the CSRF check or by the edit rule; either way nothing changes.
    assert stranger.post(f"/comments/{comment.id}/edit", data={"body": "Hijacked"}).status_code in (
        400,
        403,
    )
    assert reload(comment.id).body == "Mine."


def test_the_window_closes_after_ten_minutes(app, client, clock, ctx):
    post = make_post()
    send_comment(client, post, "Quick thought.")
    comment = my_comment()
    clock.advance(minutes=9, seconds=50)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 200
    clock.advance(seconds=20)
    answer = client.get(f"/comments/{comment.id}/edit")
    assert answer.status_code == 403
    assert "can be edited for 10 minutes" in answer.get_data(as_text=True)
    assert "Edit your comment" not in page_of(app, client, post)


def test_no_edit_once_someone_replied(app, client, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    send_comment(client, post, "Approved at once.")
    comment = my_comment()
    assert comment.status == CommentStatus.APPROVED
    make_comment(db.session.get(Post, post.id), "A reply.", parent=comment)
    answer = client.get(f"/comments/{comment.id}/edit")
    assert answer.status_code == 403
    assert "Someone has replied" in answer.get_data(as_text=True)


def test_an_approved_comment_edited_into_spam_goes_back_to_pending(app, client, login_as, ctx):
    save_settings(CommentSettings(auto_approve_known=True, blocklist_words=("casino",)))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    send_comment(client, post, "A fair point about budgets.")
    comment = my_comment()
    assert comment.status == CommentStatus.APPROVED
    before = db.session.get(Post, post.id).comment_count
    db.session.commit()

    assert edit(client, comment.id, "Visit my casino now").status_code == 302
    stored = reload(comment.id)
    assert stored.status == CommentStatus.PENDING
    assert db.session.get(Post, post.id).comment_count == before - 1
    db.session.commit()
    event = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.action == "reader edit")
    ).one()
    assert (event.from_status, event.to_status) == (CommentStatus.APPROVED, CommentStatus.PENDING)
    assert "blocklist" in event.comment_summary

    login_as(make_user(display_name="Mod"))
    log = client.get("/admin/comments/log").get_data(as_text=True)
    assert "Text before the edit" in log and "A fair point about budgets." in log
    assert "the reader" in log


def test_an_approved_comment_edited_goes_back_to_the_queue(app, client, login_as, ctx):
    """Approval was given to the words a moderator read: new words wait for a moderator
    again, however harmless they look to the rules (the red team's edit added a home
    address), and readers no longer see the comment until then."""
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, "Earlier.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    send_comment(client, post, "Budgets matter.")
    comment = my_comment()
    assert comment.status == CommentStatus.APPROVED
    reader = app.test_client()
    assert "Budgets matter." in page_of(app, reader, post)

    form = client.get(f"/comments/{comment.id}/edit").get_data(as_text=True)
    assert "waits for a moderator again" in form  # said before, not only after
    response = edit(client, comment.id, "EDITED AFTER APPROVAL: the home address of X is …")

    assert response.status_code == 302
    assert "awaiting moderation" in client.get(
        response.headers["Location"], follow_redirects=True
    ).get_data(as_text=True)
    assert reload(comment.id).status == CommentStatus.PENDING
    assert "EDITED AFTER APPROVAL" not in page_of(app, reader, post)
    assert "Budgets matter." not in page_of(app, reader, post)
    event = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.action == "reader edit")
    ).one()
    assert (event.from_status, event.to_status) == (CommentStatus.APPROVED, CommentStatus.PENDING)
    assert "edited after approval" in event.comment_summary
    login_as(make_user(display_name="Mod"))
    queue = client.get("/admin/comments?status=pending").get_data(as_text=True)
    assert "EDITED AFTER APPROVAL" in queue


def test_an_empty_edit_is_refused(app, client, ctx):
    post = make_post()
    send_comment(client, post, "Budgets matter.")
    comment = my_comment()
    answer = edit(client, comment.id, "   \n ")
    assert answer.status_code == 400 and "Please type a comment." in answer.get_data(as_text=True)
    assert reload(comment.id).body == "Budgets matter."
