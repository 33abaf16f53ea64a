"""Admins manage accounts: add, change role and details, deactivate, set passwords."""

from __future__ import annotations

from sqlalchemy import select

from blogapp.auth.passwords import verify_password
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, ROLE_EDITOR, User
from tests.factories import make_user
from tests.helpers import csrf_token_from


def post_form(client, url, page_url, **data):
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_admin_adds_an_editor_who_can_then_log_in(app, client, login_as, ctx):
    login_as(make_user(role=ROLE_ADMIN))

    response = post_form(
        client,
        "/admin/users/new",
        "/admin/users/new",
        login="dara",
        email="dara@example.org",
        display_name="Dara",
        role="editor",
        password="a fine passphrase",
        is_active_account="y",
    )

    assert response.status_code == 302
    dara = db.session.scalar(select(User).where(User.login == "dara"))
    assert (dara.role, dara.display_name, dara.is_active_account) == ("editor", "Dara", True)
    assert verify_password(dara.password_hash, "a fine passphrase")
    short = post_form(
        client,
        "/admin/users/new",
        "/admin/users/new",
        login="kim",
        email="",
        display_name="",
        role="editor",
        password="short",
    )
    assert short.status_code == 400
    assert "Use at least 10 characters." in short.get_data(as_text=True)


def test_deactivating_ends_the_users_sessions(app, client, login_as, ctx):
    login_as(make_user(role=ROLE_ADMIN))
    target = make_user("leaving")
    their_client = app.test_client()
    with their_client.session_transaction() as session:
        target.session_token = "a" * 32
        db.session.commit()
        session["_user_id"] = target.get_id()
    assert their_client.get("/admin/").status_code == 200

    response = post_form(
        client,
        f"/admin/users/{target.id}/edit",
        f"/admin/users/{target.id}/edit",
        email=target.email,
        display_name="",
        role="editor",
    )  # the Active box left unticked

    assert response.status_code == 302
    db.session.expire_all()
    assert not target.is_active_account
    assert their_client.get("/admin/").status_code == 302


def test_admin_sets_a_password_and_old_sessions_end(app, client, login_as, ctx):
    login_as(make_user(role=ROLE_ADMIN))
    target = make_user("forgetful")
    old_id = (target.id, target.session_token)

    response = post_form(
        client,
        f"/admin/users/{target.id}/password",
        f"/admin/users/{target.id}/edit",
        **{"pw-password": "new long secret"},
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert verify_password(target.password_hash, "new long secret")
    assert target.session_token != old_id[1]


def test_an_admin_cannot_lock_themselves_out(client, login_as, ctx):
    me = login_as(make_user(role=ROLE_ADMIN))

    response = post_form(
        client,
        f"/admin/users/{me.id}/edit",
        f"/admin/users/{me.id}/edit",
        email=me.email,
        display_name="",
        role=ROLE_EDITOR,
        is_active_account="y",
    )

    assert response.status_code == 400
    assert "cannot remove your own admin role" in response.get_data(as_text=True)
    db.session.expire_all()
    assert me.role == ROLE_ADMIN
