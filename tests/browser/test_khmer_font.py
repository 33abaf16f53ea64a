"""The Khmer op-ed reads as Khmer on a machine with no Khmer font installed:
the self-hosted Noto Sans Khmer web font carries it.

Chromium runs with a fontconfig that rejects every Khmer system font, so the
only Khmer glyphs it can draw come from the site. The same heading drawn with
the web font's download blocked shows missing-glyph boxes ("tofu"), whose
widths and pixels differ from real Khmer glyphs."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from tests.browser.support import shoot

pytestmark = pytest.mark.browser

KHMER_TITLE = "ប្រជាធិបតេយ្យ និង\u200bសង្គម\u200bស៊ីវិល"

TEXT_WIDTH = """() => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector('h1.entry-title'));
  return range.getBoundingClientRect().width;
}"""


def open_khmer_post(page) -> None:
    page.goto("/")
    href = (
        page.locator("main").get_by_role("link", name=KHMER_TITLE, exact=True).get_attribute("href")
    )
    page.goto(href)
    expect(page.get_by_role("heading", level=1)).to_have_text(KHMER_TITLE)
    page.evaluate("() => document.fonts.ready.then(() => true)")


def heading_picture(page) -> Image.Image:
    return Image.open(io.BytesIO(page.locator("h1.entry-title").screenshot())).convert("L")


def test_khmer_post_shows_khmer_glyphs_without_a_khmer_system_font(
    new_page, khmer_system_fonts, artifacts
):
    assert khmer_system_fonts == [], "Chromium can see a Khmer system font: the test proves nothing"

    page = new_page(1280)
    open_khmer_post(page)
    faces = page.evaluate(
        """() => [...document.fonts]
             .filter(f => f.family.replace(/["']/g, '') === 'Noto Sans Khmer')
             .map(f => ({weight: f.weight, status: f.status}))"""
    )
    assert {"weight": "400", "status": "loaded"} in faces, faces
    with_font_width = page.evaluate(TEXT_WIDTH)
    with_font = heading_picture(page)
    shoot(page, artifacts, "khmer-post-web-font")

    blocked = new_page(1280)
    blocked.route("**/*.woff2*", lambda route: route.abort())
    open_khmer_post(blocked)
    blocked_faces = blocked.evaluate(
        """() => [...document.fonts]
             .filter(f => f.family.replace(/["']/g, '') === 'Noto Sans Khmer')
             .map(f => f.status)"""
    )
    assert "loaded" not in blocked_faces, blocked_faces
    tofu_width = blocked.evaluate(TEXT_WIDTH)
    tofu = heading_picture(blocked)
    shoot(blocked, artifacts, "khmer-post-font-blocked")

    assert abs(with_font_width - tofu_width) > 5, (with_font_width, tofu_width)
    if with_font.size == tofu.size:
        assert ImageChops.difference(with_font, tofu).getbbox() is not None
