"""Link cards and video stills (issue 32): an address alone on a line is fetched once,
by the worker after the save commits, from a real local HTTP server through the
SSRF-safe client; the card and its picture are stored on our side, and the post page
shows them with nothing loaded from the other origin. A refused, missing, oversized or
non-HTML address leaves a plain link and never a 500."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.link_previews import LANE
from blogapp.mail.worker import deliver_once
from blogapp.models import LinkPreview, Media, OutboxMessage, PreviewStatus
from tests.connect_proxy import ConnectProxy
from tests.factories import make_page, make_post
from tests.helpers import url_of
from tests.servers import free_port

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
VIDEO = "dQw4w9WgXcQ"
ARTICLE = """<!doctype html><html><head><meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:title" content="Dams on the Mekong &amp; the fish <b>that</b> vanish">
<meta property="og:description" content="<script>alert(1)</script>What the river keeps.">
<meta property="og:site_name" content="River Watch">
<meta property="og:image" content="/pic.png">
</head><body><p>Text.</p></body></html>"""
PLAIN_PAGE = """<html><head><title>Only a title</title>
<meta name="description" content="Said plainly."></head><body></body></html>"""


def picture(kind: str = "PNG", size=(800, 420)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, kind)
    return out.getvalue()


class OtherSite:
    """A site on another origin: what it serves, and every path it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.clients: list[str] = []  # the address each request came from
        self.pages = {
            "/article": ("text/html; charset=utf-8", ARTICLE.encode()),
            "/plain": ("text/html", PLAIN_PAGE.encode()),
            "/pic.png": ("image/png", picture()),
            "/data.json": ("application/json", b'{"title": "no"}'),
            "/big": ("text/html", b"<html><title>big</title>" + b" " * 200_000),
            f"/vi/{VIDEO}/hqdefault.jpg": ("image/jpeg", picture("JPEG", (480, 360))),
            "/moved": ("redirect", b"/article"),
            "/khmer": ("text/html", "<title>សិទ្ធិ\u200bទឹក</title>".encode()),
        }

    def __enter__(self) -> OtherSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.asked.append(self.path)
                site.clients.append(self.client_address[0])
                kind, body = site.pages.get(self.path, ("text/html", b""))
                if kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", body.decode())
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200 if self.path in site.pages else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def other():
    with OtherSite() as site:
        yield site


@pytest.fixture
def app_config(other):
    return {
        "FEDIVERSE_ALLOW_LOOPBACK": True,
        "FEDIVERSE_MAX_RESPONSE_BYTES": 100_000,
        "LINK_PREVIEW_STILL_BASE": other.origin,
    }


def fetch_cards():
    db.session.commit()
    report = deliver_once(lane=LANE)
    assert report.errors == [], report.errors
    return report


def page_of(client, post) -> str:
    db.session.expire_all()
    answer = client.get(url_of(post))
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def loads_from(html: str, origin: str) -> list[str]:
    """Addresses on the other origin that a browser would load (not links it may follow)."""
    return re.findall(rf'(?:src|srcset|poster|data)="[^"]*{re.escape(origin)}[^"]*"', html)


def test_an_address_alone_on_a_line_becomes_a_card_stored_on_our_side(client, ctx, other):
    url = f"{other.origin}/article"
    post = make_post("Rivers", f"Before.\n\n{url}\n\nAfter, with {url} inline.")

    # The save fetched nothing: the page shows a plain link until the card is stored.
    assert other.asked == []
    html = page_of(client, post)
    assert f'<a href="{url}"' in html and "link-card" not in html
    assert db.session.scalar(select(OutboxMessage.kind)) == "link-preview"

    assert fetch_cards().sent == 1
    assert other.asked == ["/article", "/pic.png"]
    preview = db.session.scalar(select(LinkPreview))
    assert preview.status == PreviewStatus.CARD and preview.url == url
    media = db.session.get(Media, preview.media_id)
    assert media.source_url == f"{other.origin}/pic.png" and media.width == 800
    assert media.thumb_filename != media.filename  # resized as an upload is

    asked_before = list(other.asked)
    html = page_of(client, post)
    card = re.search(r'<figure class="link-card">.*?</figure>', html, re.S).group(0)
    assert f'<a href="{url}"' in card
    assert f'src="/uploads/{media.filename}"' in card
    assert "Dams on the Mekong &amp; the fish &lt;b&gt;that&lt;/b&gt; vanish" in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;What the river keeps." in card
    assert "<script>alert" not in html and "River Watch" in card
    assert loads_from(html, other.origin) == []
    assert other.asked == asked_before  # the page view asked the other site nothing
    assert "After, with" in html and html.count("link-card") == 1  # inline stays a link

    # Another post with the same address: fetched once, its card shown from the start.
    second = make_post("Again", url)
    assert fetch_cards().claimed == 0
    assert other.asked == asked_before
    assert "link-card" in page_of(client, second)


