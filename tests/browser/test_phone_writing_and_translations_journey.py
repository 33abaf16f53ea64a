"""The editor's desk in a real browser (issue 16): a writer on a phone writes, previews
and publishes without the page scrolling sideways, and adds a correction; an editor
links an English op-ed with its Khmer version and readers switch between them, on a
phone and on a desktop."""

from __future__ import annotations

import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import WIDTHS
from tests.browser.support import log_in, shoot

pytestmark = pytest.mark.browser

# What sticks out past the window, for the failure message.
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 8).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' '
                   + Math.round(e.getBoundingClientRect().right))"""


def assert_no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{what} is {width} px wide at {viewport} px: " + ", ".join(
        page.evaluate(WIDE_ELEMENTS)
    )


def test_a_writer_writes_previews_publishes_and_corrects_from_a_phone(
    new_page, admin_credentials, artifacts, tmp_path
):
    run = uuid.uuid4().hex[:6]
    photo = tmp_path / f"market-{run}.jpg"
    Image.new("RGB", (1200, 800), (200, 120, 40)).save(photo, "JPEG")
    page = new_page(360, 740)
    log_in(page, *admin_credentials)
    page.goto("/admin/media/")
    page.get_by_label("Image", exact=True).set_input_files(str(photo))
    page.get_by_label("Caption").fill(f"Lanterns over the stalls {run}")
    page.get_by_label("Credit").fill("Night Desk")
    page.get_by_role("button", name="Upload").click()
    page.goto("/admin/posts/new")
    assert_no_sideways_scroll(page, "the new-post editor")
    shoot(page, artifacts, "desk-editor-new")

    title = f"Notes From the Night Market {run}"
    page.get_by_label("Title", exact=True).fill(title)
    body = page.get_by_label("Content", exact=True)
    body.fill("Stalls open at dusk.[^1]\n\n[^1]: Counted on a Tuesday.\n")
    # The picker puts an image's figure, caption and credit where the cursor is.
    body.evaluate("t => t.setSelectionRange(t.value.indexOf('[^1]:'), t.value.indexOf('[^1]:'))")
    page.get_by_role("button", name="Insert at cursor").first.click()
    value = body.input_value()
    assert value.startswith('Stalls open at dusk.[^1]\n\n<figure><img src="/uploads/')
    assert f"Lanterns over the stalls {run} — Image Credit: Night Desk" in value
    assert value.index("</figure>") < value.index("[^1]: Counted")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".entry-content sup.footnote-ref")).to_have_count(1)
    image = page.locator(".entry-content figure img")
    expect(image).to_have_attribute("srcset", re.compile(r"-thumb\.jpg 400w, .+ 1200w$"))
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert "-thumb.jpg" in image.evaluate("i => i.currentSrc"), "a phone loads the small copy"
    assert_no_sideways_scroll(page, "the preview")
    shoot(page, artifacts, "desk-preview")
    page.get_by_role("button", name="Back to editing").click()
    expect(page.get_by_label("Content", exact=True)).to_have_value(re.compile(r"Counted on a"))
    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("link", name="View post")).to_be_visible()
    assert_no_sideways_scroll(page, "the editor of a published post, with its desk")

    page.get_by_label("Note", exact=True).fill("An earlier version said the stalls open at noon.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".notice")).to_contain_text("Note added")
    assert_no_sideways_scroll(page, "the editor after adding a note")
    shoot(page, artifacts, "desk-editor-published")

    page.get_by_role("link", name="View post").click()
    expect(page.locator(".entry-notes")).to_contain_text("said the stalls open at noon")
    assert_no_sideways_scroll(page, "the corrected post")
    shoot(page, artifacts, "desk-corrected-post")


def _link_demo_translation(page) -> tuple[str, str]:
    """Link an English demo post with the Khmer one through the editor, once; return the
    two public URLs."""
    khmer_edit = english_edit = None
    # Page by page: the other journeys on this shared site publish posts of their own.
    for number in range(1, 11):
        page.goto(f"/admin/posts/?status=published&page={number}")
        rows = page.locator("table.admin-table tbody tr")
        if not rows.count() or (khmer_edit and english_edit):
            break
        for i in range(rows.count()):
            row = rows.nth(i)
            link = row.locator("a[href$='/edit']").first
            if not link.count():
                continue
            href = link.get_attribute("href")
            if re.search(r"[\u1780-\u17ff]", row.inner_text()) and khmer_edit is None:
                khmer_edit = href
            elif english_edit is None and "Published" in row.inner_text():
                english_edit = href
    assert khmer_edit and english_edit, "the demo site has an English and a Khmer post"
    page.goto(english_edit)
    if not page.locator(".desk-translations").count():
        khmer_id = re.search(r"/posts/(\d+)/edit", khmer_edit).group(1)
        page.locator("#translation-other").select_option(khmer_id)
        page.get_by_role("button", name="Link", exact=True).click()
        expect(page.locator(".desk-translations li")).to_have_count(2)
    english_url = page.get_by_role("link", name="View post").get_attribute("href")
    page.goto(khmer_edit)
    khmer_url = page.get_by_role("link", name="View post").get_attribute("href")
    return english_url, khmer_url


@pytest.mark.parametrize("width", WIDTHS)
def test_readers_switch_between_the_english_and_khmer_versions(
    new_page, admin_credentials, artifacts, width
):
    editor = new_page(1280)
    log_in(editor, *admin_credentials)
    english_url, khmer_url = _link_demo_translation(editor)

    page = new_page(width)  # a reader: no session
    page.goto(english_url)
    # The post's versions, named in the page's language ("ភាសា" on the Khmer one).
    switch = page.get_by_role("navigation", name="Languages", exact=True)
    expect(switch).to_be_visible()
    khmer_link = switch.get_by_role("link", name="ខ្មែរ")
    expect(khmer_link).to_have_attribute("lang", "km")
    expect(switch.locator("[aria-current]")).to_have_text("English")
    box = khmer_link.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24, "a tap target a thumb can hit"
    assert_no_sideways_scroll(page, "the English version")
    shoot(page, artifacts, "language-switch-english")

    khmer_link.click()
    page.wait_for_url(re.compile(re.escape(khmer_url.split("//", 1)[-1].split("/", 1)[-1])))
    expect(page.locator("article.entry-single")).to_have_attribute("lang", "km")
    back = page.get_by_role("navigation", name="ភាសា", exact=True).get_by_role(
        "link", name="English"
    )
    expect(back).to_be_visible()
    hreflangs = page.locator("link[rel=alternate][hreflang]")
    assert sorted(hreflangs.evaluate_all("ls => ls.map(l => l.hreflang)")) == [
        "en",
        "km",
        "x-default",
    ]
    assert_no_sideways_scroll(page, "the Khmer version")
    shoot(page, artifacts, "language-switch-khmer")
    back.click()
    expect(
        page.get_by_role("navigation", name="Languages", exact=True).locator("[aria-current]")
    ).to_have_text("English")
