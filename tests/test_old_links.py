"""What a blog that moved in from WordPress meets first (issue 13): child categories
reached by their own slug, /favicon.ico, anchors left without an address, and a
404 page with a way on."""

from __future__ import annotations

import logging
import re

import pytest

from blogapp import create_app
from blogapp.sanitize import clean_comment, clean_post_html
from tests.conftest import BASE_CONFIG
from tests.factories import make_category, make_post


@pytest.fixture
def op_ed(app, ctx):
    opinion = make_category("Opinion")
    child = make_category("Op-Ed", parent=opinion, slug="op-ed")
    for i in range(12):
        make_post(f"Column {i}", categories=[child])
    return child


# --- a child category by its own slug ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/category/op-ed/", "/category/opinion/op-ed/"),
        ("/category/op-ed/page/2/", "/category/opinion/op-ed/page/2/"),
        ("/category/op-ed/feed/", "/category/opinion/op-ed/feed/"),
        ("/category/elsewhere/op-ed/", "/category/opinion/op-ed/"),  # a parent it no longer has
    ],
)
def test_a_child_category_by_its_own_slug_redirects_to_its_full_path(client, op_ed, old, new, ctx):
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"] == new
    assert client.get(new).status_code == 200


def test_the_redirect_keeps_the_query_string(client, op_ed, ctx):
    response = client.get("/category/op-ed/?utm_source=old-link")
    assert response.status_code == 301
    assert response.headers["Location"] == "/category/opinion/op-ed/?utm_source=old-link"


def test_the_full_path_and_top_level_categories_answer_as_before(client, op_ed, ctx):
    assert client.get("/category/opinion/op-ed/").status_code == 200
    assert client.get("/category/opinion/").status_code == 200
    assert client.get("/category/opinion/feed/").status_code == 200


def test_a_slug_no_category_has_is_still_404(client, op_ed, ctx):
    assert client.get("/category/no-such-thing/").status_code == 404
    assert client.get("/category/no-such-thing/feed/").status_code == 404


# --- the favicon --------------------------------------------------------------------------


def test_favicon_ico_is_served_at_the_root(client, ctx):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file, not a page


def test_every_page_links_the_svg_and_ico_favicons(client, ctx):
    html = client.get("/").get_data(as_text=True)
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert svg and '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html
    with client.get(svg.group(1)) as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data


# --- anchors whose address was removed -------------------------------------------------------


@pytest.mark.parametrize("clean", [clean_comment, clean_post_html])
@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "data:text/html,<b>x</b>",
        "vbscript:msgbox",
    ],
)
def test_a_link_whose_address_was_removed_becomes_its_text(clean, href):
    html = clean(f'Read <a href="{href}">the <em>whole</em> story</a> now.')
    assert "<a" not in html
    assert "the <em>whole</em> story" in html


@pytest.mark.parametrize("clean", [clean_comment, clean_post_html])
def test_an_anchor_that_never_had_an_address_becomes_its_text(clean):
    assert "<a" not in clean('<a title="x">named</a> anchor')
    assert "named" in clean('<a title="x">named</a> anchor')


def test_safe_links_are_kept():
    assert clean_comment('<a href="https://example.org/">ok</a>') == (
        '<p><a href="https://example.org/" rel="nofollow ugc noopener">ok</a></p>'
    )
    assert clean_post_html('<a href="/about/">About</a>') == '<a href="/about/">About</a>'


# --- the 404 page ---------------------------------------------------------------------------


def test_the_404_page_has_the_navigation_a_search_form_and_recent_posts(client, op_ed, ctx):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert 'href="/category/opinion/">Opinion</a>' in html
    assert re.search(r'<form class="search-form" role="search" method="get" action="/"', html)
    assert html.count('role="search"') == 1  # one search form, labelled once
    assert "Recent posts" in html and ">Column 11</a>" in html


def test_the_404_page_costs_no_more_queries_than_a_listing(client, op_ed, count_queries, ctx):
    client.get("/")  # a running site has its sidebar already
    with count_queries() as listing:
        assert client.get("/").status_code == 200
    with count_queries() as missing:
        assert client.get("/no/such/page/").status_code == 404
    assert missing.count <= listing.count


def test_the_404_page_without_a_database_is_still_a_404(tmp_path, caplog):
    app = create_app(
        {
            **BASE_CONFIG,
            "UPLOAD_FOLDER": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-directory/x.sqlite",
        }
    )
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
