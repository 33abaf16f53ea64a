"""Password reset by e-mail (issue 19), through a real SMTP server: the same answer
for known and unknown addresses, a link that works once and for an hour, whose GET
changes nothing, and a reset that ends every session of the account."""

from __future__ import annotations

import pyotp

from blogapp.auth import two_factor
from blogapp.auth.passwords import verify_password
from blogapp.extensions import db
from blogapp.models import User
from tests.factories import make_user
from tests.helpers import csrf_token_from
from tests.helpers_mail import deliver, links_in, path_of

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"


def ask_for_link(client, email: str, address: str = "192.0.2.1"):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login/forgot", environ_base=environ).get_data(as_text=True)
    return client.post(
        "/login/forgot",
        data={"csrf_token": csrf_token_from(page), "email": email},
        environ_base=environ,
    )


def reset_link(inbox, address="sokha@example.org") -> str:
    deliver()
    [mail] = inbox.to(address)
    [link] = [url for url in links_in(mail) if "/login/reset/" in url]
    return path_of(link)


def choose(client, path: str, password: str = NEW_PASSWORD):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(
        path,
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "password": password},
    )


def password_is(user_id: int, password: str) -> bool:
    db.session.expire_all()
    result = verify_password(db.session.get(User, user_id).password_hash, password)
    db.session.commit()
    return result


def log_in(client, login: str, password: str):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"csrf_token": csrf_token_from(page), "username": login, "password": password},
    )


def test_the_login_page_offers_a_reset(client, ctx):
    assert 'href="/login/forgot"' in client.get("/login").get_data(as_text=True)


def test_known_and_unknown_addresses_get_the_same_answer(app, client, inbox, clock, ctx):
    make_user("sokha", email="Sokha@example.org", password=PASSWORD)

    known = ask_for_link(client, "sokha@example.org")
    unknown = ask_for_link(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert "If an account uses that address" in known.get_data(as_text=True)
    deliver()
    assert len(inbox.messages) == 1 and inbox.to("Sokha@example.org")


def test_the_link_sets_a_new_password_once_and_ends_every_session(app, client, inbox, clock, ctx):
    user = make_user("sokha", email="sokha@example.org", password=PASSWORD)
    other = app.test_client()  # a browser still logged in somewhere else
    assert log_in(other, "sokha", PASSWORD).status_code == 302
    assert other.get("/admin/").status_code == 200
    ask_for_link(client, "sokha@example.org")
    path = reset_link(inbox)

    opened = client.get(path)  # what a mail scanner does: nothing changes
    assert opened.status_code == 200 and 'name="password"' in opened.get_data(as_text=True)
    assert password_is(user.id, PASSWORD)

    response = choose(client, path)

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert password_is(user.id, NEW_PASSWORD)
    assert other.get("/admin/").status_code == 302  # its session has ended
    again = client.get(path)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert log_in(client, "sokha", NEW_PASSWORD).status_code == 302


def test_the_link_expires_after_an_hour(client, inbox, clock, ctx):
    user = make_user("sokha", email="sokha@example.org", password=PASSWORD)
    ask_for_link(client, "sokha@example.org")
    path = reset_link(inbox)

    clock.advance(minutes=61)
    response = client.get(path)

    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 400
    assert password_is(user.id, PASSWORD)


def test_an_older_link_dies_when_the_password_changes(client, inbox, clock, ctx):
    user = make_user("sokha", email="sokha@example.org", password=PASSWORD)
    ask_for_link(client, "sokha@example.org")
    ask_for_link(client, "sokha@example.org")
    deliver()
    first, second = (
        path_of(next(u for u in links_in(m) if "/login/reset/" in u))
        for m in inbox.to("sokha@example.org")
    )

    assert choose(client, second).status_code == 302
    response = client.get(first)

    assert response.status_code == 400 and "no longer works" in response.get_data(as_text=True)
    assert password_is(user.id, NEW_PASSWORD)


def test_a_forged_link_and_a_short_password_are_refused(client, inbox, clock, ctx):
    user = make_user("sokha", email="sokha@example.org", password=PASSWORD)
    assert client.get("/login/reset/not-a-real-token").status_code == 400
    ask_for_link(client, "sokha@example.org")
    path = reset_link(inbox)

    response = choose(client, path, password="short")

    assert response.status_code == 400 and "at least" in response.get_data(as_text=True)
    assert password_is(user.id, PASSWORD)
    assert choose(client, path).status_code == 302  # still unused


def test_asking_is_throttled(client, inbox, clock, ctx):
    make_user("sokha", email="sokha@example.org", password=PASSWORD)
    answers = [ask_for_link(client, "sokha@example.org").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    deliver()
    assert len(inbox.messages) == 3


def test_others_asking_for_a_writers_link_do_not_keep_the_writer_from_one(
    app, client, inbox, clock, ctx
):
    """Three requests from elsewhere used to stop the writer's own for an hour."""
    make_user("sokha", email="sokha@example.org", password=PASSWORD)
    for n in range(3):
        assert (
            ask_for_link(app.test_client(), "sokha@example.org", address=f"10.7.0.{n}").status_code
            == 200
        )
    writer = app.test_client()
    assert ask_for_link(writer, "sokha@example.org", address="198.51.100.20").status_code == 200
    deliver()
    assert len(inbox.to("sokha@example.org")) == 4

    # Still a limit for the address, so the writer's mailbox cannot be flooded.
    for n in range(6):
        ask_for_link(app.test_client(), "sokha@example.org", address=f"10.8.0.{n}")
    assert ask_for_link(writer, "sokha@example.org", address="198.51.100.21").status_code == 429


def test_a_reset_does_not_skip_the_second_factor(app, client, inbox, clock, ctx):
    user = make_user("sokha", email="sokha@example.org", password=PASSWORD)
    two_factor.start_enrolment(user)
    db.session.commit()
    row = two_factor.two_factor_of(user)
    assert two_factor.confirm_enrolment(user, pyotp.TOTP(row.secret).now()) is not None
    db.session.commit()
    ask_for_link(client, "sokha@example.org")
    choose(client, reset_link(inbox))

    response = log_in(client, "sokha", NEW_PASSWORD)

    assert response.headers["Location"] == "/login/code"
    assert client.get("/admin/").status_code == 302


def test_the_reset_page_leaks_its_token_to_no_one(client, inbox, clock, ctx):
    """The token is in the page's own URL: like every other page opened from a mail
    link, it sends no Referer to a link followed from it and is never stored."""
    make_user("sokha", email="sokha@example.org", password=PASSWORD)
    ask_for_link(client, "sokha@example.org")
    path = reset_link(inbox)

    for response in (
        client.get(path),
        client.post(path, data={"password": "short"}),
        client.get("/login/reset/forged-token"),
    ):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response.headers["Cache-Control"]
