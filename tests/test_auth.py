"""Logging in and out: the form, safe redirects, throttling, sessions that end when
they should, CSRF, and the create-admin command."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from blogapp.auth.passwords import hash_password, set_password, verify_password
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, User
from tests.factories import make_user
from tests.helpers import OFF_SITE_TARGETS, csrf_token_from

PASSWORD = "correct horse battery"


def log_in(client, username, password, *, remember=False, next_url=None, address=None):
    login_url = "/login" + (f"?next={next_url}" if next_url is not None else "")
    environ = {"REMOTE_ADDR": address} if address else {}
    page = client.get("/login", environ_base=environ)
    data = {
        "username": username,
        "password": password,
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
    }
    if remember:
        data["remember"] = "y"
    return client.post(login_url, data=data, environ_base=environ)


def cookie_header(response, name):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_login_page_has_the_labelled_fields(client, ctx):
    html = client.get("/login").get_data(as_text=True)

    assert re.search(r'<label for="username">Username</label>', html)
    assert re.search(r'<label for="password">Password</label>', html)
    assert re.search(r'<label for="remember">Remember me</label>', html)
    assert 'type="checkbox"' in html
    assert '<button type="submit">Log In</button>' in html


def test_logging_in_leads_to_the_dashboard_with_safe_cookies(client, ctx):
    make_user("sokha", password=PASSWORD, role=ROLE_ADMIN)

    response = log_in(client, "sokha", PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    session_cookie = cookie_header(response, "session")
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert "Dashboard" in dashboard.get_data(as_text=True)
    assert dashboard.headers["Cache-Control"] == "private, no-store"


def test_secure_cookies_when_configured_for_https(app, client, ctx):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    make_user("sokha", password=PASSWORD)

    response = log_in(client, "sokha", PASSWORD, remember=True)

    assert "Secure" in cookie_header(response, "session")
    assert "Secure" in cookie_header(response, "remember_token")
    assert "HttpOnly" in cookie_header(response, "remember_token")


def test_unknown_user_and_wrong_password_get_the_same_answer(client, ctx):
    make_user("sokha", password=PASSWORD)

    wrong_password = log_in(client, "sokha", "not the password")
    unknown_user = log_in(client, "nobody", "not the password")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert "Invalid username or password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # The username typed stays in the form; the password does not come back.
    html = unknown_user.get_data(as_text=True)
    assert 'value="nobody"' in html
    assert "not the password" not in html


def test_passwords_are_argon2id_at_owasp_parameters():
    stored = hash_password(PASSWORD)

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not verify_password("", PASSWORD)
    assert not verify_password("not-a-hash", PASSWORD)


def test_deactivated_account_cannot_log_in(client, ctx):
    user = make_user("former", password=PASSWORD)
    user.is_active_account = False
    db.session.commit()

    response = log_in(client, "former", PASSWORD)

    assert "Invalid username or password." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


# The log-in's `next` travels in a query string too, where %09 arrives as a tab.
@pytest.mark.parametrize("target", [*OFF_SITE_TARGETS, "/%09/evil.com"])
def test_next_never_leaves_the_site(client, target, ctx):
    make_user("sokha", password=PASSWORD)

    response = log_in(client, "sokha", PASSWORD, next_url=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_next_is_honoured_for_a_local_path(client, ctx):
    make_user("sokha", password=PASSWORD)
    to_login = client.get("/admin/posts/?status=draft")
    assert to_login.status_code == 302
    assert to_login.headers["Location"].startswith("/login?next=")

    response = log_in(client, "sokha", PASSWORD, next_url="/admin/posts/%3Fstatus%3Ddraft")

    assert response.headers["Location"] == "/admin/posts/?status=draft"


def test_session_is_cleared_at_login(client, ctx):
    make_user("sokha", password=PASSWORD)
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        before = dict(session)

    log_in(client, "sokha", PASSWORD)

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != before.get("csrf_token")
        assert session["_user_id"].startswith(
            str(db.session.scalar(select(User.id).where(User.login == "sokha")))
        )


def test_logout_is_a_post_and_old_cookies_stop_working(app, client, ctx):
    make_user("sokha", password=PASSWORD)
    log_in(client, "sokha", PASSWORD, remember=True)
    old_session = client.get_cookie("session").value
    old_remember = client.get_cookie("remember_token").value
    page = client.get("/admin/")
    assert "Log Out" in page.get_data(as_text=True)

    assert client.get("/logout").status_code != 200  # a link cannot log anyone out
    assert client.get("/admin/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token_from(page.get_data(True))})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    # An attacker who copied the cookies before the logout replays them: no access.
    replay = app.test_client()
    replay.set_cookie("session", old_session)
    assert replay.get("/admin/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("remember_token", old_remember)
    assert replay.get("/admin/").status_code == 302


def test_password_change_ends_older_sessions_and_remember_cookies(app, client, ctx):
    user = make_user("sokha", password=PASSWORD)
    log_in(client, "sokha", PASSWORD, remember=True)
    old_session = client.get_cookie("session").value
    old_remember = client.get_cookie("remember_token").value
    remembered = app.test_client()
    remembered.set_cookie("remember_token", old_remember)
    assert remembered.get("/admin/").status_code == 200  # the cookie works until…

    set_password(user, "a brand new passphrase")
    db.session.commit()

    for name, value in (("session", old_session), ("remember_token", old_remember)):
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert replay.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 302


@pytest.fixture
def app_config():
    return {"REMEMBER_COOKIE_DAYS": 365}


def test_remember_me_lasts_at_most_30_days(client, ctx):
    make_user("sokha", password=PASSWORD)

    response = log_in(client, "sokha", PASSWORD, remember=True)

    expires = re.search(r"Expires=([^;]+)", cookie_header(response, "remember_token")).group(1)
    lifetime = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30, minutes=1)
    without = log_in(client.application.test_client(), "sokha", PASSWORD)
    assert not any(h.startswith("remember_token=") for h in without.headers.getlist("Set-Cookie"))


def test_failed_logins_are_throttled_per_account(app, client, ctx):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "5 per 15 minutes"  # the default is higher
    make_user("sokha", password=PASSWORD)
    for n in range(5):
        response = log_in(client, "sokha", "guess", address=f"10.0.0.{n + 1}")
        assert response.status_code == 200

    # From a sixth address, even the right password waits: the account is paused.
    blocked = log_in(client, "sokha", PASSWORD, address="10.0.0.99")

    assert blocked.status_code == 429
    assert "Too many failed attempts to log in" in blocked.get_data(as_text=True)
    assert "15 minutes" in blocked.get_data(as_text=True)
    # Another account from that address is not affected.
    make_user("dara", password=PASSWORD)
    assert log_in(client, "dara", PASSWORD, address="10.0.0.99").status_code == 302


def test_unknown_usernames_are_throttled_the_same_way(app, client, ctx):
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "5 per 15 minutes"
    for n in range(5):
        assert log_in(client, "ghost", "guess", address=f"10.1.0.{n + 1}").status_code == 200

    blocked = log_in(client, "ghost", "guess", address="10.1.0.99")

    assert blocked.status_code == 429
    assert "Too many failed attempts to log in" in blocked.get_data(as_text=True)


def test_failed_logins_are_throttled_per_address(app, client, ctx):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "5 per 15 minutes"  # the default is higher
    make_user("sokha", password=PASSWORD)
    for n in range(5):
        assert log_in(client, f"user{n}", "guess", address="192.0.2.7").status_code == 200

    blocked = log_in(client, "sokha", PASSWORD, address="192.0.2.7")

    assert blocked.status_code == 429
    assert log_in(client, "sokha", PASSWORD, address="192.0.2.8").status_code == 302


def test_successful_logins_are_not_counted(client, ctx):
    make_user("sokha", password=PASSWORD)
    for _ in range(6):
        assert log_in(client.application.test_client(), "sokha", PASSWORD).status_code == 302


@pytest.mark.parametrize("token", [None, "not-a-real-token"])
def test_forms_without_a_valid_csrf_token_get_a_clear_400(client, login_as, token, ctx):
    data = {"username": "sokha", "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    client.get("/login")

    response = client.post("/login", data=data)

    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    login_as(make_user(role=ROLE_ADMIN))
    for url in ("/logout", "/admin/posts/new", "/admin/categories/", "/admin/media/"):
        response = client.post(url, data={"title": "x", **({"csrf_token": token} if token else {})})
        assert response.status_code == 400, url
        assert "did not come from this site" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # still logged in: logout was refused


@pytest.mark.parametrize("path", ["/wp-login.php", "/wp-admin/", "/wp-admin"])
def test_wordpress_login_addresses_lead_to_the_login_page(client, path, ctx):
    response = client.get(path)

    assert response.status_code == 301
    assert response.headers["Location"] == "/login"


def test_footer_links_to_login_or_dashboard(client, login_as, ctx):
    assert '<a href="/login" rel="nofollow">Log in</a>' in client.get("/").get_data(as_text=True)

    login_as(make_user())

    assert '<a href="/admin/">Dashboard</a>' in client.get("/").get_data(as_text=True)


def test_create_admin_command(runner, ctx):
    result = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "boss",
            "--email",
            "boss@example.org",
            "--password",
            "a long passphrase",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Admin 'boss' created" in result.output
    user = db.session.scalar(select(User).where(User.login == "boss"))
    assert user.role == ROLE_ADMIN
    assert user.email == "boss@example.org"
    assert verify_password(user.password_hash, "a long passphrase")
    assert user.session_token

    again = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "boss",
            "--email",
            "b@example.org",
            "--password",
            "another passphrase",
        ]
    )
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_create_admin_prompts_for_the_password_and_refuses_short_ones(runner, ctx):
    short = runner.invoke(
        args=["create-admin", "--username", "boss", "--email", "boss@example.org"],
        input="short\nshort\n",
    )
    assert short.exit_code != 0
    assert "at least 10 characters" in short.output

    prompted = runner.invoke(
        args=["create-admin", "--username", "boss", "--email", "boss@example.org"],
        input="typed passphrase\n" * 2,
    )
    assert prompted.exit_code == 0, prompted.output
    assert "typed passphrase" not in prompted.output
    user = db.session.scalar(select(User).where(User.login == "boss"))
    assert verify_password(user.password_hash, "typed passphrase")
