"""Moderation from the inbox: the held-comment mail's Approve, Spam and Trash links,
through a real SMTP server. Opening a link changes nothing (mail scanners open
links); its button POSTs once, within 48 hours, and the log says "via e-mail"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, Comment, CommentStatus, ModerationEvent
from tests.factories import make_post, make_user
from tests.helpers_mail import deliver, path_of, send_comment, text_of


@pytest.fixture
def editor(app, ctx):
    app.config["COMMENT_NOTIFY_EMAILS"] = "sokha@example.org, desk@example.org"
    return make_user("sokha", display_name="Sokha Chan", email="Sokha@example.org")


def held_comment(client, post=None) -> Comment:
    send_comment(client, post or make_post("Water rights"), "Dams upstream change everything.")
    comment = db.session.scalars(select(Comment)).one()
    db.session.commit()
    return comment


def action_links(inbox, address="sokha@example.org") -> dict[str, str]:
    deliver()
    [mail] = inbox.to(address)
    found = {}
    for line in text_of(mail).splitlines():
        label, _, url = line.partition(": ")
        if "/mail/moderate/" in url:
            found[label.lower()] = path_of(url.strip())
    return found


def status_of(comment_id: int) -> str:
    db.session.expire_all()
    status = db.session.get(Comment, comment_id).status
    db.session.commit()
    return status


def test_the_editor_approves_from_the_mail_with_a_confirming_post(app, client, inbox, editor, ctx):
    comment = held_comment(client)
    found = action_links(inbox)
    assert sorted(found) == ["approve", "spam", "trash"]
    assert inbox.to("desk@example.org")  # an address with no account gets the mail…
    assert "/mail/moderate/" not in text_of(inbox.to("desk@example.org")[0])

    page = client.get(found["approve"])  # …what a mail scanner or a preview does
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Dams upstream change everything." in text and "Approve, as Sokha Chan" in text
    assert page.headers["Cache-Control"] == "no-store, private"
    assert status_of(comment.id) == CommentStatus.PENDING  # the GET changed nothing

    done = client.post(found["approve"])
    assert done.status_code == 200
    assert f"Comment #{comment.id} approved by Sokha Chan." in done.get_data(as_text=True)
    assert status_of(comment.id) == CommentStatus.APPROVED
    event = db.session.scalars(
        select(ModerationEvent).order_by(ModerationEvent.id.desc()).limit(1)
    ).one()
    assert (event.action, event.actor_login, event.from_status, event.to_status) == (
        "approve via e-mail",
        "sokha",
        CommentStatus.PENDING,
        CommentStatus.APPROVED,
    )


def test_a_link_works_once(app, client, inbox, editor, ctx):
    comment = held_comment(client)
    found = action_links(inbox)
    assert client.post(found["spam"]).status_code == 200
    assert status_of(comment.id) == CommentStatus.SPAM
    again = client.post(found["spam"])
    assert again.status_code == 409
    assert "This link was already used. Nothing changed." in again.get_data(as_text=True)
    assert "already used" in client.get(found["spam"]).get_data(as_text=True)


def test_a_link_for_a_comment_already_moderated_says_so(app, client, inbox, editor, login_as, ctx):
    comment = held_comment(client)
    found = action_links(inbox)
    assert client.post(found["trash"]).status_code == 200
    assert status_of(comment.id) == CommentStatus.TRASH
    page = client.get(found["approve"]).get_data(as_text=True)
    assert "already moderated: it is trash now. Nothing changed." in page
    assert "Approve, as" not in page  # no button to press
    answer = client.post(found["approve"])
    assert answer.status_code == 409
    assert status_of(comment.id) == CommentStatus.TRASH
    events = db.session.scalars(
        select(ModerationEvent.action).where(ModerationEvent.comment_id == comment.id)
    ).all()
    assert events == ["submitted", "trash via e-mail"]


def test_an_expired_link_changes_nothing(app, client, inbox, editor, clock, ctx):
    comment = held_comment(client)
    found = action_links(inbox)
    clock.advance(hours=48, minutes=1)
    for method in (client.get, client.post):
        response = method(found["approve"])
        assert response.status_code == 400
        assert "This link has expired." in response.get_data(as_text=True)
    assert status_of(comment.id) == CommentStatus.PENDING


def test_a_link_within_its_time_still_works(app, client, inbox, editor, clock, ctx):
    app.config["MODERATION_LINK_HOURS"] = 2
    comment = held_comment(client)
    found = action_links(inbox)
    clock.advance(hours=1, minutes=59)
    assert client.post(found["approve"]).status_code == 200
    assert status_of(comment.id) == CommentStatus.APPROVED


def test_forged_or_damaged_links_are_refused_plainly(app, client, inbox, editor, ctx):
    held_comment(client)
    found = action_links(inbox)
    damaged = found["approve"][:-3]
    response = client.post(damaged)
    assert response.status_code == 400
    assert "This link is not valid" in response.get_data(as_text=True)
    assert client.get("/mail/moderate/x").status_code == 400


def test_an_editor_who_lost_the_role_cannot_use_the_link(app, client, inbox, editor, ctx):
    comment = held_comment(client)
    found = action_links(inbox)
    db.session.get(type(editor), editor.id).is_active_account = False
    db.session.commit()
    assert client.post(found["approve"]).status_code == 400
    assert status_of(comment.id) == CommentStatus.PENDING


def test_admins_get_links_too(app, client, inbox, ctx):
    app.config["COMMENT_NOTIFY_EMAILS"] = "chief@example.org"
    make_user("chief", role=ROLE_ADMIN, email="chief@example.org")
    held_comment(client)
    assert sorted(action_links(inbox, "chief@example.org")) == ["approve", "spam", "trash"]
