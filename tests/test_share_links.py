"""Share links on a post (issue 31): plain links to each service's share page, our own
icons and our own script, nothing from another origin in the page itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from blogapp.models import PostStatus
from blogapp.permalinks import post_url
from tests.factories import make_post


class Share(HTMLParser):
    """The share section's links, and every address the page would load by itself."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.links: list[str] = []
        self.loaded: list[str] = []
        self.copy_button: dict | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "section" and "share" in (found.get("class") or "").split():
            self.inside = True
        if self.inside and tag == "a":
            self.links.append(found["href"])
        if self.inside and tag == "button":
            self.copy_button = found
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.loaded.append(found["src"])
        if tag == "link" and found.get("rel") in ("stylesheet", "preload", "icon"):
            self.loaded.append(found["href"])

    def handle_endtag(self, tag):
        if tag == "section":
            self.inside = False


def share_of(client, post) -> Share:
    with client.application.test_request_context():
        path = post_url(post)
    page = client.get(path)
    assert page.status_code == 200
    parser = Share()
    parser.feed(page.get_data(as_text=True))
    return parser


def test_a_post_page_has_share_links_loading_nothing_from_elsewhere(app, client, ctx):
    post = make_post("Rice & the river", excerpt="Short.")
    with app.test_request_context():
        address = app.config["SITE_URL"] + post_url(post)
    share = share_of(client, post)

    hosts = [urlsplit(link).netloc or urlsplit(link).scheme for link in share.links]
    assert hosts == ["www.facebook.com", "t.me", "x.com", "wa.me", "mailto"]
    queries = [parse_qs(urlsplit(link).query) for link in share.links]
    assert queries[0] == {"u": [address]}
    assert queries[1] == {"url": [address], "text": ["Rice & the river"]}
    assert queries[2] == {"url": [address], "text": ["Rice & the river"]}
    assert queries[3] == {"text": [f"Rice & the river {address}"]}
    assert queries[4] == {"subject": ["Rice & the river"], "body": [address]}
    # The copy button: hidden until our script shows it, reading the address box.
    assert share.copy_button is not None and "hidden" in share.copy_button
    assert all(not re.match(r"(https?:)?//", src) for src in share.loaded), share.loaded
    assert any(src.startswith("/static/js/share") for src in share.loaded)


def test_a_khmer_post_shares_its_khmer_title(app, client, ctx):
    post = make_post("ទន្លេមេគង្គ", language="km")
    [telegram] = [link for link in share_of(client, post).links if "t.me" in link]
    assert parse_qs(urlsplit(telegram).query)["text"] == ["ទន្លេមេគង្គ"]


def test_a_drafts_share_preview_has_no_share_links(app, client, ctx):
    from blogapp.revisions.preview import share

    post = make_post("Not yet", status=PostStatus.DRAFT)
    with app.test_request_context():
        link = share(post, by=None)
    page = client.get(link.removeprefix(app.config["SITE_URL"]))
    assert page.status_code == 200 and "Not yet" in page.get_data(as_text=True)
    assert 'class="share"' not in page.get_data(as_text=True)


def test_kept_share_links_are_the_bytes_of_the_section_rendered_in_place(app, ctx):
    # The section is rendered once per language with stand-ins, then filled in: the
    # same bytes as share_block rendered for the post, whatever its title and address.
    from flask import get_template_attribute, render_template_string

    from blogapp.interface_language import set_page_language

    titles = ['Rice & "the" <river>', "ទន្លេមេគង្គ ១០០%", "a/b?c=d#e 'q' %01T%01 \x01"]
    for language in ("en", "km"):
        for n, title in enumerate(titles):
            post = make_post(title, language=language)
            address = f'https://example.org/{language}/{n}/a&b="c"/ខ'
            with app.test_request_context():
                set_page_language(language)
                kept = render_template_string(
                    "{{ share_links(post, address) }}", post=post, address=address
                )
                block = get_template_attribute("posts/_share.html", "share_block")
                assert kept == str(block(post.id, post_label_of(post), address))


def post_label_of(post) -> str:
    from blogapp.content import post_label
    from blogapp.dates import format_date

    return post_label(post, format_date(post.published_at))
