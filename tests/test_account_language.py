"""The admin in each writer's language: an account chooses English or Khmer for its admin
screens and for the mails it receives (moderation, password reset, new logins); without
a choice, the site's language. Readers' pages keep their own language."""

from __future__ import annotations

import re

from blogapp.auth.reset import send_reset_link
from blogapp.extensions import db
from tests.factories import make_post, make_user
from tests.helpers import csrf_token_from
from tests.helpers_mail import deliver, send_comment, text_of
from tests.test_login_sessions import FIREFOX, IPHONE, PASSWORD, browser, log_in

KHMER = re.compile(r"[\u1780-\u17ff]")


def html_lang(page: str) -> str:
    return re.search(r'<html[^>]*\blang="([^"]+)"', page).group(1)


def choose(client, language: str):
    page = client.get("/account/").get_data(as_text=True)
    return client.post(
        "/account/language",
        data={
            "lang-csrf_token": csrf_token_from(page),
            "lang-language": language,
        },
    )


def test_an_editor_who_chooses_khmer_gets_the_admin_in_khmer(app, client, login_as, ctx):
    login_as(make_user("sokha"))
    assert html_lang(client.get("/admin/").get_data(as_text=True)) == "en"

    answer = choose(client, "km")
    assert answer.status_code == 302
    account = client.get("/account/").get_data(as_text=True)
    assert html_lang(account) == "km"
    assert "រក្សាទុកភាសា" in account  # "Save Language"
    assert "ភាសារបស់អ្នកត្រូវបានរក្សាទុក" in account  # the flash, in the new language
    assert html_lang(client.get("/admin/").get_data(as_text=True)) == "km"
    assert html_lang(client.get("/admin/comments/settings").get_data(as_text=True)) == "km"
    # A reader's page is still the page's own language, whoever is logged in.
    post = make_post("Water rights", language="en")
    db.session.commit()
    assert (
        html_lang(client.get(f"/?p={post.id}", follow_redirects=True).get_data(as_text=True))
        == "en"
    )

    choose(client, "")  # back to the site's language
    assert html_lang(client.get("/admin/").get_data(as_text=True)) == "en"
    app.config["SITE_LANGUAGE"] = "km"
    assert html_lang(client.get("/admin/").get_data(as_text=True)) == "km"


def test_a_language_the_interface_is_not_written_in_is_refused(client, login_as, ctx):
    user = login_as(make_user("sokha"))
    answer = choose(client, "fr")
    assert answer.status_code == 400
    db.session.expire_all()
    assert user.interface_language is None


def test_the_login_page_speaks_the_site_language(app, client):
    assert html_lang(client.get("/login").get_data(as_text=True)) == "en"
    app.config["SITE_LANGUAGE"] = "km"
    assert html_lang(client.get("/login").get_data(as_text=True)) == "km"


def test_the_held_comment_mail_is_in_each_editors_language(app, client, inbox, ctx):
    app.config["COMMENT_NOTIFY_EMAILS"] = "sokha@example.org, dara@example.org, desk@example.org"
    make_user(
        "sokha", display_name="Sokha Chan", email="sokha@example.org", interface_language="km"
    )
    make_user("dara", email="dara@example.org")
    send_comment(client, make_post("Water rights"), "Dams upstream change everything.")
    deliver()

    [khmer] = inbox.to("sokha@example.org")
    [english] = inbox.to("dara@example.org")
    [desk] = inbox.to("desk@example.org")  # no account: the site's language
    assert "awaiting moderation" not in khmer["Subject"] and KHMER.search(khmer["Subject"])
    assert "Water rights" in khmer["Subject"]
    assert "រង់ចាំការត្រួតពិនិត្យ" in text_of(khmer)
    assert "/mail/moderate/" in text_of(khmer)
    assert "Dams upstream change everything." in text_of(khmer)  # the comment as written
    for mail in (english, desk):
        assert mail["Subject"].endswith("Comment awaiting moderation: Water rights")
        assert not KHMER.search(text_of(mail))


def test_reset_and_new_device_mails_are_in_the_accounts_language(app, inbox, ctx):
    make_user("sokha", email="sokha@example.org", password=PASSWORD, interface_language="km")
    make_user("dara", email="dara@example.org", password=PASSWORD)
    with app.test_request_context("/login/forgot"):
        send_reset_link("sokha@example.org")
        send_reset_link("dara@example.org")
        db.session.commit()
    for login in ("sokha", "dara"):
        log_in(browser(app, FIREFOX), login)
        log_in(browser(app, IPHONE), login)  # a device never used before
    deliver()

    khmer = inbox.to("sokha@example.org")
    english = inbox.to("dara@example.org")
    assert len(khmer) == len(english) == 2
    for mail in khmer:
        assert KHMER.search(mail["Subject"]) and KHMER.search(text_of(mail))
    assert "Safari on iPhone" in "".join(text_of(mail) for mail in khmer)
    assert {mail["Subject"] for mail in english} == {
        "Choose a new password",
        "A new login to your account",
    }
    for mail in english:
        assert not KHMER.search(text_of(mail))


def test_the_admin_in_khmer_shows_no_english_interface_word(app, client, login_as, ctx):
    """The visible text of the main admin screens, scanned as a Khmer reader's page is:
    names (the site's, the account's, a post's title) and technical names aside."""
    from flask import url_for

    from tests.test_interface_text import InterfaceText

    login_as(make_user("sokha", interface_language="km", role="admin"))
    make_post("Water rights")
    allowed = {
        "Op-Ed",
        "Notes",
        "sokha",
        "Water",
        "rights",
        "CSV",
        "JPEG",
        "PNG",
        "GIF",
        "WebP",
        "GPS",
        "MB",
        "JavaScript",
        "English",
        "Markdown",
        "HTML",
        "UTC",
        "category",
    }  # an address: /category/…/
    screens = (
        "admin.dashboard",
        "moderation.comments",
        "admin.posts",
        "auth.account",
        "admin.categories",
        "admin.tags",
        "admin.pages",
        "moderation.settings",
        "moderation.log",
        "admin.media",
    )
    with app.test_request_context():
        paths = [url_for(endpoint) for endpoint in screens]
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, path
        text = InterfaceText()
        text.feed(page.get_data(as_text=True))
        assert text.language == "km", path
        english = {
            word for piece in text.texts for word in re.findall(r"[A-Za-z][A-Za-z'-]+", piece)
        } - allowed
        assert not english, f"{path} shows English: {sorted(english)}"
