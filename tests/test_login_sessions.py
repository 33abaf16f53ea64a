"""Where you're logged in (issue 19): one row per login with its device, address and
last seen; ending one logs that browser (and its "Remember me") out on its next
request; a login from a device the account never used mails its owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blogapp.auth.sessions import describe_device
from blogapp.extensions import db
from blogapp.models import LoginSession
from tests.factories import make_user
from tests.helpers import FakeClock, csrf_token_from
from tests.helpers_mail import deliver, text_of

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def browser(app, agent: str, address: str = "198.51.100.7"):
    client = app.test_client()
    client.environ_base.update(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    return client


def log_in(client, login="sokha", remember=False):
    page = client.get("/login").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "username": login, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def logins() -> list[LoginSession]:
    db.session.expire_all()
    rows = list(db.session.scalars(select(LoginSession).order_by(LoginSession.id)))
    db.session.commit()
    return rows


def post_from_account(client, path: str):
    token = csrf_token_from(client.get("/account/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


def test_devices_are_summarised_from_the_user_agent():
    assert describe_device(FIREFOX) == "Firefox on Windows"
    assert describe_device(IPHONE) == "Safari on iPhone"
    assert describe_device("curl/8.5.0") == "curl/8.5.0"
    assert describe_device("") == "Unknown device"


def test_the_account_page_lists_each_login(app, ctx):
    make_user("sokha", password=PASSWORD)
    laptop, phone = browser(app, FIREFOX, "198.51.100.7"), browser(app, IPHONE, "203.0.113.5")
    log_in(laptop)
    log_in(phone)

    page = laptop.get("/account/").get_data(as_text=True)

    assert "Firefox on Windows <strong>(this browser)</strong>" in page
    assert "Safari on iPhone" in page and "203.0.113.5" in page
    assert page.count("End this session") == 2


def test_ending_one_session_logs_that_browser_out_and_keeps_the_other(app, ctx):
    make_user("sokha", password=PASSWORD)
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    log_in(laptop)
    log_in(phone, remember=True)
    remembered = phone.get_cookie("remember_token")
    assert remembered is not None
    phone_row = [row for row in logins() if row.device == "Safari on iPhone"][0]

    response = post_from_account(laptop, f"/account/sessions/{phone_row.id}/end")

    assert response.status_code == 302
    assert not logged_in(phone)
    assert logged_in(laptop)
    stolen = app.test_client()  # the phone's "Remember me" cookie, copied elsewhere
    stolen.set_cookie("remember_token", remembered.value)
    assert not logged_in(stolen)
    assert [row.device for row in logins() if row.ended_at is None] == ["Firefox on Windows"]


def test_someone_else_cannot_end_my_session(app, ctx):
    make_user("sokha", password=PASSWORD)
    make_user("dara", password=PASSWORD)
    mine, theirs = browser(app, FIREFOX), browser(app, IPHONE)
    log_in(mine)
    log_in(theirs, login="dara")
    my_row = logins()[0]

    post_from_account(theirs, f"/account/sessions/{my_row.id}/end")

    assert logged_in(mine)


def test_log_out_everywhere_else_ends_the_other_rows(app, ctx):
    make_user("sokha", password=PASSWORD)
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    log_in(laptop)
    log_in(phone)

    post_from_account(laptop, "/account/sessions/end-others")

    assert logged_in(laptop) and not logged_in(phone)
    assert [row.device for row in logins() if row.ended_at is None] == ["Firefox on Windows"]
    page = laptop.get("/account/").get_data(as_text=True)
    assert "Safari on iPhone" not in page


def test_changing_the_password_keeps_this_login_only(app, ctx):
    make_user("sokha", password=PASSWORD)
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    log_in(laptop)
    log_in(phone)
    token = csrf_token_from(laptop.get("/account/").get_data(as_text=True))

    laptop.post(
        "/account/password",
        data={
            "pw-csrf_token": token,
            "pw-current_password": PASSWORD,
            "pw-password": "a brand new password",
        },
    )

    assert logged_in(laptop) and not logged_in(phone)
    assert len([row for row in logins() if row.ended_at is None]) == 1


def test_last_seen_is_written_at_most_once_a_minute(app, count_queries, ctx):
    app.config["CLOCK"] = clock = FakeClock()
    make_user("sokha", password=PASSWORD)
    laptop = browser(app, FIREFOX)
    log_in(laptop)
    first = logins()[0].last_seen_at

    clock.advance(30)
    with count_queries() as counted:
        assert logged_in(laptop)
    assert logins()[0].last_seen_at == first
    assert not any(
        s.lstrip().upper().startswith("UPDATE login_sessions".upper()) for s in counted.statements
    )

    clock.advance(31)
    laptop.get("/admin/")
    assert (logins()[0].last_seen_at - first).total_seconds() == pytest.approx(61, abs=1)


def test_a_login_from_a_new_device_is_mailed(app, inbox, ctx):
    make_user("sokha", email="sokha@example.org", password=PASSWORD)
    log_in(browser(app, FIREFOX))  # the first login ever: nothing to compare with
    log_in(browser(app, FIREFOX))  # the same kind of device again
    deliver()
    assert inbox.messages == []

    log_in(browser(app, IPHONE, "192.0.2.44"))
    deliver()

    [mail] = inbox.to("sokha@example.org")
    assert mail["Subject"] == "A new login to your account"
    assert "Safari on iPhone" in text_of(mail) and "192.0.2.44" in text_of(mail)
    assert "http://localhost/account/" in text_of(mail)
