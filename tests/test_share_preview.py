"""Share-preview links: a draft, pending or scheduled post read by anyone holding the
link, never indexed or kept by any cache, revocable, and leading to the permalink
once the post is public."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from blogapp.content import render_post
from blogapp.content_version import VERSION_KEY
from blogapp.extensions import db
from blogapp.models import PostStatus, PreviewKey, Setting, utcnow
from tests.factories import make_post, make_user
from tests.helpers import csrf_token_from, url_of


@pytest.fixture
def editor(login_as, ctx):
    return login_as(make_user("writer"))


def make_link(client, post) -> str:
    token = csrf_token_from(client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))
    response = client.post(f"/admin/posts/{post.id}/share-preview", data={"csrf_token": token})
    assert response.status_code == 302
    return shown_link(client, post)


def shown_link(client, post) -> str | None:
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    found = re.search(r'id="share-link"[^>]*value="([^"]+)"', page)
    return html.unescape(found.group(1)).removeprefix("http://localhost") if found else None


def revoke(client, post) -> None:
    token = csrf_token_from(client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))
    client.post(f"/admin/posts/{post.id}/share-preview/revoke", data={"csrf_token": token})


def version() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))


def test_a_share_link_shows_a_draft_to_a_reader_who_is_not_logged_in(app, client, editor, ctx):
    post = make_post("Unpublished scoop", "The **draft** text.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    reader = app.test_client()

    response = reader.get(link)

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Unpublished scoop" in text and "<strong>draft</strong>" in text
    assert "this post is not published yet" in text
    assert '<meta name="robots" content="noindex, nofollow, noarchive">' in text
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the token stays here
    assert "ETag" not in response.headers and "Set-Cookie" not in response.headers
    assert 'name="csrf_token"' not in text  # no comment form, no newsletter form


def test_a_preview_is_never_served_from_the_page_cache(app, client, editor, ctx):
    post = make_post("Moving draft", "First text.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    reader = app.test_client()
    assert "First text." in reader.get(link).get_data(as_text=True)

    post.body = "Second text."
    render_post(post)
    db.session.commit()  # a draft's change makes no new content version

    assert "Second text." in reader.get(link).get_data(as_text=True)


def test_a_revoked_link_opens_nothing_and_a_new_link_differs(app, client, editor, ctx):
    post = make_post("Embargoed", "Not yet.", status=PostStatus.PENDING)
    old = make_link(client, post)
    reader = app.test_client()
    assert reader.get(old).status_code == 200

    revoke(client, post)

    response = reader.get(old)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "private, no-store"
    assert shown_link(client, post) is None
    new = make_link(client, post)
    assert new != old
    assert reader.get(new).status_code == 200 and reader.get(old).status_code == 404


def test_a_link_to_a_post_now_public_redirects_to_its_permalink(app, client, editor, ctx):
    post = make_post("Soon out", "Text.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    post.status = "published"
    post.published_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    response = app.test_client().get(link)

    assert response.status_code == 301
    assert response.headers["Location"] == url_of(post)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_scheduled_post_can_be_shared_and_sharing_it_changes_no_content_version(
    app, client, editor, ctx
):
    post = make_post(
        "Tomorrow's column", "Embargoed until tomorrow.", published_at=utcnow() + timedelta(days=1)
    )
    assert post.is_scheduled
    before = version()

    link = make_link(client, post)

    assert version() == before  # the key is admin data: no page needs rebuilding
    response = app.test_client().get(link)
    assert response.status_code == 200 and "it is scheduled for" in response.get_data(as_text=True)


@pytest.mark.parametrize("status", ["published", PostStatus.PRIVATE])
def test_public_and_private_posts_get_no_share_link(app, client, editor, status, ctx):
    post = make_post("Not for sharing", "Text.", status=status)
    token = csrf_token_from(client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))

    client.post(f"/admin/posts/{post.id}/share-preview", data={"csrf_token": token})

    assert db.session.scalar(select(PreviewKey)) is None
    assert shown_link(client, post) is None


def test_a_private_post_with_an_old_link_is_not_shown(app, client, editor, ctx):
    post = make_post("Turned private", "Text.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    post.status = PostStatus.PRIVATE
    db.session.commit()
    assert app.test_client().get(link).status_code == 404


def test_a_forged_or_damaged_link_is_404(app, client, editor, ctx):
    post = make_post("Draft", "Text.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    reader = app.test_client()
    assert reader.get(link[:-3]).status_code == 404
    assert reader.get("/preview/eyJwIjoxLCJuIjoieCJ9.forged").status_code == 404


def test_making_and_revoking_a_link_are_posts_with_the_csrf_token(app, client, editor, ctx):
    post = make_post("Draft", "Text.", status=PostStatus.DRAFT)
    assert client.get(f"/admin/posts/{post.id}/share-preview").status_code == 405
    assert client.post(f"/admin/posts/{post.id}/share-preview").status_code == 400
    assert db.session.scalar(select(PreviewKey)) is None
    make_link(client, post)
    assert client.post(f"/admin/posts/{post.id}/share-preview/revoke").status_code == 400
    assert db.session.scalar(select(PreviewKey)) is not None


def test_a_preview_runs_a_constant_small_number_of_queries(app, client, editor, count_queries, ctx):
    post = make_post("Counted", "Text.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    reader = app.test_client()
    reader.get(link)  # the sidebar and settings are kept after the first page

    with count_queries() as queries:
        assert reader.get(link).status_code == 200

    assert queries.count <= 4, queries.statements


def save(client, post, **fields):
    """The editor's Save button on the post's edit page."""
    url = f"/admin/posts/{post.id}/edit"
    data = {
        "csrf_token": csrf_token_from(client.get(url).get_data(as_text=True)),
        "title": post.title,
        "slug": post.slug,
        "body": post.body,
        "excerpt": "",
        "content_format": "markdown",
        "tags": "",
        "language": "en",
        "source_line": "",
        "status": "draft",
        "publish_at": "",
        "comment_mode": "open",
        "action": "save",
    }
    data.update(fields)
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_a_link_dies_once_its_post_is_published_and_stays_dead_after_unpublishing(
    app, client, editor, ctx
):
    post = make_post("Back and forth", "First words.", status=PostStatus.DRAFT)
    link = make_link(client, post)
    reader = app.test_client()
    save(client, post, status="published")
    assert reader.get(link).status_code == 301  # as documented: on to the permalink

    save(client, post, status="draft")

    assert reader.get(link).status_code == 404
    assert shown_link(client, post) is None


def test_a_scheduled_posts_link_dies_after_its_time_came_and_it_went_back_to_draft(
    app, client, editor, clock, ctx
):
    post = make_post("Embargo", "Soon.", published_at=utcnow() + timedelta(hours=1))
    link = make_link(client, post)
    reader = app.test_client()
    clock.advance(hours=2)  # public by itself, with no write
    assert reader.get(link).status_code == 301

    save(client, post, status="draft")

    assert reader.get(link).status_code == 404


def test_a_draft_saved_again_keeps_its_link(app, client, editor, ctx):
    post = make_post("Still a draft", "Words.", status=PostStatus.DRAFT)
    link = make_link(client, post)

    save(client, post, body="More words.")

    assert app.test_client().get(link).status_code == 200
