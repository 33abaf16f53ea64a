"""Search engines and social sites read the blog: sitemap.xml, robots.txt,
each page's head (title, description, canonical, Open Graph, Twitter, JSON-LD)
and the links between posts (previous/next, related)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from defusedxml import ElementTree
from sqlalchemy import event, text, update

from blogapp.extensions import db
from blogapp.models import Post, PostStatus, utcnow
from tests.conftest import on_postgres
from tests.factories import make_category, make_page, make_post, make_tag, make_user
from tests.helpers import FakeClock

SITE = "http://localhost"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


class Head(HTMLParser):
    """The tags of a page's <head> a crawler reads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self.title = ""
        self.json_ld: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("name") or a.get("property")):
            self.meta.setdefault(a.get("name") or a.get("property"), []).append(a["content"])
        elif tag == "link":
            self.links.append(a)
        elif tag == "title":
            self._in = "title"
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in = "ld"
            self.json_ld.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "ld":
            self.json_ld[-1] += data

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, (key, values)
        return values[0]

    def canonical(self) -> list[str]:
        return [link["href"] for link in self.links if link.get("rel") == "canonical"]


def head_of(client, url: str) -> Head:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Head()
    parser.feed(response.get_data(as_text=True))
    return parser


@pytest.fixture
def site(app, ctx):
    author = make_user("sokha", display_name="Sokha Chan")
    politics = make_category("Politics")
    asia = make_category("Asia", parent=politics)
    make_category("Empty")
    courts = make_tag("Courts")
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    posts = {
        "first": make_post(
            "First essay",
            "Opening words.",
            author=author,
            categories=[politics],
            published_at=start,
        ),
        "second": make_post(
            "Courts </script><script>alert(1)</script> & trust",
            "![Court house](/media/court.jpg)\n\nJudges **must** be independent. " * 3
            + "\n\n<!--more-->\n\nThe rest of the argument.",
            author=author,
            categories=[asia],
            tags=[courts],
            published_at=start + timedelta(days=1),
        ),
        "third": make_post(
            "Third essay",
            "More on courts.",
            author=author,
            categories=[asia],
            tags=[courts],
            published_at=start + timedelta(days=2),
        ),
        "unrelated": make_post("Unrelated", "Sport.", published_at=start + timedelta(days=3)),
        "draft": make_post("Draft essay", status=PostStatus.DRAFT, categories=[asia]),
        "private": make_post("Private essay", status=PostStatus.PRIVATE, categories=[asia]),
        "scheduled": make_post(
            "Scheduled essay", categories=[asia], published_at=utcnow() + timedelta(days=3)
        ),
    }
    make_page("About", "<p>We publish <em>op-eds</em> on politics and society.</p>")
    make_page("Hidden page", "Not yet.", status=PostStatus.DRAFT)
    return posts


def path_of(post) -> str:
    return f"/{post.published_at:%Y/%m/%d}/{post.slug}/"


def test_sitemap_is_valid_and_every_url_answers(client, site, ctx):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {
        u.findtext("sm:loc", namespaces=NS): u.findtext("sm:lastmod", namespaces=NS)
        for u in root.findall("sm:url", NS)
    }
    paths = [loc.removeprefix(SITE) for loc in entries]
    assert all(loc.startswith(SITE + "/") for loc in entries)
    assert set(paths) == {
        "/",
        "/about/",
        "/category/politics/",
        "/category/politics/asia/",
        *(path_of(site[k]) for k in ("first", "second", "third", "unrelated")),
    }  # no drafts, private or scheduled posts, draft pages or empty categories
    for lastmod in entries.values():
        assert W3C_DATETIME.match(lastmod), lastmod
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_a_categorys_lastmod_is_its_newest_public_post_or_subcategorys(client, site, ctx):
    """A category's archive shows its subcategories' posts: its lastmod is the newest
    change of a public post in it or under it; drafts, private and scheduled posts,
    however recently changed, do not count."""
    changed = {
        "first": datetime(2025, 6, 1, 10, 0, tzinfo=UTC),  # Politics
        "second": datetime(2025, 5, 1, 11, 0, tzinfo=UTC),  # Asia, under Politics
        "third": datetime(2025, 4, 15, 12, 0, tzinfo=UTC),  # Asia
        "draft": datetime(2025, 9, 1, tzinfo=UTC),  # Asia, none of these three public
        "private": datetime(2025, 9, 2, tzinfo=UTC),
        "scheduled": datetime(2025, 9, 3, tzinfo=UTC),
    }
    for key, moment in changed.items():
        db.session.execute(update(Post).where(Post.id == site[key].id).values(updated_at=moment))
    db.session.commit()

    root = ElementTree.fromstring(client.get("/sitemap.xml").get_data())
    entries = {
        u.findtext("sm:loc", namespaces=NS).removeprefix(SITE): u.findtext(
            "sm:lastmod", namespaces=NS
        )
        for u in root.findall("sm:url", NS)
    }

    assert entries["/category/politics/"] == "2025-06-01T10:00:00+00:00"
    assert entries["/category/politics/asia/"] == "2025-05-01T11:00:00+00:00"


