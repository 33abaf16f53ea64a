"""A reader browses the front page, a category, the Khmer op-ed, and searches:
with the mouse and with the keyboard only, on a 360 px phone and a 1280 px
desktop. Each page is photographed into test-artifacts/browser/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.actors import ACTORS
from tests.browser.conftest import WIDTHS
from tests.browser.support import focused_description, shoot

pytestmark = pytest.mark.browser

KHMER_TITLE = "ប្រជាធិបតេយ្យ និង\u200bសង្គម\u200bស៊ីវិល"
NEWEST_TITLE = "Why Local Elections Matter More Than We Admit"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_reader_browses_home_category_khmer_post_and_searches(new_page, artifacts, mode, width):
    page = new_page(width)
    act = ACTORS[mode](page)
    tag = f"reader-{mode}"

    page.goto("/")
    main = page.locator("main")
    expect(main.get_by_role("link", name=NEWEST_TITLE, exact=True)).to_be_visible()
    if mode == "keyboard":
        page.keyboard.press("Tab")
        assert focused_description(page) == "a Skip to content"
        expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    shoot(page, artifacts, f"{tag}-home")

    act.follow(page.get_by_role("navigation", name="Main").get_by_role("link", name="Politics"))
    expect(page).to_have_url(re.compile(r"/category/politics/$"))
    expect(main).to_contain_text("You are currently browsing the category Politics")

    sidebar = page.get_by_role("complementary", name="Browse")
    act.follow(sidebar.get_by_role("link", name="Cambodia", exact=True))
    expect(page).to_have_url(re.compile(r"/category/politics/asia/cambodia/$"))
    shoot(page, artifacts, f"{tag}-category")

    act.follow(main.get_by_role("link", name=KHMER_TITLE, exact=True))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(KHMER_TITLE)
    expect(page.locator("article.entry-single")).to_have_attribute("lang", "km")
    expect(page.locator(".entry-content")).to_contain_text("សង្គម​ស៊ីវិល")
    shoot(page, artifacts, f"{tag}-post-khmer")

    # The Khmer post speaks Khmer around it, its search form too, and keeps the
    # reader in Khmer: the answer is the Khmer listing.
    act.fill("ស្វែងរក", "សង្គម")
    act.submit(page.get_by_role("button", name="ស្វែងរក"))
    expect(page).to_have_url(re.compile(r"/\?s=.+&lang=km$"))
    expect(main.get_by_role("link", name=KHMER_TITLE, exact=True)).to_be_visible()

    page.goto("/")
    act.fill("Search", "flood pulse")
    act.submit(page.get_by_role("button", name="Search"))
    expect(page).to_have_url(re.compile(r"/\?s=flood\+pulse$"))
    expect(main.get_by_role("link", name="A River and Its People", exact=True)).to_be_visible()
    expect(main.get_by_role("link", name=NEWEST_TITLE, exact=True)).to_have_count(0)
    shoot(page, artifacts, f"{tag}-search")


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_fit_the_window_without_sideways_scrolling(new_page, width):
    page = new_page(width)
    for path in ("/", "/category/politics/", "/about/"):
        page.goto(path)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
