"""Op-eds submitted through /submit/ (blogapp.submissions): a pending post with an
unconfirmed byline, the writer's contact details stored only as age ciphertext,
opened on the editors' screen with an identity, and gone once the post is published
or rejected."""

from __future__ import annotations

import pyrage
import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, select

from blogapp.extensions import db
from blogapp.models import (
    ROLE_ADMIN,
    AuthorProfile,
    OutboxMessage,
    Post,
    PostStatus,
    Submission,
)
from tests.factories import make_user
from tests.helpers import csrf_token_from, hidden_value

IDENTITY = pyrage.x25519.Identity.generate()
OTHER = pyrage.x25519.Identity.generate()
CONTACT = "dara.writer@example.org, Signal +855 12 345 678"


@pytest.fixture
def app_config():
    return {
        "SUBMISSIONS_ENABLED": True,
        "SUBMISSIONS_MIN_SECONDS": 0,
        "SUBMISSIONS_RECIPIENTS": str(IDENTITY.to_public()),
        "MAIL_SERVER": "localhost",
    }


def _submit(client, **fields):
    page = client.get("/submit/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"  # it holds a CSRF token
    html = page.get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(html),
        "served": hidden_value(html, "served"),
        "title": "Rice prices and the rains",
        "body": "The **rains** came late.",
        "name": "Dara Writer",
        "contact": CONTACT,
        "website": "",
        "language": "km",
    }
    data.update(fields)
    return client.post("/submit/", data=data)


def _clear_text_anywhere(needle: str) -> list[str]:
    """Every text or binary column of every table holding ``needle`` in clear."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | LargeBinary | JSON):
                continue
            for value in db.session.execute(select(column)).scalars():
                raw = value if isinstance(value, bytes) else str(value or "").encode()
                if needle.encode() in raw:
                    found.append(f"{table.name}.{column.name}")
    return found


def test_a_submission_is_a_pending_post_with_its_contact_sealed(client, ctx):
    make_user("ed", role=ROLE_ADMIN, email="ed@example.org")
    response = _submit(client)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.PENDING and post.title == "Rice prices and the rains"
    assert post.language == "km"
    profile = db.session.scalar(select(AuthorProfile).where(AuthorProfile.name == "Dara Writer"))
    assert profile.is_unconfirmed
    sealed = db.session.get(Submission, post.id).sealed_contact
    assert pyrage.decrypt(sealed, [IDENTITY]).decode() == CONTACT
    for needle in ("dara.writer@example.org", "345 678"):
        assert _clear_text_anywhere(needle) == []
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "submission"))
    assert mail.recipient == "ed@example.org"
    assert f"/admin/submissions/{post.id}" in mail.body_text
    assert "dara.writer" not in mail.body_text and "345" not in mail.body_text
    # The profile is not public while its only post is pending.
    assert client.get(f"/author/{profile.slug}/").status_code == 404


def test_an_editor_unlocks_the_contact_with_the_right_identity(client, ctx, login_as):
    editor = make_user("ed", role=ROLE_ADMIN)
    _submit(client)
    post_id = db.session.scalar(select(Post.id))
    login_as(editor)
    draft = client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    assert f'href="/admin/submissions/{post_id}"' in draft
    page = client.get(f"/admin/submissions/{post_id}")
    assert page.status_code == 200 and CONTACT not in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    wrong = client.post(
        f"/admin/submissions/{post_id}", data={"csrf_token": token, "identity": str(OTHER)}
    )
    assert "cannot open these contact details" in wrong.get_data(as_text=True)
    garbage = client.post(
        f"/admin/submissions/{post_id}", data={"csrf_token": token, "identity": "not a key"}
    )
    assert "That is not an age identity" in garbage.get_data(as_text=True)
    right = client.post(
        f"/admin/submissions/{post_id}", data={"csrf_token": token, "identity": str(IDENTITY)}
    )
    body = right.get_data(as_text=True)
    assert right.status_code == 200 and "dara.writer@example.org" in body
    assert str(IDENTITY) not in body
    assert right.headers["Cache-Control"] == "private, no-store"
    assert _clear_text_anywhere("AGE-SECRET-KEY") == []


def test_publishing_forgets_the_contact_and_confirms_the_byline(client, ctx):
    _submit(client)
    post = db.session.scalar(select(Post))
    post.status = PostStatus.PUBLISHED
    db.session.commit()
    assert db.session.scalar(select(Submission)) is None
    assert not db.session.scalar(
        select(AuthorProfile.is_unconfirmed).where(AuthorProfile.name == "Dara Writer")
    )


def test_rejecting_deletes_the_draft_the_contact_and_the_profile(client, ctx, login_as):
    login_as(make_user("ed", role=ROLE_ADMIN))
    _submit(client)
    post_id = db.session.scalar(select(Post.id))
    page = client.get(f"/admin/submissions/{post_id}").get_data(as_text=True)
    response = client.post(
        f"/admin/submissions/{post_id}/reject", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post_id) is None
    assert db.session.scalar(select(Submission)) is None
    assert (
        db.session.scalar(select(AuthorProfile).where(AuthorProfile.name == "Dara Writer")) is None
    )


def test_no_recipient_key_stores_nothing(client, ctx, app):
    app.config["SUBMISSIONS_RECIPIENTS"] = ""
    response = _submit(client)
    assert response.status_code == 503
    assert "not set up" in response.get_data(as_text=True)
    assert db.session.scalar(select(Post)) is None
    assert (
        db.session.scalar(select(AuthorProfile).where(AuthorProfile.name == "Dara Writer")) is None
    )


def test_the_honeypot_is_answered_but_nothing_is_stored(client, ctx):
    assert _submit(client, website="http://spam.example").status_code == 200
    assert db.session.scalar(select(Post)) is None


def test_the_form_is_not_there_when_disabled(client, app):
    app.config["SUBMISSIONS_ENABLED"] = False
    assert client.get("/submit/").status_code == 404
    assert client.post("/submit/", data={}).status_code == 404


def test_the_form_is_throttled_per_client(client, ctx, app):
    app.config["SUBMISSIONS_RATE_LIMIT"] = "1 per hour"
    assert _submit(client).status_code == 200
    assert _submit(client, title="Again").status_code == 429