@pytest.mark.skipif(on_postgres(), reason="SQLite's query planner")
def test_category_dates_come_from_the_date_index_when_every_post_is_public(client, site, ctx):
    """With the statistics of a blog of 100,000 published posts (what ANALYZE found on
    the scale benchmark's), SQLite must still read the category dates from the
    (status, published_at, updated_at) index, not walk the link table in category
    order and read each linked post's row: that took 1.5 s of the sitemap there."""
    db.session.execute(text("ANALYZE"))
    db.session.execute(text("DELETE FROM sqlite_stat1"))
    for table, index, stat in (
        ("posts", "ix_posts_status_published_updated", "100000 100000 1 1"),
        ("posts", "ix_posts_status_published", "100000 100000 1 1"),
        ("posts", "ix_posts_updated_at", "100000 1"),
        ("post_categories", "ix_post_categories_category_post", "140065 4669 1"),
        ("post_categories", "sqlite_autoindex_post_categories_1", "140065 2 1"),
    ):
        db.session.execute(
            text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
            {"t": table, "i": index, "s": stat},
        )
    db.session.commit()
    db.session.remove()
    db.engine.dispose()  # new connections read the statistics
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "max(" in statement and "post_categories" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/sitemap.xml").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    [(statement, parameters)] = statements
    explained = db.session.connection().exec_driver_sql(
        f"EXPLAIN QUERY PLAN {statement}", parameters
    )
    plan = " / ".join(row[-1] for row in explained)
    assert "COVERING INDEX ix_posts_status_published_updated" in plan, plan
    assert "SEARCH posts USING INTEGER PRIMARY KEY" not in plan, plan


def test_robots_txt_points_at_the_sitemap(client, ctx):
    response = client.get("/robots.txt", headers={"Host": "evil.example"})

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


def test_post_head_has_title_description_canonical_social_tags_and_json_ld(client, site, ctx):
    post = site["second"]
    url = SITE + path_of(post)

    head = head_of(client, path_of(post))

    assert head.title.startswith("Courts </script><script>alert(1)</script> & trust – ")
    description = head.one("description")
    assert description.startswith("Judges must be independent.")  # plain text of the excerpt
    assert "<" not in description and "The rest of the argument" not in description
    assert len(description) <= 161
    assert head.canonical() == [url]
    assert head.one("og:type") == "article"
    assert head.one("og:url") == url
    assert head.one("og:title") == post.title
    assert head.one("og:description") == description
    assert head.one("og:image") == SITE + "/media/court.jpg"  # the first image, made absolute
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("twitter:image") == SITE + "/media/court.jpg"
    assert head.one("article:published_time") == "2025-03-02T08:00:00+00:00"

    assert len(head.json_ld) == 1
    raw = head.json_ld[0]
    # The title's </script> cannot close the element early: <, > and & are \\u escapes.
    assert "<" not in raw and ">" not in raw and "&" not in raw
    article = json.loads(raw)
    assert article["@type"] == "OpinionNewsArticle"  # op-eds are marked as opinion
    assert article["headline"] == post.title
    assert article["url"] == url
    assert article["datePublished"] == "2025-03-02T08:00:00+00:00"
    assert article["author"] == {
        "@type": "Person",
        "name": "Sokha Chan",
        "url": SITE + "/author/sokha/",
    }
    assert article["image"] == [SITE + "/media/court.jpg"]


def test_post_without_image_gets_a_summary_card(client, site, ctx):
    head = head_of(client, path_of(site["first"]))

    assert "og:image" not in head.meta
    assert head.one("twitter:card") == "summary"


