"""A subscriber follows the blog by feed: RSS and Atom at WordPress's paths,
parsed by feedparser as a feed reader would."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import feedparser
import pytest

from blogapp.feeds.builder import absolute_links
from blogapp.models import CommentStatus, PostStatus, utcnow
from tests.factories import make_category, make_comment, make_post, make_tag, make_user

SITE = "http://localhost"  # SITE_URL in tests/conftest.py


@pytest.fixture
def blog(app, ctx):
    """Public posts in nested categories, hidden posts of every kind, and comments."""
    author = make_user("sokha", display_name="Sokha Chan")
    politics = make_category("Politics")
    asia = make_category("Asia", parent=politics)
    courts = make_tag("Courts")
    now = utcnow()
    old = make_post(
        "Older public",
        "The **older** piece.",
        author=author,
        categories=[politics],
        published_at=now - timedelta(days=3),
    )
    new = make_post(
        "Newer public",
        "An image: ![map](/media/map.png)\n\nAnd [a link](/about/).",
        author=author,
        categories=[asia],
        tags=[courts],
        published_at=now - timedelta(days=1),
        excerpt="A short summary.",
    )
    khmer = make_post(
        "សេចក្តីថ្លែងការណ៍",
        "អត្ថបទជាភាសាខ្មែរ។",
        author=author,
        language="km",
        published_at=now - timedelta(days=2),
    )
    hidden = [
        make_post(
            "Secret draft", status=PostStatus.DRAFT, author=author, categories=[asia], tags=[courts]
        ),
        make_post("Pending review", status=PostStatus.PENDING, author=author, categories=[asia]),
        make_post("Private note", status=PostStatus.PRIVATE, author=author, tags=[courts]),
        make_post(
            "Scheduled piece",
            author=author,
            categories=[asia],
            tags=[courts],
            published_at=now + timedelta(days=2),
        ),
    ]
    make_comment(new, "Approved remark.", author_name="Dara", created_at=now - timedelta(hours=5))
    make_comment(old, "Second approved.", author_name="Vanna", created_at=now - timedelta(hours=2))
    make_comment(new, "Waiting remark.", status=CommentStatus.PENDING)
    make_comment(new, "Buy pills now.", status=CommentStatus.SPAM)
    make_comment(hidden[0], "On a draft.")
    return {"old": old, "new": new, "khmer": khmer, "hidden": hidden, "author": author}


def fetch(client, url, kind="rss"):
    response = client.get(url)
    assert response.status_code == 200, url
    expected = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    assert response.mimetype == expected
    assert response.mimetype_params.get("charset") == "utf-8"
    # Strict XML first (the standard library's parser stops at the first error), then
    # as a feed reader reads it.
    ElementTree.fromstring(response.get_data())
    parsed = feedparser.parse(response.get_data())
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    assert parsed.version == ("rss20" if kind == "rss" else "atom10")
    return response, parsed


def assert_absolute(url: str) -> None:
    assert url.startswith(SITE + "/"), url


def assert_dated_with_zone(entry, raw_xml: str) -> None:
    assert entry.published_parsed is not None
    stamp = entry.published
    # RSS dates carry a numeric zone (+0000), Atom dates an offset (+00:00).
    assert re.search(r"(\+|-)\d\d:?\d\d$", stamp), stamp
    assert stamp in raw_xml


def test_main_rss_feed_lists_public_posts_newest_first_with_full_content(client, blog, ctx):
    response, feed = fetch(client, "/feed/")
    raw = response.get_data(as_text=True)

    assert [e.title for e in feed.entries] == ["Newer public", "សេចក្តីថ្លែងការណ៍", "Older public"]
    assert feed.feed.link == SITE + "/"
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [SITE + "/feed/"]
    newest = feed.entries[0]
    assert newest.link == f"{SITE}/{blog['new'].published_at:%Y/%m/%d}/newer-public/"
    assert newest.id == newest.link
    assert newest.author == "Sokha Chan"
    assert {t.term for t in newest.tags} == {"Asia", "Courts"}
    assert newest.summary == "<p>A short summary.</p>"
    body = newest.content[0].value
    # Relative links in the post become absolute: a feed reader has no page to resolve them.
    assert f'src="{SITE}/media/map.png"' in body
    assert f'href="{SITE}/about/"' in body
    for entry in feed.entries:
        assert_absolute(entry.link)
        assert_dated_with_zone(entry, raw)
    for hidden in ("Secret draft", "Pending review", "Private note", "Scheduled piece"):
        assert hidden not in raw


@pytest.mark.parametrize("app_config", [{"FEED_FULL_CONTENT": False, "FEED_ITEMS": 2}])
def test_feed_with_excerpts_only_and_item_limit(client, blog, ctx):
    response, feed = fetch(client, "/feed/")

    assert len(feed.entries) == 2
    assert "content" not in feed.entries[0]
    assert feed.entries[0].summary == "<p>A short summary.</p>"
    assert "content:encoded" not in response.get_data(as_text=True)


def test_atom_feed(client, blog, ctx):
    response, feed = fetch(client, "/feed/atom/", kind="atom")
    raw = response.get_data(as_text=True)

    assert [e.title for e in feed.entries] == ["Newer public", "សេចក្តីថ្លែងការណ៍", "Older public"]
    assert feed.feed.updated_parsed is not None
    assert feed.entries[0].author_detail.name == "Sokha Chan"
    assert feed.entries[0].author_detail.href == SITE + "/author/sokha/"
    assert "<strong>older</strong>" in feed.entries[2].content[0].value
    for entry in feed.entries:
        assert_absolute(entry.link)
        assert_dated_with_zone(entry, raw)
        assert entry.updated_parsed is not None
    assert "Secret draft" not in raw and "Scheduled piece" not in raw


def test_nested_category_feed_wins_over_the_category_archive(client, blog, ctx):
    _, child = fetch(client, "/category/politics/asia/feed/")
    _, parent = fetch(client, "/category/politics/feed/")

    assert [e.title for e in child.entries] == ["Newer public"]
    assert child.feed.link == SITE + "/category/politics/asia/"
    # A parent's feed holds its subcategories' posts, as its archive does.
    assert [e.title for e in parent.entries] == ["Newer public", "Older public"]
    assert client.get("/category/politics/asia/").status_code == 200
    assert client.get("/category/nowhere/feed/").status_code == 404
    assert client.get("/category/politics/nowhere/feed/").status_code == 404


def test_tag_and_author_feeds(client, blog, ctx):
    _, tagged = fetch(client, "/tag/courts/feed/")
    _, authored = fetch(client, "/author/sokha/feed/")

    assert [e.title for e in tagged.entries] == ["Newer public"]
    assert tagged.feed.title.endswith("Courts Tag")
    assert len(authored.entries) == 3
    assert "Sokha Chan" in authored.feed.title
    assert client.get("/tag/unknown/feed/").status_code == 404
    assert client.get("/author/nobody/feed/").status_code == 404


def test_text_that_xml_forbids_or_must_escape_keeps_every_feed_readable(client, blog, ctx):
    """A comment pasted from a word processor can hold control characters, which XML
    1.0 allows nowhere; a title can hold markup characters."""
    post = make_post(
        'Courts & <power> "today"',
        "Body.",
        author=blog["author"],
        published_at=utcnow() - timedelta(hours=1),
    )
    make_comment(
        post,
        "Pasted\x0btext\x01 here & <there>.",
        author_name="Sam\x08 <b>",
        created_at=utcnow() - timedelta(minutes=5),
    )

    for url, kind in (("/feed/", "rss"), ("/feed/atom/", "atom"), ("/comments/feed/", "rss")):
        _, feed = fetch(client, url, kind)
        assert feed.entries[0].title.startswith(("Courts & <power>", "Comment on Courts")), url
    _, comments = fetch(client, "/comments/feed/")
    assert comments.entries[0].title == 'Comment on Courts & <power> "today" by Sam <b>'
    assert "Pastedtext here &amp; &lt;there&gt;." in comments.entries[0].summary


def test_empty_feed_is_still_valid(client, blog, ctx):
    make_tag("Quiet")

    _, feed = fetch(client, "/tag/quiet/feed/")

    assert feed.entries == []


def test_site_comments_feed_has_only_approved_comments_on_public_posts(client, blog, ctx):
    response, feed = fetch(client, "/comments/feed/")
    raw = response.get_data(as_text=True)

    assert [e.title for e in feed.entries] == [
        "Comment on Older public by Vanna",
        "Comment on Newer public by Dara",
    ]
    assert feed.entries[1].link.startswith(
        f"{SITE}/{blog['new'].published_at:%Y/%m/%d}/newer-public/#comment-"
    )
    assert "Approved remark." in feed.entries[1].summary
    for entry in feed.entries:
        assert_absolute(entry.link)
        assert_dated_with_zone(entry, raw)
    for hidden in ("Waiting remark.", "Buy pills now.", "On a draft."):
        assert hidden not in raw


def test_post_comments_feed(client, blog, ctx):
    post = blog["new"]
    url = f"/{post.published_at:%Y/%m/%d}/{post.slug}/feed/"

    response, feed = fetch(client, url)

    assert [e.title for e in feed.entries] == ["Comment on Newer public by Dara"]
    assert feed.feed.link == SITE + url.removesuffix("feed/")
    assert "Waiting remark." not in response.get_data(as_text=True)
    # A wrong date moves to the right feed; hidden posts have none.
    moved = client.get(f"/2001/01/01/{post.slug}/feed/")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(url)
    draft = blog["hidden"][0]
    assert client.get(f"/{draft.published_at:%Y/%m/%d}/{draft.slug}/feed/").status_code == 404


def test_post_comments_feed_has_the_newest_approved_comments_as_the_site_feed_writes_them(
    app, client, ctx
):
    app.config["FEED_ITEMS"] = 4
    post = make_post("Talked about")
    other = make_post("Elsewhere")
    start = datetime(2026, 5, 1, 12, tzinfo=UTC)
    made = [
        make_comment(post, f"Remark {n} <b>&</b>", author_name=name, created_at=start + delta)
        for n, (name, delta) in enumerate(
            [
                ("Dara", timedelta(0)),
                ("", timedelta(minutes=1)),  # anonymous
                ("Sok <i>", timedelta(minutes=2)),
                ("Vanna", timedelta(minutes=2)),  # same moment: the later id is newer
                ("Bopha", timedelta(minutes=3)),
            ]
        )
    ]
    make_comment(post, "Held.", status=CommentStatus.PENDING, created_at=start + timedelta(hours=1))
    path = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"

    response, feed = fetch(client, path + "feed/")

    newest = [made[4], made[3], made[2], made[1]]
    assert [e.link for e in feed.entries] == [f"{SITE}{path}#comment-{c.id}" for c in newest]
    assert [e.title for e in feed.entries] == [
        "Comment on Talked about by Bopha",
        "Comment on Talked about by Vanna",
        "Comment on Talked about by Sok <i>",
        "Comment on Talked about by Anonymous",
    ]
    # Its items are the site-wide comments feed's, byte for byte, while no other
    # post has newer comments.
    make_comment(other, "Older, elsewhere.", created_at=start - timedelta(days=1))
    site_feed = client.get("/comments/feed/").get_data(as_text=True)
    items = re.findall(r"<item>.*?</item>", response.get_data(as_text=True), re.DOTALL)
    assert items == re.findall(r"<item>.*?</item>", site_feed, re.DOTALL)


def test_post_comments_feed_reads_its_post_and_comments_in_one_query(
    app, client, count_queries, ctx
):
    moment = app.config["CLOCK"]()
    app.config["CLOCK"] = lambda: moment  # the content version stays trusted
    talked = make_post("Talked about")
    quiet = make_post("Quiet")
    make_comment(talked, "First.")
    make_comment(talked, "Held.", status=CommentStatus.PENDING)
    client.get("/")  # warm the worker's caches, as a running site has them
    for post, titles in ((talked, ["Comment on Talked about by Reader"]), (quiet, [])):
        url = f"/{post.published_at:%Y/%m/%d}/{post.slug}/feed/"
        with count_queries() as q:
            response, feed = fetch(client, url)

        assert [e.title for e in feed.entries] == titles
        assert feed.feed.title.endswith(f"Comments on {post.title}")
        reading = [s for s in q.statements if " posts" in s or " comments" in s]
        assert len(reading) == 1, q.statements


def test_feed_items_link_the_sites_own_addresses_absolutely(app):
    fragments = {
        '<a href="/2026/05/01/post/">a</a>': f'<a href="{SITE}/2026/05/01/post/">a</a>',
        '<img src="/uploads/a.jpg" srcset="/uploads/a-400.jpg 400w, /uploads/a.jpg 800w">': (
            f'<img src="{SITE}/uploads/a.jpg" '
            f'srcset="{SITE}/uploads/a-400.jpg 400w, {SITE}/uploads/a.jpg 800w">'
        ),
        '<a href="//elsewhere.example/">b</a> <a href="https://x.example/">c</a>': (
            '<a href="//elsewhere.example/">b</a> <a href="https://x.example/">c</a>'
        ),
        "<p>No link at all, a / and a 400w, here.</p>": (
            "<p>No link at all, a / and a 400w, here.</p>"
        ),
    }
    with app.app_context():
        assert {f: absolute_links(f) for f in fragments} == fragments


def test_feed_links_come_from_site_url_not_the_request_host(client, blog, ctx):
    response = client.get("/feed/", headers={"Host": "evil.example"})

    assert b"evil.example" not in response.get_data()


def test_every_html_page_links_its_feeds(client, blog, ctx):
    post = blog["new"]
    pages = {
        "/": [],
        "/category/politics/asia/": ["/category/politics/asia/feed/"],
        "/tag/courts/": ["/tag/courts/feed/"],
        "/author/sokha/": ["/author/sokha/feed/"],
        f"/{post.published_at:%Y/%m/%d}/{post.slug}/": [
            f"/{post.published_at:%Y/%m/%d}/{post.slug}/feed/"
        ],
    }
    for page, specific in pages.items():
        html = client.get(page).get_data(as_text=True)
        links = re.findall(
            r'<link rel="alternate" type="(application/(?:rss|atom)\+xml)" title="[^"]+" '
            r'href="([^"]+)">',
            html,
        )
        hrefs = [href for _, href in links]
        assert hrefs[:3] == [SITE + "/feed/", SITE + "/feed/atom/", SITE + "/comments/feed/"]
        assert hrefs[3:] == [SITE + path for path in specific], page
        for kind, href in links:
            fetch(client, href.removeprefix(SITE), "atom" if "atom" in kind else "rss")
        if specific and page.startswith(("/category/", "/tag/", "/author/")):
            # Archives also show readers a link to follow them.
            assert f'<p class="archive-feed"><a href="{SITE}{specific[0]}"' in html


def test_feeds_run_a_small_constant_number_of_queries(app, client, count_queries, ctx):
    # Time stands still: this worker's copy of the content version (and the mirrors
    # list kept with it) stays trusted however slow the machine, as between two of a
    # busy site's requests; its renewal read is CONTENT_VERSION_CACHE_SECONDS' business.
    moment = app.config["CLOCK"]()
    app.config["CLOCK"] = lambda: moment
    author = make_user("many")
    tag = make_tag("Busy")
    categories = [make_category(f"Cat {i}") for i in range(3)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    posts = [
        make_post(
            f"Post {i}",
            author=author,
            tags=[tag],
            categories=categories[: i % 3 + 1],
            published_at=start + timedelta(days=i),
        )
        for i in range(30)
    ]
    for i, post in enumerate(posts[:25]):
        make_comment(post, f"Comment {i}")
    client.get("/")  # warm the category cache, as a running site has it
    last = posts[-2]
    urls = [
        "/feed/",
        "/feed/atom/",
        "/category/cat-0/feed/",
        "/tag/busy/feed/",
        "/author/many/feed/",
        "/comments/feed/",
        f"/{last.published_at:%Y/%m/%d}/post-28/feed/",
    ]
    counts = {}
    for url in urls:
        with count_queries() as q:
            assert client.get(url).status_code == 200, url
        counts[url] = q.count
    assert all(n <= 5 for n in counts.values()), counts
    _, feed = fetch(client, "/feed/")
    assert len(feed.entries) == 20
