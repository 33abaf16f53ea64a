"""One place decides that readers' content changed: every admin and moderation
write reaches a reader's next page on the same worker at once, and on another
worker (its own page cache, sidebar and threads) within the documented bound,
with every cache on. No writer calls anything by hand."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import template_rendered
from PIL import Image
from sqlalchemy import select, update

from blogapp import create_app
from blogapp.auth.passwords import set_password
from blogapp.content_version import FLOOR_BUCKETS, POSTS_KEPT, VERSION_KEY, Changes, Versions
from blogapp.extensions import db
from blogapp.models import (
    ROLE_ADMIN,
    Comment,
    CommentStatus,
    Correction,
    Media,
    Setting,
    User,
    utcnow,
)
from tests.conftest import BASE_CONFIG
from tests.factories import make_category, make_comment, make_page, make_post, make_tag, make_user
from tests.helpers import FakeClock, csrf_token_from, url_of

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"


@dataclass
class Blog:
    post: object
    page: object
    category: object
    tag: object
    author: object
    approved: object
    pending: object
    old_post: object
    khmer_post: object  # not linked with post until a write links them


@pytest.fixture
def blog(app, ctx) -> Blog:
    author = make_user("sokha", display_name="Sokha Writer")
    category = make_category("Opinion")
    tag = make_tag("Courts")
    post = make_post(
        "Judges and the press",
        author=author,
        categories=[category],
        tags=[tag],
        slug="judges-and-the-press",
    )
    old = make_post("An old op-ed", published_at=utcnow() - timedelta(days=40))
    return Blog(
        post=post,
        page=make_page("About", "Who writes here."),
        category=category,
        tag=tag,
        author=author,
        approved=make_comment(post, "First approved words."),
        pending=make_comment(post, "Words held for review.", status=CommentStatus.PENDING),
        old_post=old,
        khmer_post=make_post("តុលាការ និង សារព័ត៌មាន", "អត្ថបទ។", language="km"),
    )


@pytest.fixture
def admin(client, login_as, ctx):
    return login_as(make_user("boss", role=ROLE_ADMIN))


@pytest.fixture
def other_worker(database_url, tmp_path, ctx):
    """A second worker on the same database, with its own memory and its own clock."""
    clock = FakeClock()
    worker = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    worker.config["CLOCK"] = clock
    yield worker, clock
    with worker.app_context():
        db.engine.dispose()


def send(client, url: str, form_url: str | None = None, **data):
    token = csrf_token_from(client.get(form_url or url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **data})
    assert response.status_code in (302, 303), (url, response.status_code)
    return response


def edit_post(client, post, **fields):
    data = {
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "content_format": "markdown",
        "excerpt": "",
        "tags": "Courts",
        "language": "en",
        "source_line": "",
        "status": "published",
        "comment_mode": "open",
        "action": "save",
        "categories": [str(c.id) for c in post.categories] or [],
    }
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    shown = re.search(r'name="publish_at"[^>]*value="([^"]*)"', page)
    data["publish_at"] = shown.group(1) if shown else ""
    data.update(fields)
    send(client, f"/admin/posts/{post.id}/edit", **data)


def comment_action(client, comment, action):
    send(client, f"/admin/comments/{comment.id}/{action}", "/admin/comments?status=all")


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


# Each write: (what it does as an admin, the page a reader opens, what the reader sees after).
def w_post(c, b, r):
    db.session.refresh(b.post, ["categories"])
    edit_post(c, b.post, title="Judges, the press and the public")
    return "/", lambda html: "Judges, the press and the public" in html


def w_page(c, b, r):
    send(
        c,
        f"/admin/pages/{b.page.id}/edit",
        title="About us",
        slug="about",
        body="Two writers, one desk.",
        content_format="markdown",
        language="en",
        status="published",
        menu_order="0",
    )
    return "/about/", lambda html: "Two writers, one desk." in html


def w_category(c, b, r):
    send(
        c,
        f"/admin/categories/{b.category.id}/edit",
        name="Opinion and Analysis",
        slug="opinion",
        parent_id="0",
        description="",
    )
    return url_of(b.post), lambda html: "Opinion and Analysis" in html


def w_tag_rename(c, b, r):
    send(c, f"/admin/tags/{b.tag.id}/edit", name="Judiciary", slug="courts")
    return url_of(b.post), lambda html: "Judiciary" in html


def w_tag_delete(c, b, r):
    send(c, f"/admin/tags/{b.tag.id}/delete", "/admin/tags/")
    return url_of(b.post), lambda html: "/tag/courts/" not in html


def w_display_name(c, b, r):
    send(
        c,
        f"/admin/users/{b.author.id}/edit",
        email=b.author.email,
        display_name="Sokha Chan",
        role="editor",
        is_active_account="y",
    )
    return url_of(b.post), lambda html: "Sokha Chan" in html


def w_approve(c, b, r):
    comment_action(c, b.pending, "approve")
    return url_of(b.post), lambda html: "Words held for review." in html


def w_unapprove(c, b, r):
    comment_action(c, b.approved, "unapprove")
    return url_of(b.post), lambda html: "First approved words." not in html


def w_spam(c, b, r):
    comment_action(c, b.approved, "spam")
    return url_of(b.post), lambda html: "First approved words." not in html


def w_trash(c, b, r):
    comment_action(c, b.approved, "trash")
    return url_of(b.post), lambda html: "First approved words." not in html


def w_comment_edit(c, b, r):
    send(
        c,
        f"/admin/comments/{b.approved.id}/edit",
        author_name="Reader",
        author_email="reader@example.org",
        author_url="",
        body="Corrected words.",
    )
    return url_of(b.post), lambda html: "Corrected words." in html


def w_settings(c, b, r):
    send(
        c,
        "/admin/comments/settings",
        auto_approve_known="",
        blocklist_words="",
        moderation_words="",
        link_limit="2",
        close_after_days="30",
    )
    return url_of(b.old_post), lambda html: "Comments are closed." in html


def w_redirect(c, b, r):
    old = url_of(b.post)
    db.session.refresh(b.post, ["categories"])
    edit_post(c, b.post, slug="judges-press")
    return old, lambda html: html.startswith("->") and "judges-press" in html


def w_upload(c, b, r):
    token = csrf_token_from(c.get("/admin/media/").get_data(as_text=True))
    response = c.post(
        "/admin/media/",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(jpeg()), "harbour.jpg"),
            "alt": "Harbour",
            "caption": "",
            "credit": "",
        },
    )
    assert response.status_code == 302
    name = db.session.scalar(select(Media.filename))
    return f"/uploads/{name}", lambda html: html.startswith("200")


def w_import(c, b, r):
    result = r.invoke(args=["import-wxr", str(FIXTURES / "full.xml")])
    assert result.exit_code == 0, result.output
    return "/", lambda html: "ប្រជាធិបតេយ្យ និង ការបោះឆ្នោត" in html


def w_correction(c, b, r):
    send(
        c,
        f"/admin/posts/{b.post.id}/corrections",
        f"/admin/posts/{b.post.id}/edit",
        kind="correction",
        body="The hearing was on Tuesday.",
    )
    return url_of(b.post), lambda html: "The hearing was on Tuesday." in html


def w_correction_change(c, b, r):
    w_correction(c, b, r)
    note = db.session.scalar(select(Correction.id))
    send(
        c,
        f"/admin/posts/{b.post.id}/corrections/{note}",
        f"/admin/posts/{b.post.id}/edit",
        kind="update",
        body="The hearing was on Wednesday.",
    )
    return url_of(b.post), lambda html: "Update, <time" in html and "on Wednesday." in html


def w_translation(c, b, r):
    send(
        c,
        f"/admin/posts/{b.post.id}/translations",
        f"/admin/posts/{b.post.id}/edit",
        other_id=str(b.khmer_post.id),
    )
    return url_of(b.post), lambda html: 'hreflang="km"' in html


WRITES = [
    w_post,
    w_page,
    w_category,
    w_tag_rename,
    w_tag_delete,
    w_display_name,
    w_approve,
    w_unapprove,
    w_comment_edit,
    w_spam,
    w_trash,
    w_settings,
    w_redirect,
    w_upload,
    w_import,
    w_correction,
    w_correction_change,
    w_translation,
]


def read(client, url: str) -> str:
    response = client.get(url)
    if response.status_code in (301, 302):
        return "->" + response.headers["Location"]
    try:
        if url.startswith("/uploads/"):
            return str(response.status_code)
        return response.get_data(as_text=True)
    finally:
        response.close()


def version() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__[2:] for w in WRITES])
def test_every_admin_write_reaches_readers_on_this_and_another_worker(
    app, client, runner, blog, admin, other_worker, write, ctx
):
    worker_b, clock_b = other_worker
    here, there = app.test_client(), worker_b.test_client()
    # Both workers have rendered and kept what readers see before the change.
    for reader in (here, there):
        for url in ("/", url_of(blog.post), url_of(blog.old_post), "/about/"):
            read(reader, url)
    before = version()

    url, shows_change = write(client, blog, runner)

    assert version() != before
    assert shows_change(read(here, url)), "this worker serves the old page"
    clock_b.advance(worker_b.config["CONTENT_VERSION_CACHE_SECONDS"] + 0.01)
    assert shows_change(read(there, url)), "another worker still serves the old page"


# -- what does not change readers' pages keeps the caches ------------------------------


def test_a_held_comment_and_private_changes_keep_the_version(app, client, blog, ctx):
    before = version()
    make_comment(blog.post, "Another held one.", status=CommentStatus.PENDING)
    user = db.session.get(User, blog.author.id)
    set_password(user, "a brand new passphrase")
    user.session_token = "rotated"
    db.session.commit()
    make_post("Still a draft", status="draft")
    assert version() == before


def test_a_held_comment_approved_in_bulk_sql_changes_the_version(app, blog, ctx):
    before = version()
    db.session.execute(
        update(Comment).where(Comment.id == blog.pending.id).values(status=CommentStatus.APPROVED)
    )
    db.session.commit()
    assert version() != before


def test_a_write_that_is_rolled_back_leaves_the_version(app, blog, ctx):
    before = version()
    blog.category.name = "Never saved"
    db.session.flush()
    db.session.rollback()
    make_comment(blog.post, "Held.", status=CommentStatus.PENDING)  # a later, unrelated commit
    assert version() == before


# -- how far a comment's change reaches ---------------------------------------------------

COMMENT_WRITES = [w_approve, w_unapprove, w_comment_edit, w_spam, w_trash]
# Where each shows besides post A's page and the comment feed: a comment that comes or
# goes changes A's count in the listings and the latest comments on every page.
COUNTED = {"approve", "unapprove", "spam", "trash"}


@contextmanager
def rendered_templates(app):
    """The names of the templates rendered meanwhile (Flask's own signal)."""
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def sidebar_comments(html: str) -> str:
    found = re.search(r'<section aria-labelledby="side-comments">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def sidebar_but_comments(html: str) -> str:
    """The sidebar without its latest comments, blank space aside."""
    aside = re.search(r'<aside class="sidebar".*?</aside>', html, re.S)
    assert aside, "no sidebar"
    rest = re.sub(
        r'<section aria-labelledby="side-comments">.*?</section>', "", aside.group(0), flags=re.S
    )
    return " ".join(rest.split())


@pytest.mark.parametrize("write", COMMENT_WRITES, ids=[w.__name__[2:] for w in COMMENT_WRITES])
def test_a_comment_write_reaches_every_page_showing_comments_and_no_other_post(
    app, client, runner, blog, admin, other_worker, write, ctx
):
    """Post A's page, the listings with A's count, the comment feed and every page's
    latest comments change at once on both workers; post B's kept page is not rendered
    again (only the sidebar part filled in on it changes)."""
    worker_b, clock_b = other_worker
    here, there = app.test_client(), worker_b.test_client()
    post_b = url_of(blog.old_post)
    watched = ("/", url_of(blog.post), post_b, "/comments/feed/", "/category/opinion/")
    before = {}
    for reader in (here, there):
        for url in watched:
            before[url] = read(reader, url)
    site_before = Versions.parse(version()).site

    write(client, blog, runner)

    assert Versions.parse(version()).site == site_before, "a comment moved the site version"
    clock_b.advance(worker_b.config["CONTENT_VERSION_CACHE_SECONDS"] + 0.01)
    for worker, reader in ((app, here), (worker_b, there)):
        with worker.app_context(), rendered_templates(worker) as rendered:
            after_b = read(reader, post_b)
        assert "posts/detail.html" not in rendered, "post B was rendered again"
        # Of the sidebar, only its latest comments: its counts, archives and recent posts
        # cannot change with a comment.
        assert rendered == ["_sidebar_comments.html"], rendered
        counted = write.__name__[2:] in COUNTED
        assert (sidebar_comments(after_b) != sidebar_comments(before[post_b])) == counted
        assert sidebar_but_comments(after_b) == sidebar_but_comments(before[post_b])
        changed = [url_of(blog.post), "/comments/feed/"]
        if counted:
            changed += ["/", "/category/opinion/"]
        for url in changed:
            assert read(reader, url) != before[url], f"{url} serves the old page"


def test_post_bs_kept_page_answers_a_304_only_while_its_sidebar_is_unchanged(
    app, client, blog, admin, ctx
):
    reader = app.test_client()
    first = reader.get(url_of(blog.old_post))
    etag = first.headers["ETag"]
    assert reader.get(url_of(blog.old_post), headers={"If-None-Match": etag}).status_code == 304
    comment_action(client, blog.pending, "approve")
    again = reader.get(url_of(blog.old_post), headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert "Words held for review." not in again.get_data(as_text=True)  # B's own page
    assert reader.get(url_of(blog.old_post)).get_data() == again.get_data()


def test_a_comment_approved_in_sql_without_its_id_changes_everything(app, blog, ctx):
    site_before = Versions.parse(version()).site
    db.session.execute(
        update(Comment)
        .where(Comment.body == "Words held for review.")
        .values(status=CommentStatus.APPROVED)
    )
    db.session.commit()
    assert Versions.parse(version()).site != site_before


def test_a_comment_approved_in_sql_by_id_changes_only_its_posts_comments(app, blog, ctx):
    start = Versions.parse(version())
    db.session.execute(
        update(Comment).where(Comment.id == blog.pending.id).values(status=CommentStatus.APPROVED)
    )
    db.session.commit()
    now = Versions.parse(version())
    assert now.site == start.site and now.comments != start.comments
    assert now.of_post(blog.post.id) != start.of_post(blog.post.id)
    assert now.of_post(blog.old_post.id) == start.of_post(blog.old_post.id)


def test_a_post_that_falls_out_of_the_kept_list_never_gets_an_old_version_back():
    versions = Versions.parse("start")
    seen = {1: {versions.of_post(1)}}
    for n in range(2, POSTS_KEPT + 3):
        before = versions.of_post(1)
        versions = versions.after(Changes(posts={1} if n == 2 else {n}), f"w{n}", f"t{n}")
        if versions.of_post(1) != before:
            assert versions.of_post(1) not in seen[1]
            seen[1].add(versions.of_post(1))
    assert len(versions.posts) == POSTS_KEPT
    assert versions.of_post(1) not in ("start", versions.floor)
    assert len(seen[1]) == 3  # the first, its own change, its bucket's floor after it fell out
    assert Versions.parse(versions.stored()) == versions


def test_a_post_falling_out_of_the_kept_list_moves_only_its_buckets_floor():
    """With comments approved all over a large site the list is always full: each
    approval must not re-render the pages of every post outside it (issue 35)."""
    versions = Versions.parse("start").after(Changes(posts=set(range(1, POSTS_KEPT + 1))), "w", "t")
    quiet = [p for p in range(1000, 1000 + 3 * FLOOR_BUCKETS) if p % FLOOR_BUCKETS != 1]
    before = {p: versions.of_post(p) for p in (*quiet, 1 + FLOOR_BUCKETS)}
    versions = versions.after(Changes(posts={5000}), "w2", "t2")  # post 1 falls out
    assert 1 not in dict(versions.posts)
    assert all(versions.of_post(p) == before[p] for p in quiet)
    # Post 1's bucket moves, so that post 1 never gets the floor it had before.
    assert versions.of_post(1 + FLOOR_BUCKETS) != before[1 + FLOOR_BUCKETS]
    assert Versions.parse(versions.stored()) == versions
    # A worker of the code before buckets reads the floor field whole: a new floor.
    assert versions.stored().split("|")[3].startswith("start~")
    # A floor field this code did not write is taken whole, as that code took it.
    for odd in ("start~x!", "start~1.2"):
        assert Versions.parse(f"a|b|c|{odd}|d|").of_post(7) == odd


def test_a_post_edit_re_renders_pages_but_keeps_counts_and_threads(
    app, client, runner, blog, admin, ctx
):
    """A title fixed: every page shows it (the listings, the sidebar's recent posts on
    another post), but no thread is rendered again and the structure version stays."""
    reader = app.test_client()
    make_comment(blog.old_post, "A word on the old op-ed.")
    for url in ("/", url_of(blog.post), url_of(blog.old_post)):
        read(reader, url)
    before = Versions.parse(version())

    db.session.refresh(blog.post, ["categories"])
    edit_post(client, blog.post, title="Judges, the press and the public")

    after = Versions.parse(version())
    assert after.site != before.site and after.structure == before.structure
    with rendered_templates(app) as rendered:
        page_b = read(reader, url_of(blog.old_post))
    assert "posts/detail.html" in rendered and "comments/_thread.html" not in rendered
    assert "_sidebar.html" in rendered  # its recent posts show the title
    assert "A word on the old op-ed." in page_b
    assert "Judges, the press and the public" in page_b  # the sidebar's recent posts
    assert "Judges, the press and the public" in read(reader, "/")


def test_a_category_renamed_moves_the_structure(app, client, blog, admin, ctx):
    before = Versions.parse(version())
    w_category(client, blog, None)
    assert Versions.parse(version()).structure != before.structure


def test_the_stored_row_reads_the_same_back_and_keeps_the_time_where_it_was():
    """After the first space comes only the next scheduled post's time, as the
    version before scopes reads it (a rolling restart has both at once)."""
    versions = Versions.parse("start 1900000000").after(
        Changes(posts={3, 5}), "new 1900000000", "t"
    )
    stored = versions.stored()
    assert stored.partition(" ")[2] == "1900000000"
    assert Versions.parse(stored) == versions
    assert versions.of_post(3) == "t" and versions.of_post(4) == "start"


def test_a_listing_without_the_post_stays_kept_when_its_comment_is_approved(
    app, client, blog, admin, ctx
):
    """A listing depends on the comments of the posts it shows (their counts) only."""
    other = make_category("Letters")
    letter = make_post("A letter from Battambang", categories=[other])
    make_comment(letter, "A reply to the letter.")
    reader = app.test_client()
    listing = "/category/letters/"
    kept = read(reader, listing)

    comment_action(client, blog.pending, "approve")

    with rendered_templates(app) as rendered:
        again = read(reader, listing)
    assert rendered == ["_sidebar_comments.html"], "a listing without the post was rendered again"
    assert "A letter from Battambang" in again and "1 comment" in again
    assert sidebar_comments(again) != sidebar_comments(kept)  # the part is current
    with rendered_templates(app) as rendered:
        home = read(reader, "/")
    assert "posts/index.html" in rendered  # home shows the post whose count changed
    assert "2 comments" in home
