"""A page of many posts reads only the long text it shows: a listing its posts'
excerpts, the feed their HTML bodies, search results their search text. A post's
Markdown source, HTML body and search text are most of its bytes (SQLite reads them
from overflow pages), and a listing of ten posts shows a few hundred words of them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Post
from tests.factories import make_category, make_post, make_tag

LONG_TEXT = {"body", "body_html", "search_text"}
# The columns a statement selects: its select list ends at its first FROM.
COLUMN = re.compile(r"\b(?:posts|anon_\d+)\.(\w+)")


@pytest.fixture
def site(ctx):
    section = make_category("Section")
    tag = make_tag("Tagged")
    for i in range(3):
        make_post(
            f"Op-ed {i}",
            "Opening paragraph about harbours.\n\n<!--more-->\n\n" + "A long argument. " * 200,
            categories=[section],
            tags=[tag],
        )
    return section, tag


def statements_of(count_queries, client, url: str) -> tuple[list[str], str]:
    db.session.expunge_all()  # nothing the test made is at hand: every read is a statement
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return q.statements, response.get_data(as_text=True)


def long_text_read(count_queries, client, url: str) -> tuple[set[str], str]:
    statements, text = statements_of(count_queries, client, url)
    read = set()
    for sql in statements:
        if re.search(r"\bFROM\s+posts\b", sql):
            read |= set(COLUMN.findall(sql.split(" FROM ", 1)[0])) & LONG_TEXT
    return read, text


@pytest.mark.parametrize("url", ["/", "/page/2/", "/category/section/", "/tag/tagged/", "/{year}/"])
def test_listings_read_no_post_bodies(app, client, count_queries, site, url):
    app.config["POSTS_PER_PAGE"] = 2
    year = db.session.scalars(select(Post.published_at)).first().year
    read, html = long_text_read(count_queries, client, url.format(year=year))
    assert read == set()
    assert "Opening paragraph about harbours." in html
    assert "A long argument." not in html
    assert "Read More" in html


def test_the_feed_reads_the_html_body_and_no_other_long_text(client, count_queries, site):
    read, xml = long_text_read(count_queries, client, "/feed/")
    assert read == {"body_html"}
    assert "A long argument." in xml  # full text


def test_search_results_read_the_search_text_and_no_other_long_text(client, count_queries, site):
    read, html = long_text_read(count_queries, client, "/?s=argument")
    assert read == {"search_text"}
    assert "Op-ed 2" in html and "<mark>" in html  # the snippet, cut from the search text


@pytest.mark.parametrize(
    "url", ["/", "/page/2/", "/category/section/", "/tag/tagged/", "/feed/", "/?s=argument"]
)
def test_reader_pages_read_no_accounts(app, client, count_queries, site, url):
    """Bylines name the posts' authors; the accounts behind them (addresses, password
    hashes, session tokens) are not read to show a page of posts."""
    app.config["POSTS_PER_PAGE"] = 2
    statements, _ = statements_of(count_queries, client, url)
    assert [sql for sql in statements if re.search(r"\busers\b", sql)] == []