def test_a_title_and_description_without_a_picture_still_make_a_card(client, ctx, other):
    post = make_post("Plain", f"{other.origin}/plain")
    fetch_cards()
    html = page_of(client, post)
    assert "<strong>Only a title</strong><span>Said plainly.</span>" in html
    assert "<img" not in re.search(r'<figure class="link-card">.*?</figure>', html).group(0)


def test_a_redirect_is_followed_through_the_same_checks(client, ctx, other):
    post = make_post("Moved", f"{other.origin}/moved")
    fetch_cards()
    assert other.asked[:2] == ["/moved", "/article"]
    assert "Dams on the Mekong" in page_of(client, post)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/missing", "answered 404"),
        ("/data.json", "application/json"),
        ("/big", "more than 100000 bytes"),
    ],
)
def test_an_address_with_nothing_to_show_stays_a_plain_link(client, ctx, other, path, why):
    url = f"{other.origin}{path}"
    post = make_post("Nothing", f"Read:\n\n{url}\n")
    assert fetch_cards().sent == 1  # no retry: the answer will not change
    preview = db.session.scalar(select(LinkPreview))
    assert preview.status == PreviewStatus.PLAIN and why in preview.error
    html = page_of(client, post)
    assert f'<p><a href="{url}"' in html and "link-card" not in html
    assert fetch_cards().claimed == 0


@pytest.fixture
def loopback_refused(app, other):
    app.config["FEDIVERSE_ALLOW_LOOPBACK"] = False


def test_a_private_address_is_refused_and_never_asked(client, ctx, other, loopback_refused):
    post = make_post("Inside", f"{other.origin}/article")
    fetch_cards()
    assert other.asked == []
    preview = db.session.scalar(select(LinkPreview))
    assert preview.status == PreviewStatus.PLAIN and "non-public address" in preview.error
    assert "link-card" not in page_of(client, post)


def test_a_video_gets_its_own_still_fetched_once_and_stored(client, ctx, other):
    post = make_post("Watch", f"Intro.\n\nhttps://www.youtube.com/watch?v={VIDEO}\n")
    html = page_of(client, post)
    assert 'src="/static/img/video-still.svg"' in html  # the generic still until then
    assert "/js/embeds.js" in html

    fetch_cards()
    assert other.asked == [f"/vi/{VIDEO}/hqdefault.jpg"]
    preview = db.session.scalar(select(LinkPreview))
    media = db.session.get(Media, preview.media_id)
    html = page_of(client, post)
    figure = re.search(r'<figure class="video-embed">.*?</figure>', html).group(0)
    assert f'href="https://www.youtube.com/watch?v={VIDEO}"' in figure
    assert f'src="/uploads/{media.filename}"' in figure and "video-still.svg" not in figure
    assert "/js/embeds.js" in html  # click to load, as before
    assert "ytimg" not in html and "<iframe" not in html


def test_a_video_without_a_still_keeps_the_generic_one(client, ctx, other):
    post = make_post("Watch", "https://youtu.be/aaaaaaaaaaa")
    fetch_cards()
    assert other.asked == ["/vi/aaaaaaaaaaa/hqdefault.jpg"]  # 404 there
    assert 'src="/static/img/video-still.svg"' in page_of(client, post)


def test_wordpress_embeds_in_html_posts_take_the_same_path(client, ctx, other):
    url = f"{other.origin}/article"
    post = make_post(
        "Imported", f"<p>One.</p>\n[embed]{url}[/embed]\n<p>Two.</p>", content_format="html"
    )
    fetch_cards()
    html = page_of(client, post)
    assert "[embed]" not in html and '<figure class="link-card">' in html


