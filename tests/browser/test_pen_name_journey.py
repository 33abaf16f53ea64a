"""Issue 37's journey: an admin creates a pen-name profile tied to their own account
and a guest writer's profile with none, writes a post with both bylines, publishes
it, and follows both author pages and feeds; then nothing a reader or a crawler can
fetch (the post's HTML and JSON-LD, the author pages, the feeds, the sitemap) links
the pen name to the account."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.actors import Mouse
from tests.browser.support import log_in, path_of, shoot
from tests.sites import ADMIN_NAME

pytestmark = pytest.mark.browser


def _add_author(page, act, name: str, *, pen_name_of: str | None = None) -> None:
    page.goto("/admin/authors/new")
    act.fill("Name", name)
    act.fill("Short biography", f"{name} writes about rivers.")
    if pen_name_of:
        act.select("Account", pen_name_of)
        act.check("Pen name")
    act.submit(page.get_by_role("button", name="Save", exact=True))
    expect(page.locator("main")).to_contain_text(f"Author “{name}” saved.")


def test_a_post_by_a_pen_name_and_a_guest_shows_neither_account(
    new_page, admin_credentials, artifacts
):
    run = uuid.uuid4().hex[:6]
    login, password = admin_credentials
    pen, guest = f"Night Owl {run}", f"Mey Lin {run}"
    title = f"Rivers Belong to Everyone ({run})"
    page = new_page(1280)
    act = Mouse(page)
    log_in(page, login, password, actor=act)

    # 1. The pen name (the admin's own) and a guest writer with no account.
    _add_author(page, act, pen, pen_name_of=f"{login} ({ADMIN_NAME})")
    _add_author(page, act, guest)
    page.goto("/admin/authors/")
    expect(page.get_by_role("row", name=pen)).to_contain_text("Pen name")
    shoot(page, artifacts, "pen-name-authors")

    # 2-3. A post with both bylines, the guest first, published.
    page.goto("/admin/posts/new")
    act.fill("Title", title)
    act.fill("Content", "A river crosses borders; its water should too.")
    act.select("Byline 1", guest)
    act.select("Byline 2", f"{pen} (pen name)")
    act.select("Status", "Published")
    shoot(page, artifacts, "pen-name-editor")
    act.submit(page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("link", name="View post")).to_be_visible()

    # A reader (no cookies) sees "By guest and pen name".
    reader = new_page(1280)
    reader.goto(path_of(page.get_by_role("link", name="View post").get_attribute("href")))
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    expect(reader.locator(".entry-meta").first).to_contain_text(f"{guest} and {pen}")
    post_path = path_of(reader.url)
    ld = json.loads(reader.locator('script[type="application/ld+json"]').first.text_content())
    assert [p["name"] for p in ld["author"]] == [guest, pen]

    # 4. Both author pages and both feeds.
    fetched = {"post": reader.content()}
    for name in (guest, pen):
        reader.goto(post_path)
        reader.get_by_role("link", name=name, exact=True).first.click()
        expect(reader.locator(".author-profile")).to_contain_text(f"{name} writes about rivers.")
        expect(reader.locator("main")).to_contain_text(title)
        fetched[name] = reader.content()
        feed_link = reader.get_by_role("link", name="Follow this author by feed (RSS)")
        feed = reader.request.get(feed_link.get_attribute("href"))
        assert feed.ok and title in feed.text()
        fetched[f"{name} feed"] = feed.text()
    shoot(reader, artifacts, "pen-name-author-page")
    # The site's own lists also name the account's own posts (the other journeys publish
    # as it, on this shared site): what must not name it is this post's item and the
    # pen name's and guest's entries.
    mine = (title, post_path, *(name for name in (pen, guest)))
    for path in ("/feed/", "/feed/atom/", "/sitemap.xml"):
        response = reader.request.get(path)
        assert response.ok, path
        pieces = re.split(r"<item>|<entry>|<url>", response.text())
        ours = [piece for piece in pieces[1:] if any(m in piece for m in mine)]
        assert ours or path == "/sitemap.xml", f"{path} lists the post"
        fetched[path] = "".join(ours)

    # 5. Nothing public ties the pen name to the account.
    for what, text in fetched.items():
        for secret in (login, ADMIN_NAME, f"{login}@example.org", "pen name", "Pen name"):
            assert secret not in text, f"{what} shows {secret!r}"
