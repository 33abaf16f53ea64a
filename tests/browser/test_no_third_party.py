"""No page makes a request to another origin (issue 19): Chromium opens every kind
of public page, fills in the comment form, logs in and opens the admin's Posts
screen and editor, while every request the page makes is recorded. The site has
an imported post whose image and link still point at its old host, a real server
on another port: it must get no request at all (the page's Content-Security-Policy
stops it inside the browser), and the Posts screen flags it."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from blogapp.link_previews import LANE
from blogapp.mail.worker import deliver_once
from tests.browser.support import log_in, shoot
from tests.servers import free_port
from tests.sites import build_demo_database, make_app, start_demo_site

pytestmark = pytest.mark.browser

OLD_POST_TITLE = "An Op-Ed Imported From the Old Site"
VIDEO_POST_TITLE = "A Speech Worth Watching"
VIDEO_ID = "dQw4w9WgXcQ"
CARD_POST_TITLE = "A Report Worth Reading"
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cf00000301010018dd8db00000000049454e44ae426082"
)


class OldHost(BaseHTTPRequestHandler):
    """The old WordPress host: counts what reaches it."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        OldHost.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(TINY_PNG)))
        self.end_headers()
        self.wfile.write(TINY_PNG)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def old_host():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), OldHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    OldHost.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _picture(size: tuple[int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def card_host():
    """Another site a post links alone on a line: its page (OpenGraph tags) and picture,
    and a video's still, all fetched once by the server, never by a reader's browser."""
    pages = {
        "/report": (
            "text/html",
            b'<html><head><meta property="og:title" content="The river report">'
            b'<meta property="og:description" content="What the dams changed.">'
            b'<meta property="og:image" content="/report.jpg"></head></html>',
        ),
        "/report.jpg": ("image/jpeg", _picture((1200, 630))),
        f"/vi/{VIDEO_ID}/hqdefault.jpg": ("image/jpeg", _picture((480, 360))),
    }
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            kind, body = pages.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, old_host, card_host):
    """The demo site plus one imported post pointing at ``old_host``, on gunicorn."""
    from blogapp.content import render_post
    from blogapp.extensions import db
    from blogapp.models import FORMAT_HTML, Post, PostStatus, utcnow

    root = tmp_path_factory.mktemp("third-party-site")
    database_url = f"sqlite:///{root / 'blogapp.sqlite'}"
    build_demo_database(database_url)
    app = make_app(database_url)
    with app.app_context():
        post = Post(
            title=OLD_POST_TITLE,
            slug="imported-from-the-old-site",
            content_format=FORMAT_HTML,
            status=PostStatus.PUBLISHED,
            published_at=utcnow(),
            excerpt="",
            body=(
                f'<p>The old picture:</p><p><img src="{old_host}/wp-content/uploads/'
                f'old.png" alt="An old picture"></p><p>And the <a href="{old_host}/'
                '2019/05/old-post/">old address</a>.</p>'
            ),
        )
        render_post(post)
        db.session.add(post)
        video = Post(
            title=VIDEO_POST_TITLE,
            slug="a-speech-on-video",
            status=PostStatus.PUBLISHED,
            published_at=utcnow(),
            excerpt="",
            body=f"The minister's speech:\n\nhttps://www.youtube.com/watch?v={VIDEO_ID}\n\n"
            "Watch it before you read on.",
        )
        render_post(video)
        db.session.add(video)
        card = Post(
            title=CARD_POST_TITLE,
            slug="a-report-worth-reading",
            status=PostStatus.PUBLISHED,
            published_at=utcnow(),
            excerpt="",
            body=f"Read this first:\n\n{card_host[0]}/report\n\nThen think.",
        )
        render_post(card)
        db.session.add(card)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    # The worker's pass: the card and the video's still are fetched and stored now.
    fetcher = make_app(
        database_url,
        FEDIVERSE_ALLOW_LOOPBACK=True,
        LINK_PREVIEW_STILL_BASE=card_host[0],
        UPLOAD_FOLDER=str(root / "instance" / "uploads"),
    )
    with fetcher.app_context():
        report = deliver_once(lane=LANE)
        assert report.errors == [] and report.sent == 2, report
        db.session.remove()
        db.engine.dispose()
    card_host[1].clear()
    server = start_demo_site(database_url, root, workers=1)
    yield server
    server.stop()


@pytest.fixture
def recorded(browser, site):
    """A page whose every request is recorded (URL), in a fresh context."""
    context = browser.new_context(
        base_url=site.url,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="UTC",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    requests: list[str] = []
    blocked: dict[str, str] = {}
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: blocked.__setitem__(request.url, request.failure))
    yield page, requests, blocked
    context.close()


def _elsewhere(requests: list[str], own: str) -> list[str]:
    origin = urlsplit(own)
    return [
        url
        for url in requests
        if not url.startswith(("data:", "about:", "blob:"))
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]


def _visit(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.mouse.wheel(0, 20_000)  # lazy images below the fold ask now, if they ever will
    page.wait_for_load_state("networkidle")


def test_no_page_requests_another_origin(recorded, site, old_host, admin_credentials, artifacts):
    page, requests, blocked = recorded
    for path in (
        "/",
        "/imported-from-the-old-site/",
        "/category/politics/",
        "/?s=water",
        "/privacy/",
        "/your-data/",
        "/login",
    ):
        _visit(page, path)
    page.goto("/")
    page.locator("main h2 a").first.click()  # the newest demo op-ed, with its comment form
    page.wait_for_load_state("networkidle")
    form = page.locator("form.comment-form, form#commentform").first
    expect(form).to_be_visible()
    form.get_by_label("Name").fill("Dara")
    form.get_by_label("Email").fill("dara@example.org")
    form.locator("textarea").fill("No one else should hear about this comment.")
    form.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    _visit(page, "/imported-from-the-old-site/")
    shoot(page, artifacts, "third-party-old-post")

    log_in(page, *admin_credentials)
    _visit(page, "/admin/posts/")
    flag = page.locator(".flag-remote")
    expect(flag).to_have_count(1)
    expect(flag).to_contain_text(urlsplit(old_host).netloc)
    shoot(page, artifacts, "third-party-admin-posts")
    page.get_by_role("link", name=OLD_POST_TITLE).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Title")).to_have_value(OLD_POST_TITLE)
    _visit(page, "/admin/posts/new")

    assert len(requests) > 20
    assert OldHost.hits == [], f"the old host was asked for {OldHost.hits}"
    # Chromium reports the old picture as a request the page's Content-Security-Policy
    # stopped before it left the browser ("csp"): the old host above saw none. Any
    # other request to another origin fails the test.
    elsewhere = _elsewhere(requests, site.url)
    assert {url: blocked.get(url) for url in elsewhere} == {
        f"{old_host}/wp-content/uploads/old.png": "csp"
    }


def test_a_video_loads_nothing_from_youtube_until_the_reader_presses_play(
    recorded, site, artifacts
):
    """Issue 32: a YouTube link alone on a line is our own still and a play button. The
    frame from youtube-nocookie.com is asked for only after the click (answered here by
    the test, so no request leaves the machine), and the CSP allows that origin only as
    a frame."""
    page, requests, blocked = recorded
    page.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<p>the video player</p>"
        ),
    )
    _visit(page, "/")
    page.get_by_role("link", name=VIDEO_POST_TITLE, exact=True).first.click()
    page.wait_for_load_state("networkidle")
    play = page.get_by_role("link", name="▶ YouTube video")
    expect(play).to_be_visible()
    expect(play.locator("img")).to_have_attribute("src", re.compile(r"^/uploads/"))  # its own
    assert _elsewhere(requests, site.url) == []
    shoot(page, artifacts, "third-party-video-still")

    play.click()
    frame = page.locator("iframe.video-frame")
    expect(frame).to_have_attribute(
        "src", f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}?autoplay=1"
    )
    expect(page.frame_locator("iframe.video-frame").locator("p")).to_have_text("the video player")
    assert _elsewhere(requests, site.url) == [
        f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}?autoplay=1"
    ]
    assert "www.youtube.com" not in " ".join(requests)  # never the tracking domain


def test_a_link_card_shows_our_copy_and_asks_the_other_site_nothing(
    recorded, site, card_host, artifacts
):
    """Issue 32: an address alone on a line is a card (title, description, picture)
    that the server fetched once; the reader's browser loads only our copy."""
    page, requests, _blocked = recorded
    origin, asked = card_host
    _visit(page, "/")
    page.get_by_role("link", name=CARD_POST_TITLE, exact=True).first.click()
    page.wait_for_load_state("networkidle")
    card = page.locator("figure.link-card a")
    expect(card).to_have_attribute("href", f"{origin}/report")
    expect(card.locator("strong")).to_have_text("The river report")
    expect(card.locator("img")).to_have_attribute("src", re.compile(r"^/uploads/"))
    assert card.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert _elsewhere(requests, site.url) == [] and asked == []
    shoot(page, artifacts, "third-party-link-card")
    page.set_viewport_size({"width": 360, "height": 800})  # a phone: the picture on top
    assert card.locator("img").evaluate("img => img.getBoundingClientRect().width") > 300
    shoot(page, artifacts, "third-party-link-card")