def test_the_fetches_go_through_the_outgoing_proxy(app, client, ctx, other):
    with ConnectProxy() as proxy:
        app.config["OUTGOING_PROXY"] = proxy.url
        post = make_post("Proxied", f"{other.origin}/article")
        fetch_cards()
        assert proxy.targets == [other.origin.removeprefix("http://")] * 2
    assert other.clients == ["127.0.0.2", "127.0.0.2"]  # the proxy's address, never ours
    assert "link-card" in page_of(client, post)


def test_a_site_that_cannot_be_reached_is_tried_again_later(app, client, ctx, other):
    app.config["OUTGOING_PROXY"] = f"http://127.0.0.1:{free_port()}"  # the proxy is down
    post = make_post("Later", f"{other.origin}/article")
    db.session.commit()
    report = deliver_once(lane=LANE)
    assert report.sent == 0 and report.retrying == 1
    assert db.session.scalar(select(LinkPreview)) is None and other.asked == []
    assert f'<p><a href="{other.origin}/article"' in page_of(client, post)  # no 500


def test_an_imported_wordpress_post_takes_the_same_path(runner, client, ctx, other, tmp_path):
    """WordPress shows an address alone on a line, or in [embed], as an embed: the
    importer's posts are queued by the same hook, and wpautop's paragraphs stay whole."""
    text = (FIXTURES / "wxr11.xml").read_text()
    body = f"Ten years on.\n\n{other.origin}/plain\n\nRest\n[embed]{other.origin}/article[/embed]"
    text = text.replace("<![CDATA[Ten years on.]]>", f"<![CDATA[{body}]]>")
    path = tmp_path / "embeds.xml"
    path.write_text(text)
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 0, result.output
    assert other.asked == []

    assert fetch_cards().sent == 2
    html = client.get("/2012/06/01/looking-back/").get_data(as_text=True)
    assert html.count('<figure class="link-card">') == 2
    assert "<p>Rest<br>\n</p>" in html or "<p>Rest<br></p>" in html
    assert "[embed]" not in html


def test_an_address_in_fenced_code_is_an_example_not_an_embed(client, ctx, other):
    url = f"{other.origin}/article"
    post = make_post(
        "Code", f"```\n{url}\nhttps://youtu.be/{VIDEO}\n```\n\n~~~~text\n{url}\n~~~~\n"
    )
    assert db.session.scalar(select(OutboxMessage.id)) is None  # nothing queued
    html = page_of(client, post)
    assert html.count(f"<pre><code>{url}\nhttps://youtu.be/{VIDEO}\n</code></pre>") == 1
    assert "link-card" not in html and "video-embed" not in html


def test_a_page_and_a_post_showing_one_address_both_get_the_card(client, ctx, other):
    url = f"{other.origin}/plain"
    page = make_page("About us", f"Our friends:\n\n{url}\n")
    post = make_post("Friends", url)
    assert fetch_cards().sent == 1  # one address, one fetch
    db.session.expire_all()
    assert client.get(f"/{page.slug}/").get_data(as_text=True).count("link-card") == 1
    assert "link-card" in page_of(client, post)


def test_a_khmer_page_without_a_declared_charset_reads_as_utf8(client, ctx, other):
    post = make_post("Khmer", f"{other.origin}/khmer")
    fetch_cards()
    assert db.session.scalar(select(LinkPreview.title)) == "សិទ្ធិ\u200bទឹក"
    assert "<strong>សិទ្ធិ\u200bទឹក</strong>" in page_of(client, post)


def test_an_admin_can_have_an_address_fetched_again(runner, client, ctx, other):
    url = f"{other.origin}/plain"
    post = make_post("Changing", url)
    fetch_cards()
    other.pages["/plain"] = ("text/html", b"<title>A new title</title>")

    result = runner.invoke(args=["link-previews", "refetch", url])
    assert result.exit_code == 0, result.output
    assert "<strong>Only a title</strong>" in page_of(client, post)  # kept until the answer
    assert fetch_cards().sent == 1
    assert other.asked == ["/plain", "/plain"]
    assert db.session.scalar(select(LinkPreview.title)) == "A new title"
    assert "<strong>A new title</strong>" in page_of(client, post)

    refused = runner.invoke(args=["link-previews", "refetch", "javascript:alert(1)"])
    assert refused.exit_code == 2 and "http(s)" in refused.output
