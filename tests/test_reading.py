"""A reader browses the blog: front page, posts, archives, categories, pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from blogapp.extensions import db
from blogapp.models import PostStatus, Redirect, utcnow
from tests.factories import make_category, make_page, make_post, make_tag, make_user
from tests.helpers import FakeClock


def titles(html: str) -> list[str]:
    return re.findall(r'class="entry-title"><a href="[^"]+" rel="bookmark">([^<]*)</a>', html)


def test_front_page_lists_newest_first_with_byline_and_read_more(client, ctx):
    author = make_user("sokha", display_name="Sokha Chan")
    politics = make_category("Politics")
    make_post(
        "Older",
        "First part.\n\n<!--more-->\n\nThe rest.",
        author=author,
        published_at=utcnow() - timedelta(days=2),
        categories=[politics],
    )
    make_post("Newer", "Short and whole.", author=author, published_at=utcnow() - timedelta(days=1))

    html = client.get("/").get_data(as_text=True)

    assert titles(html) == ["Newer", "Older"]
    assert 'Posted by: <a href="/author/sokha/">Sokha Chan</a>' in html
    assert "Posted on: <time" in html
    assert html.count("Read More …") == 1  # only the post with more behind the marker
    assert "The rest." not in html
    assert 'href="/category/politics/" rel="category tag">Politics</a>' in html


def test_byline_without_display_name_uses_login_and_never_an_empty_name(client, ctx):
    make_post("No display name", author=make_user("guestwriter", display_name=""))
    make_post("No author at all", author=None)

    html = client.get("/").get_data(as_text=True)

    assert 'Posted by: <a href="/author/guestwriter/">guestwriter</a>' in html
    assert "Posted by: |" not in html
    assert not re.search(r"Posted by:\s*<a[^>]*>\s*</a>", html)
    assert html.count("Posted by:") == 1


def test_untitled_post_gets_a_link_from_its_first_words(client, ctx):
    post = make_post("", "The first rain came at four in the afternoon.")

    html = client.get("/").get_data(as_text=True)

    assert post.slug
    assert "The first rain came at four in the afternoon." in titles(html)[0]
    page = client.get(html.split('rel="bookmark"')[0].rsplit('href="', 1)[1].split('"')[0])
    assert page.status_code == 200


def test_post_page_renders_at_its_wordpress_permalink(client, ctx):
    post = make_post(
        "Courts and confidence",
        "Trust is **earned**.",
        published_at=datetime(2025, 3, 7, 12, 0, tzinfo=UTC),
        tags=[make_tag("rule of law")],
        source_line="Op-Ed: Asia Times",
    )

    response = client.get("/2025/03/07/courts-and-confidence/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="entry-title">Courts and confidence</h1>' in html
    assert "Trust is <strong>earned</strong>." in html
    assert "Op-Ed: Asia Times" in html
    assert 'href="/tag/rule-of-law/" rel="tag"' in html
    # A wrong date in the URL moves to the right one rather than failing.
    moved = client.get("/2025/03/08/courts-and-confidence/")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/2025/03/07/courts-and-confidence/")
    assert post.id


def test_question_mark_p_redirects_permanently(client, ctx):
    post = make_post("Find me", published_at=datetime(2024, 12, 31, 23, 0, tzinfo=UTC))

    response = client.get(f"/?p={post.id}")

    assert response.status_code == 301
    assert response.headers["Location"].endswith("/2024/12/31/find-me/")
    assert client.get("/?p=999999").status_code == 404


def test_old_path_in_redirects_table_moves(client, app, ctx):
    make_post("New name", published_at=datetime(2024, 1, 2, tzinfo=UTC))
    db.session.add(Redirect(old_path="/2024/01/02/old-name/", new_path="/2024/01/02/new-name/"))
    db.session.commit()

    response = client.get("/2024/01/02/old-name/")

    assert response.status_code == 301
    assert response.headers["Location"].endswith("/2024/01/02/new-name/")


@pytest.mark.parametrize(
    "status,offset",
    [(PostStatus.DRAFT, -1), (PostStatus.PENDING, -1), (PostStatus.PRIVATE, -1), ("published", 24)],
    ids=["draft", "pending", "private", "scheduled"],
)
def test_hidden_posts_are_never_shown(client, status, offset, ctx):
    author = make_user("hidden")
    tag = make_tag("secret")
    category = make_category("Hidden")
    when = utcnow() + timedelta(hours=offset)
    post = make_post(
        "Secret thing",
        author=author,
        status=status,
        published_at=when,
        categories=[category],
        tags=[tag],
    )
    local = when

    assert "Secret thing" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/{local:%Y/%m/%d}/secret-thing/").status_code == 404
    assert client.get(f"/?p={post.id}").status_code == 404
    assert "Secret thing" not in client.get("/category/hidden/").get_data(as_text=True)
    assert client.get("/tag/secret/").status_code == 200
    assert "Secret thing" not in client.get("/tag/secret/").get_data(as_text=True)
    assert "Secret thing" not in client.get("/author/hidden/").get_data(as_text=True)
    assert client.get(f"/{local:%Y/%m}/").status_code == 404


def test_scheduled_post_appears_when_its_time_comes(client, ctx):
    post = make_post("Tomorrow's news", published_at=utcnow() + timedelta(minutes=5))
    assert "Tomorrow" not in client.get("/").get_data(as_text=True)

    post.published_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert "Tomorrow" in client.get("/").get_data(as_text=True)
    path = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
    assert client.get(path).status_code == 200


def test_pagination_edges(client, ctx):
    start = utcnow() - timedelta(days=30)
    for i in range(23):
        make_post(f"Post {i:02d}", published_at=start + timedelta(hours=i), commit=False)
    db.session.commit()

    first = titles(client.get("/").get_data(as_text=True))
    second = titles(client.get("/page/2/").get_data(as_text=True))
    third_html = client.get("/page/3/").get_data(as_text=True)

    assert first == [f"Post {i:02d}" for i in range(22, 12, -1)]
    assert second == [f"Post {i:02d}" for i in range(12, 2, -1)]
    assert titles(third_html) == ["Post 02", "Post 01", "Post 00"]
    assert 'rel="next"' not in third_html and 'href="/page/2/" rel="prev"' in third_html
    assert client.get("/page/1/").status_code == 301
    for bad in (
        "/page/4/",
        "/page/0/",
        "/page/-1/",
        "/page/99999999999999999999999/",
        "/page/abc/",
    ):
        assert client.get(bad).status_code == 404, bad


def test_pages_past_the_middle_walk_from_the_oldest_post_and_hold_the_same_posts(
    client, count_queries, ctx
):
    """Issue 35: an OFFSET reads every index entry it skips, so a page of the front page
    past the middle is found walking from the oldest post. Every page holds the posts it
    held counted from the newest, ties on the time broken the same way from either end;
    drafts and scheduled posts count on neither."""
    start = utcnow() - timedelta(days=30)
    for i in range(37):  # pairs share a time: the id breaks the tie
        make_post(f"Post {i:02d}", published_at=start + timedelta(hours=i // 2), commit=False)
    make_post("Draft", status=PostStatus.DRAFT, published_at=start, commit=False)
    make_post("Scheduled", published_at=utcnow() + timedelta(days=1), commit=False)
    db.session.commit()

    def page_of(n: int) -> tuple[list[str], list[str]]:
        with count_queries() as q:
            html = client.get("/" if n == 1 else f"/page/{n}/").get_data(as_text=True)
        return titles(html), [s for s in q.statements if "OFFSET" in s]

    pages = [page_of(n) for n in (1, 2, 3, 4)]
    assert sum((found for found, _ in pages), []) == [f"Post {i:02d}" for i in range(36, -1, -1)]
    # Pages 3 and 4 (skipping 20 and 30 of 37) are past the middle; page 2 (10) is not.
    walks = ["ASC" in sql[0] for _, sql in pages[1:]]
    assert walks == [False, True, True]
    assert 'rel="next"' not in client.get("/page/4/").get_data(as_text=True)
    assert 'rel="next"' in client.get("/page/3/").get_data(as_text=True)
    assert client.get("/page/5/").status_code == 404


def test_nested_categories_have_nested_urls_and_include_children(client, ctx):
    politics = make_category("Politics")
    asia = make_category("Asia", parent=politics)
    cambodia = make_category("Cambodia", parent=asia)
    make_post("Commune councils", categories=[cambodia])
    make_post("Party finance", categories=[politics])

    parent = client.get("/category/politics/").get_data(as_text=True)
    child = client.get("/category/politics/asia/cambodia/")

    assert "You are currently browsing the category <strong>Politics</strong>" in parent
    assert set(titles(parent)) == {"Commune councils", "Party finance"}
    assert child.status_code == 200
    assert titles(child.get_data(as_text=True)) == ["Commune councils"]
    assert 'href="/category/politics/asia/cambodia/"' in parent  # sidebar tree
    # A child by its own slug redirects to its full path, as in WordPress (issue 13).
    assert client.get("/category/cambodia/").headers["Location"] == (
        "/category/politics/asia/cambodia/"
    )
    assert client.get("/category/politics/nope/").status_code == 404


def test_a_large_category_walks_the_newest_posts_and_a_small_one_lists_its_own(
    client, count_queries, ctx
):
    """Issue 35: a category with a good share of the posts is listed by walking the site's
    newest posts (its cost does not grow with the site); a small one by its own posts'
    ids. Both give the same posts, newest first, page by page, children included."""
    big = make_category("Big")
    small = make_category("Small")
    smaller = make_category("Smaller", parent=small)
    start = utcnow() - timedelta(days=3)
    for i in range(44):
        cats = [big] if i % 2 == 0 else []
        cats += [small] if i == 7 else [smaller] if i == 9 else []
        make_post(f"Post {i:02d}", published_at=start + timedelta(hours=i), categories=cats)
    client.get("/")  # the sidebar's counts, as a running site has them

    def listing(url: str) -> tuple[list[str], str]:
        with count_queries() as q:
            html = client.get(url).get_data(as_text=True)
        listing_sql = [s for s in q.statements if "LIMIT" in s and "post_categories" in s]
        return titles(html), listing_sql[0]

    first, big_sql = listing("/category/big/")
    second, _ = listing("/category/big/page/2/")
    third, _ = listing("/category/big/page/3/")
    assert first == [f"Post {i:02d}" for i in range(42, 22, -2)]
    assert second == [f"Post {i:02d}" for i in range(22, 2, -2)]
    assert third == ["Post 02", "Post 00"]
    assert client.get("/category/big/page/4/").status_code == 404

    parent, small_sql = listing("/category/small/")
    assert parent == ["Post 09", "Post 07"]
    assert listing("/category/small/smaller/")[0] == ["Post 09"]

    # 22 of 44 posts: walked; 2 of 44: listed (below 1 in CATEGORY_WALK_SHARE).
    assert "EXISTS" in big_sql and "+posts.id IN" not in big_sql
    assert "+posts.id IN" in small_sql and "EXISTS" not in small_sql


def test_date_author_and_tag_archives_say_what_is_browsed(client, ctx):
    author = make_user("dara", display_name="Dara Vuthy")
    tag = make_tag("elections")
    make_post(
        "March piece",
        author=author,
        tags=[tag],
        published_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
    )
    make_post("April piece", published_at=datetime(2025, 4, 2, 9, 0, tzinfo=UTC))

    year = client.get("/2025/").get_data(as_text=True)
    month = client.get("/2025/03/").get_data(as_text=True)
    day = client.get("/2025/03/10/").get_data(as_text=True)
    by_author = client.get("/author/dara/").get_data(as_text=True)
    by_tag = client.get("/tag/elections/").get_data(as_text=True)

    assert titles(year) == ["April piece", "March piece"]
    assert "the archives for <strong>March 2025</strong>" in month
    assert titles(month) == ["March piece"] == titles(day)
    assert "the author <strong>Dara Vuthy</strong>" in by_author
    assert "the tag <strong>elections</strong>" in by_tag and titles(by_tag) == ["March piece"]
    assert client.get("/2025/13/").status_code == 404
    assert client.get("/2025/02/30/").status_code == 404
    assert client.get("/author/nobody/").status_code == 404


def test_static_page_and_unknown_slug(client, ctx):
    make_page("About", "We publish *op-eds*.\n\nComments are read first.")
    make_page("Hidden plans", "Not yet.", status=PostStatus.DRAFT)

    about = client.get("/about/").get_data(as_text=True)
    assert "<p>We publish <em>op-eds</em>.</p>" in about
    assert "<p>Comments are read first.</p>" in about
    assert client.get("/hidden-plans/").status_code == 404
    missing = client.get("/no-such-thing/")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)
    assert "Traceback" not in missing.get_data(as_text=True)


def test_sidebar_has_categories_with_counts_recent_posts_and_months(client, ctx):
    society = make_category("Society")
    make_post("Libraries", categories=[society], published_at=datetime(2025, 5, 1, tzinfo=UTC))
    make_post("Parks", categories=[society], published_at=datetime(2025, 6, 1, tzinfo=UTC))
    # Neither a draft nor a post not yet due counts.
    make_post("Plans", categories=[society], status=PostStatus.DRAFT)
    make_post("Soon", categories=[society], published_at=utcnow() + timedelta(days=2))

    html = client.get("/").get_data(as_text=True)
    sidebar = html.split('<aside class="sidebar"', 1)[1]

    assert 'href="/category/society/">Society</a> (2)' in sidebar
    assert "Recent posts" in sidebar and ">Parks</a>" in sidebar
    assert 'href="/2025/06/">June 2025</a> (1)' in sidebar
    assert 'href="/2025/05/">May 2025</a> (1)' in sidebar


def test_khmer_post_has_working_slug_lang_and_font(client, ctx):
    post = make_post("ប្រជាធិបតេយ្យ និង​សង្គម​ស៊ីវិល", "សង្គម​ស៊ីវិល​ដែល​រឹងមាំ។", language="km")

    assert post.slug == "ប្រជាធិបតេយ្យ-និង-សង្គម-ស៊ីវិល"
    local = post.published_at
    response = client.get(f"/{local:%Y/%m/%d}/{post.slug}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<article class="entry entry-single" lang="km">' in html
    assert "សង្គម​ស៊ីវិល​ដែល​រឹងមាំ។" in html
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    css_url = re.search(r'href="(/static/css/site.css\?v=[0-9a-f]+)"', html).group(1)
    with client.get(css_url) as css:
        css_text = css.get_data(as_text=True)
    assert "noto-sans-khmer-khmer-400-normal.woff2" in css_text
    assert "unicode-range: U+1780-17FF" in css_text and "font-display: swap" in css_text
    with client.get("/static/fonts/noto-sans-khmer/noto-sans-khmer-khmer-400-normal.woff2") as font:
        assert font.status_code == 200 and font.data[:4] == b"wOF2"


def test_static_files_have_fingerprinted_urls_cached_for_a_year(client, ctx):
    make_post("Anything")
    html = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/css/site.css\?v=([0-9a-f]{12}))"', html).group(1)

    with client.get(url) as response:
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=31536000" in response.headers["Cache-Control"]


def test_page_has_landmarks_and_skip_link(client, ctx):
    make_post("Landmarks")
    html = client.get("/").get_data(as_text=True)
    for landmark in (
        '<header class="site-header">',
        "<nav",
        '<main id="content"',
        "<aside",
        "<footer",
        "<article",
    ):
        assert landmark in html
    assert '<a class="skip-link" href="#content">Skip to content</a>' in html


@pytest.mark.parametrize("posts", [11, 1000])
def test_listing_and_post_pages_use_constant_queries(app, client, count_queries, posts, ctx):
    authors = [make_user(f"a{i}") for i in range(3)]
    categories = [make_category(f"Cat {i}") for i in range(4)]
    tags = [make_tag(f"tag {i}") for i in range(3)]
    start = utcnow() - timedelta(days=posts)
    for i in range(posts):
        make_post(
            f"Post {i}",
            author=authors[i % 3],
            categories=categories[: 1 + i % 4],
            tags=tags[: i % 3],
            published_at=start + timedelta(hours=i),
            commit=False,
        )
    db.session.commit()
    client.get("/")  # warm the sidebar cache, as a running site has it

    pages = ["/", "/page/2/", "/category/cat-0/", "/tag/tag-1/", "/author/a1/", f"/{start:%Y}/"]
    counts = {}
    for url in pages:
        with count_queries() as q:
            assert client.get(url).status_code == 200, url
        counts[url] = q.count
    last = db.session.scalar(db.select(db.func.max(db.text("id"))).select_from(db.text("posts")))
    from blogapp.models import Post

    post = db.session.get(Post, last)
    permalink = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
    client.get(permalink)  # warm the cached comment rules too (60 s), as a running site has them
    with count_queries() as q:
        assert client.get(permalink).status_code == 200
    counts["post"] = q.count

    assert all(n <= 5 for n in counts.values()), counts


def _translated_and_corrected(notes: int, languages: list[str]):
    """A post with ``notes`` corrections and versions in ``languages``, all linked."""
    from blogapp.corrections.services import add_note
    from blogapp.translations.services import link

    start = utcnow() - timedelta(days=10)
    post = make_post("Measured", "Text.", published_at=start)
    for i in range(notes):
        add_note(post, "correction", f"Fix number {i}.", None)
    for i, language in enumerate(languages):
        link(
            post,
            make_post(
                f"Version {language}",
                "Text.",
                language=language,
                published_at=start + timedelta(hours=i + 1),
            ),
        )
    db.session.commit()
    return post


@pytest.mark.parametrize(("notes", "languages"), [(1, ["km"]), (6, ["km", "fr", "de", "th"])])
def test_corrections_and_translations_cost_the_same_few_queries_whatever_their_number(
    app, client, count_queries, notes, languages, ctx
):
    """A post with notes and linked versions: one query for both more than a bare post,
    whatever their number; none more at all once its worker keeps them."""
    app.config["CLOCK"] = FakeClock()  # the worker's trust in its content version holds
    post = _translated_and_corrected(notes, languages)
    permalink = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
    bare = make_post("Bare", "Text.", published_at=post.published_at - timedelta(days=1))
    bare_link = f"/{bare.published_at:%Y/%m/%d}/{bare.slug}/"
    client.get("/")  # warm the sidebar and the comment rules, as a running site has them
    with count_queries() as plain:
        html = client.get(bare_link).get_data(as_text=True)
    with count_queries() as q:
        html = client.get(permalink).get_data(as_text=True)
    assert html.count('class="entry-note ') == notes
    # the head names every version and x-default; the switch links the others, and the
    # header links the page in the interface's other language
    assert html.count('hreflang="') == (len(languages) + 2) + len(languages) + 1
    assert q.count == plain.count + 1 <= 6, q.statements
    # The listing that shows the post does not look at its notes or versions.
    with count_queries() as listing:
        assert client.get("/").status_code == 200
    assert listing.count <= 5
