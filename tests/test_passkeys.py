"""Passkeys as a second factor (issue 19), through the real forms and the real
WebAuthn verification, with a software authenticator: adding one asks for the
password; at login the passkey replaces the code; a replayed or foreign assertion,
or one outside the step between password and second factor, is refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Passkey
from tests.factories import make_user
from tests.helpers import csrf_token_from
from tests.helpers_passkeys import SoftAuthenticator

PASSWORD = "correct horse battery"


def log_in(client, login="sokha", password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"csrf_token": csrf_token_from(page), "username": login, "password": password},
    )


def add_passkey(client, authenticator, password=PASSWORD, name="My phone"):
    token = csrf_token_from(client.get("/account/").get_data(as_text=True))
    options = client.post(
        "/account/passkeys/options",
        data={"pk-csrf_token": token, "pk-current_password": password},
        headers={"X-CSRFToken": token},
    )
    if options.status_code != 200:
        return options
    credential = authenticator.create(options.get_json())
    return client.post(
        "/account/passkeys", data={"csrf_token": token, "name": name, "credential": credential}
    )


def passkey_step(client, authenticator, **kwargs):
    """On /login/code: ask for the options, let the authenticator sign, send it."""
    page = client.get("/login/code").get_data(as_text=True)
    token = csrf_token_from(page)
    options = client.post(
        "/login/passkey/options", data={"csrf_token": token}, headers={"X-CSRFToken": token}
    )
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.get(options.get_json(), **kwargs)
    return client.post("/login/passkey", data={"csrf_token": token, "credential": credential})


@pytest.fixture
def enrolled(app, ctx):
    """sokha, with a passkey added through /account/."""
    make_user("sokha", password=PASSWORD)
    client = app.test_client()
    assert log_in(client).status_code == 302
    authenticator = SoftAuthenticator()
    response = add_passkey(client, authenticator)
    assert response.status_code == 302
    assert "Passkey added" in client.get("/account/").get_data(as_text=True)
    return authenticator


def test_adding_a_passkey_asks_for_the_password(client, ctx):
    make_user("sokha", password=PASSWORD)
    log_in(client)

    response = add_passkey(client, SoftAuthenticator(), password="a wrong guess here")

    assert response.status_code == 400
    assert db.session.scalars(select(Passkey)).all() == []


def test_a_passkey_is_the_second_step_of_a_login(app, enrolled, ctx):
    client = app.test_client()
    response = log_in(client)
    assert response.headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert "Use a Passkey" in page and 'name="code"' not in page  # no TOTP on this account
    assert client.get("/admin/").status_code == 302  # not logged in yet

    response = passkey_step(client, enrolled)

    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    db.session.expire_all()
    assert db.session.scalars(select(Passkey)).one().last_used_at is not None


def test_a_replayed_assertion_is_refused(app, enrolled, ctx):
    client = app.test_client()
    log_in(client)
    token = csrf_token_from(client.get("/login/code").get_data(as_text=True))
    options = client.post(
        "/login/passkey/options", data={"csrf_token": token}, headers={"X-CSRFToken": token}
    ).get_json()
    credential = enrolled.get(options)
    with client.session_transaction() as saved:
        cookie = dict(saved)  # the session as it was, challenge and all

    assert (
        client.post(
            "/login/passkey", data={"csrf_token": token, "credential": credential}
        ).status_code
        == 302
    )
    thief = app.test_client()
    with thief.session_transaction() as stolen:
        stolen.update(cookie)
    thief.post("/login/passkey", data={"csrf_token": token, "credential": credential})
    assert thief.get("/admin/").status_code == 302


def test_an_old_counter_and_a_foreign_passkey_are_refused(app, enrolled, ctx):
    first = app.test_client()
    log_in(first)
    assert passkey_step(first, enrolled).headers["Location"] == "/admin/"  # counter now 1
    client = app.test_client()
    log_in(client)
    assert (
        passkey_step(client, enrolled, count=enrolled.count).headers["Location"] == "/login/code"
    )  # a copy of the authenticator, its counter behind
    assert passkey_step(client, SoftAuthenticator()).headers["Location"] == "/login/code"
    assert client.get("/admin/").status_code == 302


def test_passkey_options_need_the_password_step_first(client, enrolled, ctx):
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_from(page)

    response = client.post(
        "/login/passkey/options", data={"csrf_token": token}, headers={"X-CSRFToken": token}
    )

    assert response.status_code == 400
    assert json.loads(response.get_data(as_text=True))["error"]
    answer = client.post("/login/passkey", data={"csrf_token": token, "credential": "{}"})
    assert answer.headers["Location"] == "/login"


def test_removing_a_passkey_asks_for_the_password(app, enrolled, ctx):
    client = app.test_client()
    log_in(client)
    passkey_step(client, enrolled)
    key = db.session.scalars(select(Passkey)).one()
    token = csrf_token_from(client.get("/account/").get_data(as_text=True))

    wrong = client.post(
        f"/account/passkeys/{key.id}/delete",
        data={"cf-csrf_token": token, "cf-current_password": "nope nope"},
    )
    right = client.post(
        f"/account/passkeys/{key.id}/delete",
        data={"cf-csrf_token": token, "cf-current_password": PASSWORD},
    )

    assert wrong.status_code == 400 and right.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Passkey)).all() == []
    assert log_in(app.test_client()).headers["Location"] == "/admin/"


def test_a_passkey_satisfies_require_2fa(app, enrolled, ctx):
    app.config["REQUIRE_2FA"] = True
    client = app.test_client()
    log_in(client)
    passkey_step(client, enrolled)

    assert client.get("/admin/").status_code == 200
