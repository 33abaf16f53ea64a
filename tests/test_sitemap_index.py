"""A site larger than ``SITEMAP_URLS_PER_FILE`` gets a sitemap index: files of at most
that many URLs which together list what the single file would, each in a few queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from defusedxml import ElementTree

from blogapp.seo.views import sitemap_entries
from tests.factories import make_category, make_page, make_post

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def app_config():
    return {"SITEMAP_URLS_PER_FILE": 3, "PAGE_CACHE_BYTES": 0}


@pytest.fixture
def site(app, ctx):
    politics = make_category("Politics")
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    for n in range(7):
        make_post(
            f"Essay {n}", "Words.", categories=[politics], published_at=start + timedelta(days=n)
        )
    make_page("About", "About us.")


def locs(client, path: str, tag: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == f"{{{NS['sm']}}}{tag}"
    child = "sitemap" if tag == "sitemapindex" else "url"
    return [e.findtext("sm:loc", namespaces=NS) for e in root.findall(f"sm:{child}", NS)]


def test_a_large_site_gets_an_index_of_small_sitemaps_listing_every_url(
    app, client, site, ctx, count_queries
):
    client.get("/sitemap.xml")  # the worker's first request builds its per-process caches
    with count_queries() as index_queries:
        files = locs(client, "/sitemap.xml", "sitemapindex")
    assert [f.removeprefix("http://localhost") for f in files] == [
        "/sitemap-pages.xml",
        "/sitemap-posts-1.xml",
        "/sitemap-posts-2.xml",
        "/sitemap-posts-3.xml",
    ]  # 7 posts, 3 a file
    assert index_queries.count <= 5
    listed = []
    for f in files:
        with count_queries() as q:
            urls = locs(client, f.removeprefix("http://localhost"), "urlset")
        assert 1 <= len(urls) <= 3
        assert q.count <= 5, (f, q.statements)
        listed += urls
    with app.test_request_context():
        everything = [loc for loc, _ in sitemap_entries()]
    assert sorted(listed) == sorted(everything)
    assert len(everything) == 10  # front page, 7 posts, the page, the category
    assert client.get("/sitemap-posts-4.xml").status_code == 404
    assert client.get("/sitemap-posts-0.xml").status_code == 404


def test_the_static_copy_carries_every_file_of_the_index(runner, site, tmp_path):
    result = runner.invoke(args=["export-static", str(tmp_path / "copy")])
    assert result.exit_code == 0, result.output
    files = {p.name for p in (tmp_path / "copy").iterdir()}
    assert {
        "sitemap.xml",
        "sitemap-pages.xml",
        "sitemap-posts-1.xml",
        "sitemap-posts-2.xml",
        "sitemap-posts-3.xml",
    } <= files
    assert "sitemap-posts-4.xml" not in files
