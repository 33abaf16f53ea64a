"""``flask export-static DIR``: the demo site exported, served by a plain static server
(Python's http.server on loopback) and crawled as a reader's browser would follow it;
then exported again, and again after one new post."""

from __future__ import annotations

import hashlib
import random
import re
import threading
from collections import deque
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import lxml.html
import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Category, Post, PostStatus, Redirect, Tag, User
from blogapp.permalinks import post_url
from blogapp.post_queries import post_terms
from blogapp.seo.related import _query_neighbours, keep_neighbours, post_neighbours
from blogapp.static_export import export as export_module
from blogapp.static_export.export import _Renderer, is_plain
from blogapp.static_export.inventory import load_inventory
from blogapp.static_export.related import Relations
from blogapp.static_export.rewrite import CopySite, placed, rewrite_fragment, rewrite_page
from tests.factories import make_category, make_comment, make_post, make_profile, make_tag

ORIGIN = "localhost"  # SITE_URL is http://localhost in the tests' settings
KHMER_SLUG = "សេរីភាព-សារព័ត៌មាន"


@pytest.fixture
def app_config() -> dict:
    # Deep pages (here /page/2/ on) are limited per address, as in production; the
    # export asks for all of them at once and must not be turned away.
    return {"DEEP_PAGES_FROM": 2, "DEEP_PAGE_RATE_LIMIT": "1 per hour"}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the crawl makes hundreds of requests
        pass


