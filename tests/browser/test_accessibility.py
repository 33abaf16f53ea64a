"""axe-core (vendored, tests/browser/vendor/axe.min.js) on every kind of page a
reader or an editor uses, at both widths: no serious or critical violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WIDTHS
from tests.browser.support import assert_accessible, axe_violations, log_in, open_editor, shoot

pytestmark = pytest.mark.browser

KHMER_TITLE = "ប្រជាធិបតេយ្យ និង\u200bសង្គម\u200bស៊ីវិល"


def open_post(page) -> None:
    page.goto("/")
    link = page.locator("main").get_by_role("link", name="A River and Its People", exact=True)
    page.goto(link.get_attribute("href"))


def open_khmer_post(page) -> None:
    page.goto("/")
    link = page.locator("main").get_by_role("link", name=KHMER_TITLE, exact=True)
    page.goto(link.get_attribute("href"))


READER_PAGES = {
    "home": lambda page: page.goto("/"),
    "post": open_post,
    "post-khmer": open_khmer_post,
    "category": lambda page: page.goto("/category/politics/asia/"),
    "search": lambda page: page.goto("/?s=election"),
    "login": lambda page: page.goto("/login"),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(READER_PAGES))
def test_public_page_has_no_serious_accessibility_problems(new_page, artifacts, name, width):
    page = new_page(width)
    READER_PAGES[name](page)
    expect(page.locator("main")).to_be_visible()
    shoot(page, artifacts, f"a11y-{name}")
    assert_accessible(page, f"the {name} page at {width}px")


@pytest.mark.parametrize("width", WIDTHS)
def test_post_editor_has_no_serious_accessibility_problems(
    new_page, admin_credentials, artifacts, width
):
    page = new_page(width)
    log_in(page, *admin_credentials)
    open_editor(page)
    shoot(page, artifacts, "a11y-editor")
    assert_accessible(page, f"the post editor at {width}px")


@pytest.mark.parametrize("width", WIDTHS)
def test_moderation_screen_has_no_serious_accessibility_problems(
    new_page, admin_credentials, artifacts, width
):
    page = new_page(width)
    log_in(page, *admin_credentials)
    page.goto("/admin/comments")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shoot(page, artifacts, "a11y-moderation")
    assert_accessible(page, f"the moderation screen at {width}px")


def test_the_axe_check_catches_a_real_problem(new_page):
    """Guards the guard: an image without alternative text added to the page is
    reported as a critical violation, so a silent axe would not pass the tests above."""
    page = new_page(1280)
    page.goto("/")
    page.evaluate(
        """() => {
          const img = document.createElement('img');
          img.src = '/static/img/none.png';
          document.querySelector('main').append(img);
        }"""
    )
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("image-alt") == "critical", found
