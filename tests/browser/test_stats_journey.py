"""The Reading screen in a real browser, at 1280 and 360 CSS pixels: a log of the
last forty days, written for the demo posts (English and Khmer), is counted by
``flask stats ingest`` as the timer runs it; an admin opens the screen and sees both
charts drawn as SVG, the top posts in each language and the channels, with no
sideways scrolling on a phone and no serious accessibility problem. The 1280 and
360 pictures are the manual's (docs/operators/reading-counts.md)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PROJECT_ROOT, WIDTHS
from tests.browser.support import assert_accessible, log_in, shoot
from tests.sites import ADMIN_LOGIN, ADMIN_PASSWORD

pytestmark = pytest.mark.browser

AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
REFERRERS = [
    "-",
    "https://t.me/news/1",
    "https://www.google.com/",
    "-",
    "https://l.facebook.com/l.php?u=x",
    "https://mastodon.social/@a/1",
]


def demo_posts(database_url: str) -> list[tuple[str, str, str]]:
    """(path, language, title) of each published demo post."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
        rows = conn.execute(
            "SELECT slug, language, title, published_at FROM posts WHERE status = 'published'"
        ).fetchall()
    from urllib.parse import quote

    return [
        (f"/{published[:4]}/{published[5:7]}/{published[8:10]}/{quote(slug)}/", language, title)
        for slug, language, title, published in rows
    ]


def write_log(path, posts) -> None:
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with path.open("w") as out:
        for back in range(40, -1, -1):
            stamp = (today - timedelta(days=back)).isoformat()
            for n, (post_path, language, _title) in enumerate(posts):
                readers = (40 - back) % 9 + (n % 4) * 3 + (2 if language == "km" else 0)
                for reader in range(readers):
                    ref = "?ref=newsletter" if reader % 7 == 0 else ""
                    out.write(
                        f'{stamp} 200 GET "{post_path}{ref}" '
                        f'"{REFERRERS[reader % len(REFERRERS)]}" "{AGENT}" '
                        f"10.0.{n}.{reader}\n"
                    )


def test_the_reading_screen(new_page, live_server, artifacts, tmp_path):
    posts = demo_posts(live_server.database_url)
    assert {language for _p, language, _t in posts} >= {"en", "km"}
    log = tmp_path / "blogapp-stats.log"
    write_log(log, posts)
    counted = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "stats", "ingest", str(log)],
        env=live_server.env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert counted.returncode == 0, counted.stderr
    assert "0 not in the blogapp_stats format" in counted.stdout

    for width in sorted(WIDTHS, reverse=True):
        page = new_page(width=width)
        log_in(page, ADMIN_LOGIN, ADMIN_PASSWORD)
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Reading").click()
        expect(page.get_by_role("heading", name="Reading", level=1)).to_be_visible()
        expect(page.get_by_role("img", name="Views per day, last 30 days")).to_be_visible()
        expect(page.get_by_role("img", name="Views per day, last 365 days")).to_be_visible()
        expect(page.locator(".stats-chart polyline")).to_have_count(4)
        expect(page.get_by_text(str(log))).to_be_visible()
        for language, heading in (("en", "English"), ("km", "ខ្មែរ")):
            column = page.locator(f'section.stats-column[lang="{language}"]')
            expect(column.get_by_role("heading", name=heading)).to_be_visible()
            expect(column.locator("tbody tr").first).to_be_visible()
        channels = page.locator("table.stats-channels")
        for name in ("Newsletter", "Telegram", "Search engines", "Facebook", "Fediverse"):
            expect(channels.get_by_role("rowheader", name=name, exact=True)).to_be_visible()
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= width, f"the Reading screen scrolls sideways at {width}px ({wide}px)"
        assert_accessible(page, f"the Reading screen at {width}px")
        shoot(page, artifacts, "stats-reading")
