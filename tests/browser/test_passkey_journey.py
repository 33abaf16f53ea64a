"""A writer adds a passkey on /account/ and logs in with it, in Chromium with its
virtual authenticator (the DevTools WebAuthn domain): the page's script, the
browser's ceremony and the server's verification together. WebAuthn refuses IP
addresses as the relying party, so this site is served as http://localhost:PORT."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import shoot
from tests.sites import ADMIN_LOGIN, ADMIN_PASSWORD, build_demo_database, start_demo_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def localhost_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("passkey-site")
    database_url = f"sqlite:///{root / 'blogapp.sqlite'}"
    build_demo_database(database_url)
    server = start_demo_site(database_url, root, workers=1, host="localhost")
    yield f"http://localhost:{server.port}"
    server.stop()


def _log_in_with_password(page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log In").click()


def test_a_writer_adds_a_passkey_and_logs_in_with_it(browser, localhost_site, artifacts):
    context = browser.new_context(base_url=localhost_site, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    try:
        _log_in_with_password(page)
        expect(page).to_have_url(re.compile(r"/admin/$"))
        page.goto("/account/")
        adding = page.locator("#passkey-add")
        adding.get_by_label("Current password").fill(ADMIN_PASSWORD)
        adding.get_by_label("A name for it").fill("Virtual key")
        adding.get_by_role("button", name="Add a Passkey").click()
        expect(page.locator("main")).to_contain_text("Passkey added")
        expect(page.locator("ul.passkeys")).to_contain_text("Virtual key")
        shoot(page, artifacts, "passkey-account")

        page.locator("form[action='/logout'] button").first.click()
        _log_in_with_password(page)
        expect(page).to_have_url(re.compile(r"/login/code$"))
        page.get_by_role("button", name="Use a Passkey").click()
        expect(page).to_have_url(re.compile(r"/admin/$"))
        expect(page.locator("main")).to_contain_text("Dashboard")
    finally:
        context.close()
