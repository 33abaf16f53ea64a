"""A Khmer reader's journey at 360 and 1280 px: the demo's Khmer op-ed, the comment form
sent back with errors, the `?lang=km` listing, a search and the 404 page show no English
interface word; the English front page shows no Khmer one. What a reader sees is read
from the browser (``innerText``), without content (posts, comments, names, categories)
and without parts marked in the other language. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in, shoot

pytestmark = pytest.mark.browser

KHMER_TITLE = "ប្រជាធិបតេយ្យ និង\u200bសង្គម\u200bស៊ីវិល"
# Brand and technical names written the same in every language.
# The services a post is shared to are named as they name themselves, in any language.
LATIN_ALLOWED = {"Op-Ed", "Notes", "RSS", "Atom", "Facebook", "Telegram", "X", "WhatsApp"}
# What the writers and readers wrote (not the interface), and parts in another language.
CONTENT = ", ".join(
    [
        ".entry-title",
        ".entry-content",
        ".entry-summary",
        ".entry-source",
        ".comment-content",
        ".comment-author",
        ".search-snippet",
        ".site-title",
        ".site-nav li + li",
        "#side-categories + ul a",
        "a[rel~='tag']",
        "a[href*='/author/']",
        "strong",
    ]
)
INTERFACE_TEXT = """(content) => {
  const lang = document.documentElement.lang;
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('script, style, ' + content).forEach(e => e.remove());
  copy.querySelectorAll('[lang]').forEach(e => { if (e.lang !== lang) e.remove(); });
  document.body.appendChild(copy);
  copy.style.display = 'block';
  const seen = copy.innerText;
  const attributes = [...copy.querySelectorAll('[aria-label], [placeholder]')]
    .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('placeholder') || ''));
  copy.remove();
  return seen + ' ' + attributes.join(' ');
}"""


def interface_text(page) -> str:
    return page.evaluate(INTERFACE_TEXT, CONTENT)


def english_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z][A-Za-z-]*", text) if w not in LATIN_ALLOWED]


def visit_khmer_pages(page, artifacts) -> dict[str, str]:
    seen = {}
    page.goto("/?lang=km")
    expect(page.locator("html")).to_have_attribute("lang", "km")
    seen["listing"] = interface_text(page)
    shoot(page, artifacts, "km-listing")

    href = page.locator("main").get_by_role("link", name=KHMER_TITLE, exact=True).first
    page.goto(href.get_attribute("href"))
    expect(page.locator("html")).to_have_attribute("lang", "km")
    seen["post"] = interface_text(page)
    shoot(page, artifacts, "km-post")

    # The browser's own checks would stop an empty form: the server's are the subject here.
    page.evaluate("() => { document.getElementById('commentform').noValidate = true; }")
    page.locator("#commentform button[name=submit]").click()
    expect(page.locator(".error").first).to_be_visible()
    seen["comment errors"] = interface_text(page)
    shoot(page, artifacts, "km-comment-errors")

    page.locator("#site-search").fill("ប្រជាធិបតេយ្យ")
    page.locator("#site-search").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "km")
    seen["search"] = interface_text(page)
    shoot(page, artifacts, "km-search")

    page.goto("/no/such/page/?lang=km")
    expect(page.locator("html")).to_have_attribute("lang", "km")
    seen["404"] = interface_text(page)
    shoot(page, artifacts, "km-404")
    return seen


@pytest.mark.parametrize("width", [360, 1280])
def test_a_khmer_reader_meets_no_english_interface_word(new_page, artifacts, width):
    page = new_page(width)
    for name, text in visit_khmer_pages(page, artifacts).items():
        assert re.search(r"[\u1780-\u17ff]", text), name
        assert english_words(text) == [], f"{name} at {width}px: {english_words(text)}"


@pytest.mark.parametrize("width", [360, 1280])
def test_an_english_reader_meets_no_khmer_interface_word(new_page, artifacts, width):
    page = new_page(width)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    text = interface_text(page)
    shoot(page, artifacts, "en-listing")
    assert "Posted on" in text
    assert not re.search(r"[\u1780-\u17ff]", text), text


@pytest.mark.parametrize("width", [360, 1280])
def test_an_editor_who_chooses_khmer_works_in_a_khmer_admin(
    new_page, artifacts, width, admin_credentials
):
    """The account's own language, chosen on /account/: the admin speaks it, readers'
    pages keep theirs. The shared admin account is put back to the site's language."""
    page = new_page(width)
    log_in(page, *admin_credentials)
    page.goto("/account/")
    page.get_by_label("Language of the admin and of your mails").select_option("km")
    page.get_by_role("button", name="Save Language").click()
    try:
        expect(page.locator("html")).to_have_attribute("lang", "km")
        page.goto("/admin/")
        expect(page.locator("html")).to_have_attribute("lang", "km")
        menu = page.locator(".admin-nav").inner_text()
        assert "អត្ថបទ" in menu and not re.search(r"[A-Za-z]", menu), menu
        shoot(page, artifacts, "km-admin-dashboard")
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "en")  # a reader's page
    finally:
        page.goto("/account/")
        page.locator("select[name='lang-language']").select_option("")
        page.locator("form[action$='/account/language'] button[type=submit]").click()
    page.goto("/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
