"""Sharing a post (issue 31), as a reader on a phone: the share links fit a 360 px
screen, are reached with the keyboard, and "Copy link" puts the post's address on the
clipboard and says so. The share cards social sites show, an English one and a
Khmer one, photographed for the manual as the browser shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.support import assert_focus_visible, shoot, tab_to
from tests.sites import make_app

pytestmark = pytest.mark.browser

KHMER_TITLE = "ប្រជាធិបតេយ្យ និង\u200bសង្គម\u200bស៊ីវិល"


@pytest.fixture(scope="module")
def cards_drawn(live_server):
    """The demo's cards, drawn by `flask cards draw` as an operator would after an import."""
    instance = Path(live_server.env["BLOGAPP_INSTANCE_PATH"])
    app = make_app(
        live_server.database_url, UPLOAD_FOLDER=str(instance / "uploads"), SITE_URL=live_server.url
    )
    result = app.test_cli_runner().invoke(args=["cards", "draw", "--jobs", "1"])
    assert result.exit_code == 0, result.output


def open_post(page, title: str) -> None:
    page.goto("/")
    page.locator("main").get_by_role("link", name=title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def card_of(page) -> str:
    return page.locator('meta[property="og:image"]').get_attribute("content")


def test_share_links_fit_a_phone_and_copy_link_works_from_the_tab_key(
    new_page, artifacts, cards_drawn
):
    page = new_page(360, 780)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    english = page.locator("main h2 a:not([lang=km])").first.inner_text()
    open_post(page, english)

    share = page.locator("section.share")
    links = share.get_by_role("link")
    expect(links).to_have_count(5)
    for n in range(5):  # inside the screen's width: nothing to scroll sideways for
        box = links.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    button = share.get_by_role("button", name="Copy link")
    expect(button).to_be_visible()  # our script showed it
    tab_to(page, button)
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(share.get_by_role("status")).to_have_text("Link copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator('link[rel="canonical"]').get_attribute("href")
    share.scroll_into_view_if_needed()
    shoot(page, artifacts, "share-links")


@pytest.mark.parametrize(("language", "shot"), [("en", "card-english"), ("km", "card-khmer")])
def test_the_cards_social_sites_show(new_page, artifacts, cards_drawn, language, shot):
    page = new_page(1200, 630)
    page.goto("/")
    if language == "km":
        open_post(page, KHMER_TITLE)
    else:
        page.locator("main h2 a:not([lang=km])").first.click()
    card = card_of(page)
    assert re.search(r"/uploads/cards/[0-9a-f]{32}\.png$", card), card
    page.goto(card)
    size = page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert size == [1200, 630]
    shoot(page, artifacts, shot)
