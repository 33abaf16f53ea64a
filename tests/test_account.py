"""A writer's own account (issue 19): changing the password with the current one, and
logging out everywhere else, which a second browser notices on its next request."""

from __future__ import annotations

from blogapp.auth.passwords import verify_password
from blogapp.extensions import db
from blogapp.models import User
from tests.factories import make_user
from tests.helpers import csrf_token_from

PASSWORD = "correct horse battery"


def _log_in(client, user, password=PASSWORD):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "username": user.login,
            "password": password,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def _account_token(client) -> str:
    return csrf_token_from(client.get("/account/").get_data(as_text=True))


def test_anonymous_visitors_are_sent_to_log_in_from_the_account_page(client, ctx):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_account_page_is_never_cached(client, login_as, ctx):
    login_as(make_user(password=PASSWORD))

    response = client.get("/account/")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_changing_the_password_needs_the_current_one(app, client, ctx):
    user = make_user(password=PASSWORD)
    _log_in(client, user)

    response = client.post(
        "/account/password",
        data={
            "pw-csrf_token": _account_token(client),
            "pw-current_password": "a wrong guess here",
            "pw-password": "a brand new password",
        },
    )

    assert response.status_code == 400
    assert "not your current password" in response.get_data(as_text=True)
    assert verify_password(db.session.get(User, user.id).password_hash, PASSWORD)


def test_a_short_new_password_is_refused_in_plain_words(app, client, ctx):
    user = make_user(password=PASSWORD)
    _log_in(client, user)

    response = client.post(
        "/account/password",
        data={
            "pw-csrf_token": _account_token(client),
            "pw-current_password": PASSWORD,
            "pw-password": "short",
        },
    )

    assert response.status_code == 400
    assert "Use at least 10 characters." in response.get_data(as_text=True)


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, ctx):
    user = make_user(password=PASSWORD)
    mine, other = app.test_client(), app.test_client()
    _log_in(mine, user)
    _log_in(other, user)

    response = mine.post(
        "/account/password",
        data={
            "pw-csrf_token": _account_token(mine),
            "pw-current_password": PASSWORD,
            "pw-password": "a brand new password",
        },
    )

    assert response.headers["Location"] == "/account/"
    assert _logged_in(mine)
    assert other.get("/admin/").headers["Location"].startswith("/login")
    _log_in(app.test_client(), user, "a brand new password")


def test_wrong_current_passwords_are_throttled_like_logins(app, client, ctx):
    user = make_user(password=PASSWORD)
    _log_in(client, user)
    for _ in range(5):
        client.post(
            "/account/password",
            data={
                "pw-csrf_token": _account_token(client),
                "pw-current_password": "a wrong guess here",
                "pw-password": "a brand new password",
            },
        )

    response = client.post(
        "/account/password",
        data={
            "pw-csrf_token": _account_token(client),
            "pw-current_password": PASSWORD,
            "pw-password": "a brand new password",
        },
    )

    assert response.status_code == 429
    assert verify_password(db.session.get(User, user.id).password_hash, PASSWORD)


def test_log_out_everywhere_else_ends_a_live_session_on_its_next_request(app, ctx):
    user = make_user(password=PASSWORD)
    mine, other = app.test_client(), app.test_client()
    _log_in(mine, user)
    _log_in(other, user)
    assert _logged_in(other)

    response = mine.post("/account/sessions/end-others", data={"csrf_token": _account_token(mine)})

    assert response.headers["Location"] == "/account/"
    assert _logged_in(mine)
    next_request = other.get("/admin/posts/")
    assert next_request.status_code == 302
    assert next_request.headers["Location"].startswith("/login")


def test_log_out_everywhere_else_ends_remember_me_cookies_too(app, ctx):
    user = make_user(password=PASSWORD)
    mine, other = app.test_client(), app.test_client()
    _log_in(mine, user)
    page = other.get("/login")
    other.post(
        "/login",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "username": user.login,
            "password": PASSWORD,
            "remember": "y",
        },
    )
    assert other.get_cookie("remember_token") is not None
    mine.post("/account/sessions/end-others", data={"csrf_token": _account_token(mine)})

    other.delete_cookie("session")  # the browser was closed: only "Remember me" is left

    assert not _logged_in(other)


def test_log_out_everywhere_else_needs_the_csrf_token(app, client, ctx):
    user = make_user(password=PASSWORD)
    _log_in(client, user)
    before = db.session.get(User, user.id).session_token

    response = client.post("/account/sessions/end-others", data={})

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token == before