@pytest.fixture
def static_server():
    """Serve a folder with Python's http.server: ``with static_server(folder) as base``."""
    servers = []

    def start(folder: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def demo(app, runner, ctx):
    """The demo content, a post with a Khmer slug, and a comment on it."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    author = db.session.scalars(select(User).where(User.login == "sokha")).one()
    khmer = make_post("សេរីភាព​សារព័ត៌មាន", "អត្ថបទ​ខ្លី។", author=author, language="km", slug=KHMER_SLUG)
    make_comment(khmer, "A reply that the copy shows.")
    with app.test_request_context():
        db.session.add(Redirect(old_path="/an-old-address/", new_path=post_url(khmer)))
    db.session.commit()
    return khmer


def export(runner, folder: Path, *args: str) -> str:
    result = runner.invoke(args=["export-static", str(folder), *args])
    assert result.exit_code == 0, result.output
    return result.output


def manifest(folder: Path) -> dict[str, str]:
    lines = (folder / "MANIFEST.txt").read_text("utf-8").splitlines()
    found = dict(reversed(line.split("  ", 1)) for line in lines)
    assert list(found) == sorted(found)
    return found


def files_on_disk(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("MANIFEST.txt", ".export-state.json")
    }


def links_of(page: lxml.html.HtmlElement) -> list[str]:
    found = []
    for element in page.iter():
        for name in ("href", "src"):
            if isinstance(element.tag, str) and element.get(name):
                found.append(element.get(name))
        for candidate in (element.get("srcset") or "").split(","):
            if candidate.strip():
                found.append(candidate.strip().split(" ")[0])
    return found


def crawl(base: str) -> dict[str, bytes]:
    """Every page and file reachable from the front page: URL -> body. Fails on any
    internal link that does not answer 200."""
    seen: dict[str, bytes] = {}
    queue = deque([base])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        try:
            with urlopen(url) as response:
                assert response.status == 200, url
                body = response.read()
        except HTTPError as error:
            raise AssertionError(f"{url} answered {error.code}") from error
        seen[url] = body
        if not urlsplit(url).path.endswith((".html", "/")):
            continue
        page = lxml.html.document_fromstring(body)
        for link in links_of(page):
            target, _ = urldefrag(urljoin(url, link))
            if target.startswith(base) and target not in seen:
                queue.append(target)
    return seen


def test_the_copy_is_a_whole_browsable_site_on_a_plain_static_server(
    app, runner, demo, tmp_path, static_server
):
    folder = tmp_path / "copy"
    export(runner, folder)
    base = static_server(folder)
    pages = crawl(base)

    public = db.session.scalars(select(Post).where(Post.public())).all()
    with app.test_request_context():
        paths = {post_url(p) for p in public}
        for path in paths:  # every post, reached by the crawl
            assert base + path.lstrip("/") in pages, path
        assert any(quote(KHMER_SLUG) in p for p in paths)
    for name in (
        "category/politics/asia/cambodia/",
        "tag/elections/",
        "author/sokha/",
        "2026/12/",
        "feed/index.xml",
        "feed/atom/index.xml",
        "sidebar.html",
        "privacy/",
    ):
        assert base + name in pages, name
    # Every file of the copy answers at its URL, reached by a link or not (the year
    # archive, robots.txt, the sitemap, 404.html).
    listed = manifest(folder)
    assert {"2026/index.html", "about/index.html", "robots.txt", "sitemap.xml", "404.html"} <= set(
        listed
    )
    for path in listed:
        url = base + quote(path.removesuffix("index.html"))
        if url not in pages:
            with urlopen(url) as response:
                assert response.status == 200
    # The Khmer slug's percent-encoded URL, as browsers send it, maps to its file.
    khmer = db.session.scalars(select(Post).where(Post.slug == KHMER_SLUG)).one()
    with app.test_request_context():
        khmer_path = post_url(khmer)
    assert "%E1%9E" in khmer_path
    with urlopen(base + khmer_path.lstrip("/")) as response:
        assert "A reply that the copy shows." in response.read().decode()
    assert (folder / khmer_path.lstrip("/").replace(quote(KHMER_SLUG), KHMER_SLUG)).is_dir()

    # An old link that moved (the redirects table) sends the browser on.
    with urlopen(base + "an-old-address/") as response:
        moved = lxml.html.document_fromstring(response.read())
    (refresh,) = moved.xpath("//meta[@http-equiv='refresh']/@content")
    assert urljoin(base + "an-old-address/", refresh.split("url=", 1)[1]) == base + khmer_path[1:]

    main_site_links = 0
    for url, body in pages.items():
        if not url.endswith(("/", ".html")):
            continue
        page = lxml.html.document_fromstring(body)
        assert page.xpath("//form") == [], f"{url} has a form"
        listed = page.xpath("//a[@class='main-site']")
        for link in listed:
            assert urlsplit(link.get("href")).netloc == ORIGIN
        main_site_links += len(listed)
        # No other mention of the origin's host: not in links, meta tags or JSON-LD.
        assert body.count(f"//{ORIGIN}".encode()) == len(listed), url
    assert main_site_links > len(public)  # a comment link per post, a search link per page
    for path in (folder.rglob("*.xml"), [folder / "robots.txt"]):
        for file in path:
            assert f"//{ORIGIN}" not in file.read_text("utf-8"), file

    with urlopen(base + khmer_path.lstrip("/")) as response:
        post_page = lxml.html.document_fromstring(response.read())
    (comment_link,) = post_page.xpath("//div[@id='respond']//a[@class='main-site']")
    assert comment_link.get("href") == f"http://{ORIGIN}{khmer_path}#respond"
    (search_link,) = post_page.xpath("//p[contains(@class, 'search-elsewhere')]/a")
    assert search_link.get("href") == f"http://{ORIGIN}/?s="


def test_base_url_makes_every_link_absolute_on_the_mirror(runner, demo, tmp_path):
    folder = tmp_path / "copy"
    export(
        runner,
        folder,
        "--base-url",
        "https://mirror.example.net/blog/",
        "--main-site",
        "http://blogxyz.onion",
    )
    feed = (folder / "feed" / "index.xml").read_text("utf-8")
    assert "https://mirror.example.net/blog/20" in feed
    assert f"//{ORIGIN}" not in feed
    robots = (folder / "robots.txt").read_text("utf-8")
    assert "Sitemap: https://mirror.example.net/blog/sitemap.xml" in robots
    front = lxml.html.document_fromstring((folder / "index.html").read_bytes())
    assert front.xpath("//link[@rel='canonical']/@href") == ["https://mirror.example.net/blog/"]
    search = [a.get("href") for a in front.xpath("//a[@class='main-site']")]
    assert search == [f"http://{ORIGIN}/?s=", "http://blogxyz.onion/?s="]
    # A post's share links share the mirror's address of the post.
    post_file = next(p for p in folder.glob("20*/*/*/*/index.html"))
    post = lxml.html.document_fromstring(post_file.read_bytes())
    address = "https://mirror.example.net/blog/" + str(post_file.parent.relative_to(folder)) + "/"
    assert post.xpath("//section[@class='share']//input/@value") == [address]
    (facebook,) = post.xpath("//section[@class='share']//a[contains(@href, 'facebook')]/@href")
    assert facebook.endswith(
        "u=https%3A//mirror.example.net/blog/"
        + quote(str(post_file.parent.relative_to(folder)))
        + "/"
    )


def test_the_copy_sends_readers_to_every_address_of_the_mirrors_list(runner, demo, tmp_path):
    result = runner.invoke(
        args=[
            "mirrors",
            "set",
            "http://blogxyz.onion",
            "https://opeds.example.org",
            "https://mirror.example.net/blog",
        ]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "copy"
    export(runner, folder, "--base-url", "https://mirror.example.net/blog/")
    front = lxml.html.document_fromstring((folder / "index.html").read_bytes())
    search = [a.get("href") for a in front.xpath("//a[@class='main-site']")]
    # The live site first, then the list; never the copy's own address.
    assert search == [
        f"http://{ORIGIN}/?s=",
        "http://blogxyz.onion/?s=",
        "https://opeds.example.org/?s=",
    ]


def test_exporting_twice_gives_the_same_bytes_and_rewrites_nothing(runner, demo, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    export(runner, first)
    export(runner, second)
    assert (first / "MANIFEST.txt").read_bytes() == (second / "MANIFEST.txt").read_bytes()
    assert files_on_disk(first) == files_on_disk(second) == manifest(first)

    output = export(runner, first)
    assert "0 files written, 0 removed" in output, output


def test_after_one_new_post_only_the_pages_that_show_it_are_rewritten(app, runner, demo, tmp_path):
    folder = tmp_path / "copy"
    export(runner, folder)
    before = manifest(folder)
    mtimes = {path: (folder / path).stat().st_mtime_ns for path in before}

    cambodia = db.session.scalars(select(Category).where(Category.slug == "cambodia")).one()
    rivers = db.session.scalars(select(Tag).where(Tag.slug == "rivers")).one()
    new = make_post("A new post about the river", "Words.", categories=[cambodia], tags=[rivers])
    output = export(runner, folder)
    after = manifest(folder)

    # The result is what a full export of the new content writes, byte for byte.
    fresh = tmp_path / "fresh"
    export(runner, fresh)
    assert after == manifest(fresh) == files_on_disk(folder)

    changed = {path for path, sha in after.items() if before.get(path) != sha}
    untouched = {path for path in before if path not in changed}
    rewritten = {path for path in untouched if (folder / path).stat().st_mtime_ns != mtimes[path]}
    assert rewritten == set()  # no file was written again with the same bytes
    with app.test_request_context():
        new_path = post_url(new).lstrip("/")
    assert f"{new_path}index.html" in changed
    assert {
        "index.html",
        "sidebar.html",
        "feed/index.xml",
        "sitemap.xml",
        "category/politics/asia/cambodia/index.html",
        "tag/rivers/index.html",
        "category/politics/index.html",
    } <= changed
    # Pages that do not show the new post are neither rendered nor written.
    assert "tag/schools/index.html" not in changed
    assert "about/index.html" not in changed
    assert f"{len(changed)} files written, 0 removed" in output
    assert len(changed) < len(after) / 3
    rendered = int(output.split(" pages rendered")[0].rsplit(" ", 1)[1])
    assert rendered < len(after) / 2


def test_a_post_taken_down_leaves_the_copy_as_a_full_export_would(app, runner, demo, tmp_path):
    folder = tmp_path / "copy"
    export(runner, folder)
    post = db.session.scalars(select(Post).where(Post.slug == "the-price-of-rice")).one()
    with app.test_request_context():
        gone = post_url(post).lstrip("/")
    before = manifest(folder)
    assert f"{gone}index.html" in before
    post.status = PostStatus.DRAFT
    db.session.commit()

    output = export(runner, folder)
    fresh = tmp_path / "fresh"
    export(runner, fresh)
    assert manifest(folder) == manifest(fresh) == files_on_disk(folder)
    assert not (folder / gone).exists()
    removed = set(before) - set(manifest(folder))
    # Its page and comments feed (and its day's archive when it was that day's only post).
    assert {f"{gone}index.html", f"{gone}feed/index.xml"} <= removed
    assert removed <= {f"{gone}index.html", f"{gone}feed/index.xml", gone[:11] + "index.html"}
    assert f"{len(removed)} removed" in output


def test_every_upload_and_its_sizes_are_copied(app, runner, demo, tmp_path):
    uploads = Path(app.config["UPLOAD_FOLDER"])
    uploads.mkdir(parents=True, exist_ok=True)
    for name in ("0123456789abcdef01234567.jpg", "0123456789abcdef01234567-thumb.jpg"):
        (uploads / name).write_bytes(b"not really a jpeg: " + name.encode())
    (uploads / "notes.txt").write_text("not a name the site serves")
    folder = tmp_path / "copy"
    export(runner, folder)
    listed = manifest(folder)
    assert {
        "uploads/0123456789abcdef01234567.jpg",
        "uploads/0123456789abcdef01234567-thumb.jpg",
    } <= set(listed)
    assert "uploads/notes.txt" not in listed


def test_the_share_cards_pages_name_are_in_the_copy(runner, demo, tmp_path):
    assert runner.invoke(args=["cards", "draw"]).exit_code == 0
    folder = tmp_path / "copy"
    export(runner, folder)
    listed = manifest(folder)

    cards = {path for path in listed if path.startswith("uploads/cards/")}
    assert cards, "the copy holds no share card"
    home = (folder / "index.html").read_text(encoding="utf-8")
    card = r'property="og:image" content="[^"]*?(uploads/cards/[0-9a-f]{32}\.png)"'
    named = re.findall(card, home)
    assert named and set(named) <= cards


def test_an_address_that_climbs_out_of_the_folder_is_left_out(runner, demo, tmp_path, ctx):
    # An author slug stored by an older import: the site's URL keeps "../" as it is.
    climber = make_profile("Climber", slug="../../escaped")
    make_post("By an odd login", "Words.", bylines=[climber])
    folder = tmp_path / "inside" / "copy"
    output = export(runner, folder)
    assert "Left out /author/../../escaped/" in output
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "inside" / "escaped").exists()
    assert all(is_plain(path) for path in manifest(folder))


def test_the_export_ranks_every_posts_neighbours_as_the_post_page_does(app, ctx):
    # The copy's post pages take their previous, next and related posts from the
    # export's ranking in memory, not from the site's query: they must be the same.
    rng = random.Random(7)
    categories = [make_category(f"Section {i}") for i in range(4)]
    tags = [make_tag(f"topic {i}") for i in range(6)]
    day = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    for number in range(60):
        make_post(
            "" if number % 17 == 0 else f"Post {number}",  # untitled: labelled by excerpt
            "Words.",
            excerpt=f"What post {number} says.",
            # Some share a moment, so the newest-first order falls to their ids.
            published_at=day + timedelta(hours=rng.randrange(40)),
            status=PostStatus.DRAFT if number % 13 == 0 else PostStatus.PUBLISHED,
            categories=rng.sample(categories, rng.randint(0, 2)),
            tags=rng.sample(tags, rng.randint(0, 3)),
        )
    make_post("Not yet", "Words.", published_at=datetime.now(UTC) + timedelta(days=3))
    with app.test_request_context():
        inventory = load_inventory()
        relations = Relations(inventory)
        assert len(inventory.posts) > 50
        for row in inventory.posts:
            post = db.session.get(Post, row.id)
            expected = _query_neighbours(post, post_terms(row.id))
            assert relations.neighbours(row.id) == expected, post.title


def test_several_processes_write_the_same_copy_as_one(runner, demo, tmp_path):
    one, three = tmp_path / "one", tmp_path / "three"
    export(runner, one, "--jobs", "1")
    output = export(runner, three, "--jobs", "3")
    assert files_on_disk(one) == files_on_disk(three) == manifest(three)
    assert (one / "MANIFEST.txt").read_bytes() == (three / "MANIFEST.txt").read_bytes()
    assert f"{len(manifest(three))} files written" in output


def test_the_front_page_rendered_first_in_processes_of_its_own_writes_the_same_copy(
    runner, demo, tmp_path, monkeypatch
):
    # The demo's few posts and front pages are enough for a first set of processes.
    one, two = tmp_path / "one", tmp_path / "two"
    export(runner, one, "--jobs", "1")
    monkeypatch.setattr(export_module, "NEW_SUMMARIES_FOR_PHASES", 1)
    monkeypatch.setattr(export_module, "SMALLEST_SHARE", 1)
    phases: list[int] = []  # the pages of each set of processes
    shares = export_module._shares
    monkeypatch.setattr(
        export_module, "_shares", lambda todo, jobs: phases.append(len(todo)) or shares(todo, jobs)
    )
    export(runner, two, "--jobs", "2")
    assert len(phases) == 2 and phases[0] >= 2
    assert (one / "MANIFEST.txt").read_bytes() == (two / "MANIFEST.txt").read_bytes()
    assert files_on_disk(two) == manifest(two)


def test_the_neighbours_the_export_keeps_are_the_ones_the_post_page_reads(app, ctx):
    # The export hands each post page the neighbours it ranked (keep_neighbours); a
    # page that ranked them again by query would cost the copy a tenth of its time.
    post = make_post("Kept", "Words.")
    ranked = Relations(_inventory(app)).neighbours(post.id)
    with app.test_request_context():
        keep_neighbours(post.id, ranked)
        assert post_neighbours(post, post_terms(post.id)) is ranked


def _inventory(app):
    with app.test_request_context():
        return load_inventory()


SUMMARY = (
    '<article class="entry" lang="en"><h2><a href="http://localhost/2024/01/02/one/">One</a>'
    '</h2><p>See <a href="/2024/01/03/two/">two</a>, <a href="/">home</a> and '
    '<a href="https://example.org/x">elsewhere</a>.</p>'
    '<img src="/uploads/a.jpg" srcset="/uploads/a.jpg 1x, /uploads/a-2x.jpg 2x" alt=""></article>'
)


@pytest.mark.parametrize("here", ["/", "/page/2/", "/category/a/b/page/3/"])
def test_a_summary_rewritten_once_reads_as_the_whole_page_rewritten_at_any_depth(here):
    site = CopySite(frozenset({ORIGIN}), ["http://localhost"], None)
    for path in ("/", "/2024/01/02/one/", "/uploads/a.jpg", "/uploads/a-2x.jpg", here):
        site.targets[path] = path
    page = f"<!doctype html><html><head></head><body><main>{SUMMARY}\n</main></body></html>"
    whole, _ = rewrite_page(page, site, here)
    fragment = rewrite_fragment(SUMMARY, site)
    assert fragment is not None
    assert placed(fragment.html, here).encode() in whole
    assert "two" in fragment.html and "/2024/01/03/two/" not in fragment.html  # unwrapped

    # Once the page it names is in the copy, the kept summary is no longer right.
    assert fragment.still_right(site)
    site.targets["/2024/01/03/two/"] = "/2024/01/03/two/"
    assert not fragment.still_right(site)


def test_the_export_leaves_the_sites_kept_pages_as_readers_get_them(
    app, client, runner, demo, tmp_path
):
    """The export asks for its listing pages without their summaries (it puts in its
    own): no such page may be kept for a reader, nor served to the export from a keep."""
    assert "entry-title" in client.get("/").get_data(as_text=True)  # kept for readers
    export(runner, tmp_path / "copy")
    for _ in range(2):  # rendered, then kept
        page = client.get("/").get_data(as_text=True)
        assert "data-held-summary" not in page
        assert page.count('class="entry"') >= 5
    front = (tmp_path / "copy" / "index.html").read_text("utf-8")
    assert "data-held-summary" not in front and front.count('class="entry"') >= 5


@pytest.mark.parametrize(
    "url",
    ["/", "/page/2/", "/2024/01/02/one/?cpage=3", f"/2024/01/02/{KHMER_SLUG}/", "/tag/caf%C3%A9/"],
)
def test_the_export_asks_for_each_page_as_the_test_client_would(app, url):
    """The renderer hands the app the environ Werkzeug's test client builds (no cookie,
    the client's address and agent), without the client around it."""
    renderer = _Renderer(app, None, None, None, Path("."), {}, {})  # type: ignore[arg-type]
    client = app.test_client(use_cookies=False)
    builder = client._request_from_builder_args((url,), {"base_url": app.config["SITE_URL"]})
    expected = dict(builder.environ)
    made = renderer.environ(url)
    for name in ("wsgi.input", "werkzeug.request", "werkzeug.debug.preserve_context"):
        expected.pop(name, None)
        assert made.pop(name, None) is None or name == "wsgi.input"
    assert made == expected


SIDEBAR_PAGE = (
    '<!doctype html><html><head></head><body><div class="layout"><main><p>Hi, '
    '<a href="/2024/01/02/one/">one</a></p>{extra}</main>\n  <aside class="sidebar" '
    'aria-label="Browse"><section><h2 id="side">Recent</h2><ul><li><a href="/">home</a>'
    '</li></ul></section><form class="search-form"><input name="s"></form></aside>\n  '
    "</div></body></html>"
)


@pytest.mark.parametrize("extra", ["", "<ASIDE class='sidebar'><p>a second one</p></ASIDE>"])
def test_a_page_parsed_without_its_sidebars_contents_is_copied_as_the_whole_page(
    monkeypatch, extra
):
    from blogapp.static_export import rewrite

    page = SIDEBAR_PAGE.format(extra=extra)
    emptied = rewrite._sidebar_emptied(page)
    assert (emptied == page) == bool(extra)  # a page with two asides is parsed whole
    site = CopySite(frozenset({ORIGIN}), ["http://localhost"], None)
    site.targets.update({"/": "/", "/2024/01/02/one/": "/2024/01/02/one/"})
    cut, _ = rewrite_page(page, site, "/page/2/")
    monkeypatch.setattr(rewrite, "_sidebar_emptied", lambda html: html)
    whole, _ = rewrite_page(page, site, "/page/2/")
    assert cut == whole and cut.count(b"sidebar-frame") == 1 + bool(extra)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no address at all",
        "://localhost/ at the start, then http://localhost",
        "<link>http://localhost/2024/01/02/one/</link><a href='HTTPS://LocalHost/?s=x'>",
        "httpſ://localhost/a Http://localhost/b hxttp://localhost/c https://localhost.org/d",
        "http://localhost/go?to=http://localhost/2024/01/02/one/ and http://localhost:8/x",
        "https://localhost/a://http://localhost/b",
    ],
)
def test_a_texts_addresses_are_found_where_the_pattern_finds_them(text):
    site = CopySite(frozenset({ORIGIN}), ["http://localhost"], None)
    site.targets.update({"/": "/", "/2024/01/02/one/": "/2024/01/02/one/", "/a": "/a"})
    expected = site.origin_pattern.sub(lambda match: site._text_link(match, "/feed/"), text)
    assert site.rewrite_text(text, "/feed/") == expected