def test_head_uses_site_url_never_the_request_host(client, site, ctx):
    response = client.get(path_of(site["second"]), headers={"Host": "evil.example"})

    assert "evil.example" not in response.get_data(as_text=True)


def test_listing_pages_have_canonical_and_descriptions(client, site, ctx):
    home = head_of(client, "/")
    assert home.canonical() == [SITE + "/"]
    assert home.one("og:type") == "website"
    assert home.one("description") == home.one("og:description")

    about = head_of(client, "/about/")
    assert about.canonical() == [SITE + "/about/"]
    assert about.one("description") == "We publish op-eds on politics and society."

    category = head_of(client, "/category/politics/asia/")
    assert category.canonical() == [SITE + "/category/politics/asia/"]
    assert category.one("og:title") == "Asia"


def test_search_and_error_pages_are_not_for_indexing(client, site, ctx):
    search = head_of(client, "/?s=courts")
    assert search.canonical() == []
    assert search.one("robots") == "noindex, follow"

    for url in ("/no/such/place/", "/2025/03/02/no-such-post/"):
        missing = client.get(url)
        assert missing.status_code == 404
        parser = Head()
        parser.feed(missing.get_data(as_text=True))
        assert parser.canonical() == []
        feeds = [link["href"] for link in parser.links if link.get("rel") == "alternate"]
        assert feeds == [SITE + "/feed/", SITE + "/feed/atom/", SITE + "/comments/feed/"]


def test_post_links_to_previous_next_and_related_posts(client, site, ctx):
    html = client.get(path_of(site["second"])).get_data(as_text=True)

    nav = re.search(r'<nav class="pagination post-navigation".*?</nav>', html, re.S).group(0)
    assert f'href="{path_of(site["first"])}" rel="prev" lang="en">&larr; First essay</a>' in nav
    assert f'href="{path_of(site["third"])}" rel="next" lang="en">Third essay &rarr;</a>' in nav
    related = re.search(r'<section class="related-posts".*?</section>', html, re.S).group(0)
    titles = re.findall(r'<a href="[^"]+" lang="en">([^<]+)</a>', related)
    # Third shares Asia and Courts; First is in Politics, Asia's parent, which is not shared.
    assert titles == ["Third essay"]
    for hidden in ("Draft essay", "Private essay", "Scheduled essay", "Unrelated"):
        assert hidden not in related


def test_first_and_last_posts_have_one_neighbour(client, site, ctx):
    first = client.get(path_of(site["first"])).get_data(as_text=True)
    last = client.get(path_of(site["unrelated"])).get_data(as_text=True)

    first_nav = first.split('post-navigation"')[1].split("</nav>")[0]
    last_nav = last.split('post-navigation"')[1].split("</nav>")[0]
    assert 'rel="prev"' not in first_nav and 'rel="next" lang="en">Courts' in first_nav
    assert 'rel="next"' not in last_nav and 'rel="prev" lang="en">&larr; Third essay' in last_nav
    assert "related-posts" not in last  # no categories or tags shared


def test_related_posts_rank_by_shared_terms(client, ctx):
    a, b = make_category("A"), make_category("B")
    t = make_tag("T")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    subject = make_post("Subject", categories=[a, b], tags=[t], published_at=start)
    make_post("One shared, newest", categories=[a], published_at=start + timedelta(days=9))
    make_post("Three shared", categories=[a, b], tags=[t], published_at=start + timedelta(days=1))
    make_post("Two shared", categories=[b], tags=[t], published_at=start + timedelta(days=2))

    html = client.get(path_of(subject)).get_data(as_text=True)

    related = re.search(r'<section class="related-posts".*?</section>', html, re.S).group(0)
    assert re.findall(r'<a href="[^"]+" lang="en">([^<]+)</a>', related) == [
        "Three shared",
        "Two shared",
        "One shared, newest",
    ]


def test_post_page_stays_within_its_query_budget(client, count_queries, site, ctx):
    # Held still, so the worker's trust in its content version outlasts a slow first
    # render (a loaded machine took a second over it, and the post page read it again).
    ctx.app.config["CLOCK"] = FakeClock()
    client.get("/")  # warm the sidebar cache
    path = path_of(site["second"])  # read before counting: only the request's queries count
    with count_queries() as q:
        assert client.get(path).status_code == 200
    assert q.count <= 5, q.statements
