"""The editor's desk in a real browser (Chromium against gunicorn): an autosave
that survives closing the tab, two editors whose saves conflict, and a share-preview
link opened by someone who is not logged in."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.support import assert_accessible, log_in, path_of, shoot

pytestmark = pytest.mark.browser


def write_draft(page, title: str, body: str) -> str:
    """Save a new draft through the editor; the path of its edit page."""
    page.goto("/admin/posts/new")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Content", exact=True).fill(body)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("main")).to_contain_text("Post saved (draft)")
    return path_of(page.url)


def test_an_autosave_survives_closing_the_tab_and_is_offered_on_reopening(
    browser, new_page, admin_credentials, artifacts
):
    run = uuid.uuid4().hex[:6]
    page = new_page(1280)
    log_in(page, *admin_credentials)
    edit_path = write_draft(page, f"An evening's draft {run}", "The first paragraph.")
    page.reload()
    expect(page.locator("#autosave-status")).to_be_hidden()  # the script runs, quietly

    unsaved = f"The first paragraph.\n\nA second one, never saved by hand ({run})."
    page.get_by_label("Content", exact=True).fill(unsaved)
    context = page.context
    page.close()  # the tab goes away: the script sends the text as it leaves

    reopened = context.new_page()
    deadline = time.monotonic() + 10
    while True:
        reopened.goto(edit_path)
        if reopened.locator("#autosave-offer").count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    offer = reopened.locator("#autosave-offer")
    expect(offer).to_contain_text("newer than its last save")
    assert reopened.get_by_label("Content", exact=True).input_value() == "The first paragraph."
    shoot(reopened, artifacts, "desk-autosave-offer")
    assert_accessible(reopened, "the editor offering an autosave, with its revisions")

    offer.get_by_role("link", name="Restore the autosave into the editor").click()
    expect(reopened.get_by_label("Content", exact=True)).to_have_value(unsaved)
    reopened.get_by_role("button", name="Save", exact=True).click()
    expect(reopened.locator("main")).to_contain_text("Post saved (draft)")
    expect(reopened.get_by_label("Content", exact=True)).to_have_value(unsaved)
    expect(reopened.locator("#autosave-offer")).to_have_count(0)
    expect(reopened.locator("#revisions tbody tr")).to_have_count(2)
    shoot(reopened, artifacts, "desk-revisions")


def test_two_editors_saving_the_same_post_lose_nothing(new_page, admin_credentials, artifacts):
    run = uuid.uuid4().hex[:6]
    first = new_page(1280)  # two browser contexts: two editors' sessions
    second = new_page(1280)
    log_in(first, *admin_credentials)
    log_in(second, *admin_credentials)
    edit_path = write_draft(first, f"Two hands on one op-ed {run}", "Opening line.\nClosing line.")
    second.goto(edit_path)
    first.reload()

    second.get_by_label("Content", exact=True).fill("Opening line.\nClosing line, amended.")
    second.get_by_role("button", name="Save", exact=True).click()
    expect(second.locator("main")).to_contain_text("Post saved (draft)")

    mine = "A sharper opening line.\nClosing line."
    first.get_by_label("Content", exact=True).fill(mine)
    with first.expect_response(lambda r: r.request.method == "POST") as answer:
        first.get_by_role("button", name="Save", exact=True).click()
    assert answer.value.status == 409

    conflict = first.locator("#conflict")
    expect(conflict).to_contain_text("Not saved")
    expect(conflict.locator(".diff-lines ins")).to_have_text(", amended")
    expect(first.get_by_label("Content", exact=True)).to_have_value(mine)  # nothing lost
    shoot(first, artifacts, "desk-conflict")
    assert_accessible(first, "the editor after a refused save")

    merged = "A sharper opening line.\nClosing line, amended."
    first.get_by_label("Content", exact=True).fill(merged)
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator("main")).to_contain_text("Post saved (draft)")
    second.reload()
    expect(second.get_by_label("Content", exact=True)).to_have_value(merged)


def test_a_share_preview_link_opens_for_a_reader_without_a_login(
    new_page, admin_credentials, artifacts
):
    run = uuid.uuid4().hex[:6]
    title = f"Embargoed analysis {run}"
    editor = new_page(1280)
    log_in(editor, *admin_credentials)
    write_draft(editor, title, "Numbers nobody has seen yet.")
    editor.get_by_role("button", name="Make a share-preview link").click()
    link = editor.locator("#share-link").input_value()
    assert re.search(r"/preview/[\w.-]+$", link), link
    shoot(editor, artifacts, "desk-share-link")

    reader = new_page(360)  # a second browser context: no session, no cookies
    response = reader.goto(path_of(link))
    assert response.status == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert "noindex" in response.headers["x-robots-tag"]
    expect(reader.get_by_role("heading", name=title)).to_be_visible()
    expect(reader.locator(".preview-bar")).to_contain_text("not published yet")
    assert reader.context.cookies() == []
    shoot(reader, artifacts, "desk-share-preview")
    assert_accessible(reader, "a share-preview page")

    editor.get_by_role("button", name="Revoke the link").click()
    expect(editor.locator("main")).to_contain_text("Share-preview link revoked")
    assert reader.goto(path_of(link)).status == 404


def test_a_new_post_whose_tab_is_closed_is_kept_as_a_draft(new_page, admin_credentials):
    run = uuid.uuid4().hex[:6]
    page = new_page(1280)
    log_in(page, *admin_credentials)
    page.goto("/admin/posts/new")
    page.get_by_label("Title", exact=True).fill(f"Never saved by hand {run}")
    page.get_by_label("Content", exact=True).fill("Written, then the laptop lid closed.")
    context = page.context
    page.close()

    listing = context.new_page()
    deadline = time.monotonic() + 10
    while True:
        listing.goto(f"/admin/posts/?status=draft&q={run}")
        found = listing.get_by_role("link", name=f"Never saved by hand {run}")
        if found.count() or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    found.first.click()
    expect(listing.get_by_label("Content", exact=True)).to_have_value(
        "Written, then the laptop lid closed."
    )
