"""Real-browser fixtures: one gunicorn server on a loopback port for the whole
session, serving a fresh SQLite database with the demo content and an admin,
and Debian's Chromium driven by Playwright (never a downloaded browser).

Pages are photographed into ``test-artifacts/browser/`` so a person can look at
them; that folder is ignored by git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.servers import require
from tests.sites import ADMIN_LOGIN, ADMIN_PASSWORD, build_demo_database, start_demo_site

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (360, 1280)
# A fontconfig configuration with no Khmer font in it: only the fonts of the
# system's own configuration minus anything Khmer, so what the screenshots show
# is the site's self-hosted web font.
FONTCONFIG_WITHOUT_KHMER = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <selectfont><rejectfont>
    <pattern><patelt name="lang"><string>km</string></patelt></pattern>
    <glob>*Khmer*</glob><glob>*khmer*</glob><glob>*Khmeros*</glob>
  </rejectfont></selectfont>
</fontconfig>
"""


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """gunicorn serving the demo site; yields the server (``.url``, ``.port``)."""
    root = tmp_path_factory.mktemp("browser-site")
    database_url = f"sqlite:///{root / 'blogapp.sqlite'}"
    build_demo_database(database_url)
    server = start_demo_site(database_url, root, workers=2)
    server.database_url = database_url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_credentials() -> tuple[str, str]:
    return ADMIN_LOGIN, ADMIN_PASSWORD


@pytest.fixture(scope="session")
def chromium_env(tmp_path_factory) -> dict[str, str]:
    """Chromium's environment: fontconfig told to ignore any Khmer system font."""
    folder = tmp_path_factory.mktemp("fontconfig")
    config = folder / "fonts.conf"
    config.write_text(FONTCONFIG_WITHOUT_KHMER)
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


@pytest.fixture(scope="session")
def khmer_system_fonts(chromium_env) -> list[str]:
    """The Khmer fonts fontconfig offers Chromium (the Khmer test needs none)."""
    listing = subprocess.run(
        ["fc-list", ":lang=km", "family"],
        env=chromium_env,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in listing.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def browser(chromium_env):
    require("Chromium", Path(CHROMIUM).exists(), "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=chromium_env
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(width=1280)``: a page in a fresh browser context (its own cookies:
    a different visitor), at ``width`` CSS pixels, with ``base_url`` set."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            locale="en-GB",
            timezone_id="UTC",
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
