"""Two-factor login (issue 19): enrolment from the account page, the code after the
password, replayed codes, recovery codes, throttling, and every route between the
password and the code treating the visitor as logged out."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, ROLE_EDITOR, RecoveryCode, TwoFactor
from tests.factories import make_user
from tests.helpers import FakeClock, csrf_token_from, example_url

PASSWORD = "correct horse battery"
START = 1_800_000_000.0  # a step boundary: 60_000_000 * 30


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app_config(clock):
    return {"CLOCK": clock}


def _password_login(client, user, password=PASSWORD, next_url=None):
    page = client.get("/login")
    url = f"/login?next={next_url}" if next_url else "/login"
    return client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "username": user.login,
            "password": password,
        },
    )


def _send_code(client, code):
    page = client.get("/login/code")
    assert page.status_code == 200
    return client.post(
        "/login/code",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "code": code,
        },
    )


def _enrol(client, user) -> tuple[str, list[str]]:
    """Enrol through the account page as the writer would; the secret and the codes."""
    page = client.get("/account/")
    response = client.post(
        "/account/two-factor/start",
        data={
            "cf-csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "cf-current_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    setup = client.get("/account/two-factor")
    html = setup.get_data(as_text=True)
    assert "<svg" in html and "<img" not in html  # drawn inline: fits the CSP
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', html).group(1)
    code = pyotp.TOTP(secret).at(client.application.config["CLOCK"]())
    done = client.post(
        "/account/two-factor",
        data={
            "csrf_token": csrf_token_from(html),
            "code": code,
        },
    )
    assert done.status_code == 200
    codes = re.findall(
        r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", done.get_data(as_text=True)
    )
    assert done.headers["Cache-Control"] == "private, no-store"
    return secret, codes


@pytest.fixture
def enrolled(app, client, login_as, ctx):
    """An editor who has enrolled; the client is logged out again."""
    user = make_user(role=ROLE_EDITOR, password=PASSWORD)
    login_as(user)
    secret, codes = _enrol(client, user)
    client.post(
        "/logout",
        data={"csrf_token": csrf_token_from(client.get("/admin/").get_data(as_text=True))},
    )
    return user, secret, codes


def _is_logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_enrolment_shows_ten_recovery_codes_once_and_stores_them_hashed(enrolled, ctx):
    user, secret, codes = enrolled

    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id))
    hashes = [row.code_hash for row in stored]
    assert len(hashes) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert db.session.get(TwoFactor, user.id).confirmed_at is not None


def test_a_wrong_first_code_does_not_turn_two_factor_on(app, client, login_as, clock, ctx):
    user = make_user(password=PASSWORD)
    login_as(user)
    page = client.get("/account/")
    client.post(
        "/account/two-factor/start",
        data={
            "cf-csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "cf-current_password": PASSWORD,
        },
    )
    html = client.get("/account/two-factor").get_data(as_text=True)

    response = client.post(
        "/account/two-factor", data={"csrf_token": csrf_token_from(html), "code": "000000"}
    )

    assert response.status_code == 400
    assert "That code is not right" in response.get_data(as_text=True)
    assert db.session.get(TwoFactor, user.id).confirmed_at is None


def test_enrolling_needs_the_current_password(app, client, login_as, ctx):
    user = make_user(password=PASSWORD)
    login_as(user)
    page = client.get("/account/")

    response = client.post(
        "/account/two-factor/start",
        data={
            "cf-csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "cf-current_password": "not the password",
        },
    )

    assert response.status_code == 400
    assert "not your current password" in response.get_data(as_text=True)
    assert db.session.get(TwoFactor, user.id) is None


def test_login_asks_for_the_code_after_the_password(enrolled, client, clock, ctx):
    user, secret, _ = enrolled
    clock.advance(60)

    response = _password_login(client, user, next_url="/admin/posts/")

    assert response.headers["Location"] == "/login/code"
    assert not _is_logged_in(client)
    done = _send_code(client, pyotp.TOTP(secret).at(clock()))
    assert done.status_code == 302
    assert done.headers["Location"] == "/admin/posts/"
    assert _is_logged_in(client)


def test_a_wrong_code_is_refused(enrolled, client, clock, ctx):
    user, secret, _ = enrolled
    clock.advance(60)
    _password_login(client, user)

    response = _send_code(client, "123456")

    assert response.status_code == 400
    assert "not right" in response.get_data(as_text=True)
    assert not _is_logged_in(client)


def test_a_replayed_code_is_refused(app, enrolled, clock, ctx):
    user, secret, _ = enrolled
    clock.advance(60)
    code = pyotp.TOTP(secret).at(clock())
    first, second = app.test_client(), app.test_client()
    _password_login(first, user)
    assert _send_code(first, code).status_code == 302

    _password_login(second, user)
    replay = _send_code(second, code)

    assert replay.status_code == 400
    assert not _is_logged_in(second)
    # Nor is an older code of a step still inside the drift window.
    earlier = pyotp.TOTP(secret).at(clock() - 30)
    assert _send_code(second, earlier).status_code == 400


def test_the_code_of_the_next_step_works_once_time_moves(app, enrolled, clock, ctx):
    user, secret, _ = enrolled
    clock.advance(60)
    first = app.test_client()
    _password_login(first, user)
    _send_code(first, pyotp.TOTP(secret).at(clock()))

    clock.advance(30)
    second = app.test_client()
    _password_login(second, user)

    assert _send_code(second, pyotp.TOTP(secret).at(clock())).status_code == 302


def test_a_recovery_code_works_once(app, enrolled, clock, ctx):
    user, _, codes = enrolled
    first, second = app.test_client(), app.test_client()
    _password_login(first, user)
    assert _send_code(first, codes[3].upper()).status_code == 302
    assert _is_logged_in(first)

    _password_login(second, user)
    again = _send_code(second, codes[3])

    assert again.status_code == 400
    assert not _is_logged_in(second)


def test_codes_are_throttled_like_passwords(app, enrolled, clock, ctx):
    user, secret, _ = enrolled
    clock.advance(60)
    client = app.test_client()
    _password_login(client, user)
    for _ in range(5):  # LOGIN_RATE_LIMIT: 5 per 15 minutes
        assert _send_code(client, "000000").status_code == 400

    blocked = _send_code(client, pyotp.TOTP(secret).at(clock()))

    assert blocked.status_code == 429
    assert not _is_logged_in(client)


def test_the_half_logged_in_state_expires(enrolled, client, clock, ctx):
    user, secret, _ = enrolled
    _password_login(client, user)
    clock.advance(301)

    response = client.get("/login/code")

    assert response.headers["Location"] == "/login"


def test_a_new_password_elsewhere_ends_the_half_logged_in_state(app, enrolled, clock, ctx):
    user, secret, _ = enrolled
    clock.advance(60)
    client = app.test_client()
    _password_login(client, user)
    from blogapp.auth.passwords import set_password

    set_password(db.session.get(type(user), user.id), "another long password")
    db.session.commit()

    response = _send_code(client, pyotp.TOTP(secret).at(clock()))

    assert response.headers["Location"] == "/login"
    assert not _is_logged_in(client)


def _routes(app, prefixes):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefixes):
            yield rule, example_url(app, rule.endpoint)


def test_every_admin_and_account_route_refuses_between_password_and_code(
    app, enrolled, client, ctx
):
    user, _, _ = enrolled
    make_user(role=ROLE_ADMIN)
    _password_login(client, user)
    token = csrf_token_from(client.get("/login/code").get_data(as_text=True))

    checked = 0
    for rule, url in _routes(app, ("/admin", "/account", "/moderation")):
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
            checked += 1
            location = response.headers.get("Location", "")
            assert response.status_code in (302, 400), (method, url)
            if response.status_code == 302:
                assert location.startswith("/login"), (method, url, location)
            assert response.status_code != 200
    assert checked > 20
    # And the second step is still waiting: nothing above logged anyone in.
    assert client.get("/login/code").status_code == 200


def test_require_2fa_sends_editors_to_enrol_before_the_admin(app, client, login_as, ctx):
    app.config["REQUIRE_2FA"] = True
    user = make_user(role=ROLE_EDITOR, password=PASSWORD)
    login_as(user)

    response = client.get("/admin/posts/")

    assert response.headers["Location"] == "/account/"
    assert "requires it" in client.get("/account/").get_data(as_text=True)
    _enrol(client, user)
    assert client.get("/admin/posts/").status_code == 200


def test_an_admin_turns_off_a_writers_second_factor_and_ends_their_sessions(
    app, enrolled, client, login_as, ctx
):
    user, secret, _ = enrolled
    login_as(make_user(role=ROLE_ADMIN))
    assert "<td>On</td>" in client.get("/admin/users/").get_data(as_text=True)
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)

    response = client.post(
        f"/admin/users/{user.id}/two-factor/reset", data={"csrf_token": csrf_token_from(page)}
    )

    assert response.status_code == 302
    assert db.session.get(TwoFactor, user.id) is None
    assert _password_login(app.test_client(), user).headers["Location"] == "/admin/"


def test_reset_2fa_from_the_command_line(app, enrolled, runner, ctx):
    user, _, _ = enrolled

    result = runner.invoke(args=["reset-2fa", "--username", user.login])

    assert result.exit_code == 0, result.output
    assert db.session.get(TwoFactor, user.id) is None
    assert "No user named" in runner.invoke(args=["reset-2fa", "--username", "nobody"]).output
