"""An admin logs in, uploads an image with a caption, writes a post that shows
it as a captioned figure, publishes it, and readers see it: with the mouse and
with the keyboard only (the file chooser opened with Space), at both widths."""

from __future__ import annotations

import re
import uuid

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.actors import ACTORS
from tests.browser.conftest import WIDTHS
from tests.browser.support import log_in, shoot

pytestmark = pytest.mark.browser


def make_png(path, label: str) -> None:
    """A real 640×360 PNG: a dusk-coloured gradient with a harbour line and a label."""
    image = Image.new("RGB", (640, 360))
    draw = ImageDraw.Draw(image)
    for y in range(360):
        draw.line([(0, y), (640, y)], fill=(30 + y // 3, 60 + y // 4, 120 + y // 5))
    draw.rectangle([(0, 260), (640, 360)], fill=(20, 40, 60))
    draw.text((20, 20), label, fill=(255, 255, 255))
    image.save(path, format="PNG")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_admin_publishes_a_post_with_an_uploaded_captioned_image(
    new_page, admin_credentials, artifacts, tmp_path, mode, width
):
    run = uuid.uuid4().hex[:6]
    image_path = tmp_path / f"harbour-{run}.png"
    make_png(image_path, f"harbour {run}")
    caption = f"Fishing boats at the harbour wall, {run}."
    title = f"Harbours Need Public Money Too ({mode} {width} {run})"
    tag = f"authoring-{mode}"

    page = new_page(width)
    act = ACTORS[mode](page)
    log_in(page, *admin_credentials, actor=act)
    shoot(page, artifacts, f"{tag}-dashboard")

    # Upload the image with its caption.
    page.goto("/admin/media/")
    act.choose_file("Image", image_path)
    act.fill("Alternative text", "Small boats moored along a harbour wall at dusk")
    act.fill("Caption", caption)
    act.fill("Credit", "Proof Photo Desk")
    act.submit(page.get_by_role("button", name="Upload"))
    expect(page.locator("main")).to_contain_text(image_path.name)
    shoot(page, artifacts, f"{tag}-media")

    # Write the post: the editor offers the image as a figure snippet to paste in.
    page.goto("/admin/posts/new")
    snippet = page.get_by_label(f"Snippet for {image_path.name}", exact=True).input_value()
    assert caption in snippet
    act.fill("Title", title)
    act.fill(
        "Content",
        "Ports built with public money serve every trader, not one.\n\n"
        + snippet
        + "\n\nA harbour is a public square that happens to float.",
    )
    act.select("Status", "Published")
    shoot(page, artifacts, f"{tag}-editor")
    act.submit(page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("link", name="View post")).to_be_visible()

    # Readers see it, figure and caption included.
    act.follow(page.get_by_role("link", name="View post"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    figure = page.locator(".entry-content figure")
    expect(figure.locator("figcaption")).to_contain_text(caption)
    image = figure.locator("img")
    expect(image).to_have_attribute("alt", "Small boats moored along a harbour wall at dusk")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0, "the uploaded image does not load"
    assert re.search(r"/uploads/", image.get_attribute("src"))
    shoot(page, artifacts, f"{tag}-published")

    reader = new_page(width)
    reader.goto("/")
    expect(reader.locator("main").get_by_role("link", name=title, exact=True)).to_be_visible()
