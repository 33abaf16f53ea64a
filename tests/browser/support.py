"""What the browser journeys share: screenshots, axe-core checks, keyboard moves."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

AXE_PATH = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
MAX_TABS = 150

# The manual's screenshots (docs/screenshots/), by the journey's shot that makes each.
# `make screenshots` runs those journeys with BLOGAPP_DOCS_SCREENSHOTS naming that folder,
# and shoot() copies these shots there: the manual's pictures are never made by hand.
DOCS_SHOTS = {
    "third-party-link-card": "writers-desk-link-card",
    "reader-mouse-home": "home",
    "pen-name-authors": "pen-name-authors",
    "authoring-mouse-editor": "editor",
    "desk-editor-new": "editor-new",
    "desk-autosave-offer": "desk-autosave-offer",
    "desk-conflict": "desk-conflict",
    "desk-share-preview": "desk-share-preview",
    "desk-corrected-post": "corrected-post",
    "language-switch-khmer": "language-switch",
    "km-post": "khmer-post",
    "km-comment-errors": "khmer-comment-errors",
    "km-admin-dashboard": "khmer-admin",
    "comments-mouse-moderation-queue": "moderation-queue",
    "mail-moderate": "mail-moderate",
    "share-links": "share-links",
    "card-english": "card-english",
    "card-khmer": "card-khmer",
    "stats-reading": "reading-counts",
    "desk-toolbar": "writers-desk-toolbar",
    "desk-paste": "writers-desk-paste",
    "desk-image-alt": "writers-desk-image-alt",
    "desk-preview": "writers-desk-preview",
    "desk-published": "writers-desk-published",
    "desk-khmer": "writers-desk-khmer",
}


def shoot(page, artifacts: Path, name: str) -> Path:
    """A full-page screenshot named after the page and the window width."""
    width = page.viewport_size["width"]
    path = artifacts / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    docs_folder = os.environ.get("BLOGAPP_DOCS_SCREENSHOTS")
    if docs_folder and name in DOCS_SHOTS:
        shutil.copyfile(path, Path(docs_folder) / f"{DOCS_SHOTS[name]}-{width}.png")
    return path


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the current page (all rules axe enables by
    default: WCAG 2.x A and AA plus best practices).

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern, so the page is tested as served."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
          }));
        }"""
    )


def assert_accessible(page, what: str) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in blocking
    )
    assert not blocking, f"axe-core found serious or critical problems on {what}:\n{report}"


def focused_description(page) -> str:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return '(body)';
          const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
          return `${el.tagName.toLowerCase()} ${label || el.innerText || el.value || ''}`.trim();
        }"""
    )


def tab_to(page, locator, *, backwards: bool = False, max_tabs: int = MAX_TABS) -> int:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, as a keyboard
    user does; fail if it never gets it. Returns the number of presses."""
    key = "Shift+Tab" if backwards else "Tab"
    target = locator.element_handle()
    is_focused = "el => el === document.activeElement"
    if page.evaluate(is_focused, target):  # e.g. an autofocus field
        return 0
    for presses in range(1, max_tabs + 1):
        page.keyboard.press(key)
        if page.evaluate(is_focused, target):
            assert_focus_visible(page)
            return presses
    raise AssertionError(
        f"{locator} never took the keyboard focus in {max_tabs} presses of {key}; "
        f"focus ended on {focused_description(page)!r}"
    )


def assert_focus_visible(page) -> None:
    """The focused element shows where the focus is (an outline or a ring)."""
    style = page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement);
          return {outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow};
        }"""
    )
    visible = (style["outline"] != "none" and style["width"] != "0px") or style["shadow"] != "none"
    assert visible, f"no visible focus indicator on {focused_description(page)!r}: {style}"


def tab_to_field(page, label: str) -> None:
    """Tab to the form field labelled ``label`` (exact text)."""
    tab_to(page, page.get_by_label(label, exact=True))


def tab_and_type(page, label: str, text: str) -> None:
    tab_to_field(page, label)
    page.keyboard.type(text)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def log_in(page, login: str, password: str, actor=None) -> None:
    """Log in through the real form (issue 3: /login, "Username", "Password", "Log In")."""
    from tests.browser.actors import Mouse

    act = actor or Mouse(page)
    page.goto("/login")
    act.fill("Username", login)
    act.fill("Password", password)
    act.check("Remember me")
    act.submit(page.get_by_role("button", name="Log In"))
    assert path_of(page.url).startswith("/admin/"), f"login ended on {page.url}"


EDITOR_PATH = "/admin/posts/new"


def open_editor(page) -> None:
    """The post editor for a new post."""
    page.goto(EDITOR_PATH)
    assert page.get_by_label("Title", exact=True).count() == 1, f"no editor at {page.url}"
