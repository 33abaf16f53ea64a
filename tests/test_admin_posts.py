"""An editor writes, previews, publishes, schedules, unpublishes and deletes posts,
and readers see exactly what is public."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.models import Post, PostStatus, Redirect, Tag, utcnow
from tests.factories import make_category, make_post, make_tag, make_user
from tests.helpers import csrf_token_from


@pytest.fixture
def editor(login_as, ctx):
    return login_as(make_user("editor1", display_name="Ed Itor"))


def editor_form(client, url="/admin/posts/new", **fields):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "title": "",
        "slug": "",
        "body": "",
        "content_format": "markdown",
        "excerpt": "",
        "tags": "",
        "language": "en",
        "source_line": "",
        "status": "draft",
        "publish_at": "",
        "comment_mode": "open",
        "action": "save",
    }
    data.update(fields)
    return client.post(url, data=data)


def stored(title: str) -> Post | None:
    db.session.expire_all()
    return db.session.scalar(select(Post).where(Post.title == title))


def reader_sees(client, post: Post) -> dict[str, bool]:
    """Where a reader finds the post: the front page, its permalink, ?p=ID."""
    local = to_local(post.published_at)
    permalink = f"/{local:%Y/%m/%d}/{post.slug}/"
    return {
        "front": post.title in client.get("/").get_data(as_text=True),
        "permalink": client.get(permalink).status_code == 200,
        "p": client.get(f"/?p={post.id}").status_code == 301,
    }


def test_publishing_scheduling_unpublishing_and_deleting_change_what_readers_see(
    app, client, editor, ctx
):
    nobody = {"front": False, "permalink": False, "p": False}
    everyone = {"front": True, "permalink": True, "p": True}
    reader = app.test_client()

    # A draft: readers see nothing.
    response = editor_form(client, title="Courts and confidence", body="Trust is **earned**.")
    assert response.status_code == 302
    post = stored("Courts and confidence")
    assert post.status == PostStatus.DRAFT
    assert post.body_html == "<p>Trust is <strong>earned</strong>.</p>"
    assert reader_sees(reader, post) == nobody

    # Published: everywhere.
    edit_url = f"/admin/posts/{post.id}/edit"
    editor_form(
        client,
        edit_url,
        title="Courts and confidence",
        body="Trust is **earned**.",
        status="published",
    )
    post = stored("Courts and confidence")
    assert post.is_public
    assert reader_sees(reader, post) == everyone

    # Back to draft (unpublished): gone again.
    editor_form(
        client, edit_url, title="Courts and confidence", body="Trust is **earned**.", status="draft"
    )
    assert reader_sees(reader, stored("Courts and confidence")) == nobody

    # Scheduled two hours ahead: not yet…
    when = to_local(utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = editor_form(
        client,
        edit_url,
        title="Courts and confidence",
        body="Trust is **earned**.",
        status="scheduled",
        publish_at=when,
    )
    assert response.status_code == 302
    post = stored("Courts and confidence")
    assert post.is_scheduled
    assert reader_sees(reader, post) == nobody
    listing = client.get("/admin/posts/?status=scheduled").get_data(as_text=True)
    assert "Courts and confidence" in listing
    # …and once its time comes it appears by itself, with no write.
    app.config["CLOCK"] = lambda: time.time() + 3 * 3600
    assert reader_sees(reader, stored("Courts and confidence")) == everyone

    # Deleted: gone, and the editor no longer finds it either.
    db.session.refresh(post)
    db.session.expunge(post)  # its values, for the reader's walk once its row is gone
    page = client.get(edit_url).get_data(as_text=True)
    response = client.post(
        f"/admin/posts/{post.id}/delete", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert stored("Courts and confidence") is None
    assert reader_sees(reader, post) == nobody
    assert client.get(edit_url).status_code == 404


def test_the_editor_saves_every_field(client, editor, ctx):
    politics = make_category("Politics")
    asia = make_category("Asia", parent=politics)
    make_tag("Rule of law")

    response = editor_form(
        client,
        title="ប្រជាធិបតេយ្យ",
        body="<p onclick='x()'>Hello</p><script>alert(1)</script>",
        content_format="html",
        excerpt="Short version.",
        categories=[str(asia.id)],
        tags="rule of law, Elections , elections",
        language="km",
        source_line="First published in The Diplomat",
        status="published",
        comment_mode="moderated",
    )

    assert response.status_code == 302
    post = stored("ប្រជាធិបតេយ្យ")
    assert post.slug == "ប្រជាធិបតេយ្យ"
    assert post.body_html == "<p>Hello</p>alert(1)"
    assert post.excerpt_html == "<p>Short version.</p>"
    assert post.language == "km"
    assert post.comment_mode == "moderated"
    assert post.source_line == "First published in The Diplomat"
    assert post.author_id == editor.id
    db.session.refresh(post)
    tags = db.session.scalars(select(Tag).order_by(Tag.slug)).all()
    assert [t.slug for t in tags] == ["elections", "rule-of-law"]  # one created, one reused
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Post published." in html
    assert (
        f'<input type="checkbox" name="categories" value="{asia.id}" checked> Asia' in html
    )  # a checkbox in the category tree (issue 32)
    assert 'value="Elections, Rule of law"' in html


def test_slug_is_suggested_unique_and_editable(client, editor, ctx):
    make_post("Same title")

    editor_form(client, title="Same title", body="Words.")
    assert stored("Same title") is not None
    second = db.session.scalars(select(Post).where(Post.title == "Same title")).all()
    assert sorted(p.slug for p in second) == ["same-title", "same-title-2"]

    editor_form(client, title="Own slug", slug="My Own Slug", body="Words.")
    assert stored("Own slug").slug == "my-own-slug"


def test_invalid_input_comes_back_with_field_errors_and_the_text_intact(client, editor, ctx):
    make_post("Taken", slug="taken")
    text = "My long draft,\nwith <em>care</em> & thought."

    duplicate = editor_form(client, title="Mine", slug="taken", body=text)
    empty = editor_form(client, title="Nothing yet", body="  ", status="published")
    bad_date = editor_form(
        client, title="When?", body=text, status="scheduled", publish_at="next tuesday-ish"
    )
    past = editor_form(
        client, title="Late", body=text, status="scheduled", publish_at="2001-01-01 10:00"
    )

    for response in (duplicate, empty, bad_date, past):
        assert response.status_code == 200
        assert "nothing was saved" in response.get_data(as_text=True)
    assert "“taken” is already used" in duplicate.get_data(as_text=True)
    assert "My long draft,\nwith &lt;em&gt;care&lt;/em&gt; &amp; thought.</textarea>" in (
        duplicate.get_data(as_text=True)
    )
    assert "Write some content before publishing." in empty.get_data(as_text=True)
    assert "Write the date and time as YYYY-MM-DD HH:MM" in bad_date.get_data(as_text=True)
    assert 'value="next tuesday-ish"' in bad_date.get_data(as_text=True)
    assert "must be in the future" in past.get_data(as_text=True)
    assert db.session.scalars(select(Post.title)).all() == ["Taken"]


def test_preview_shows_the_sanitized_post_without_saving(client, editor, ctx):
    response = editor_form(
        client,
        title="Draft idea",
        body="Hi <script>alert(1)</script>*there*",
        action="preview",
        tags="Ideas",
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="entry-title">Draft idea</h1>' in html
    assert "<p>Hi alert(1)<em>there</em></p>" in html
    assert "<script>" not in html
    assert "Nothing has been saved yet" in html
    assert 'rel="tag">Ideas</a>' in html
    assert response.headers["Cache-Control"] == "private, no-store"
    assert stored("Draft idea") is None
    assert db.session.scalar(select(Tag)) is None
    # "Back to editing" sends the text back to the editor, unchanged.
    token = csrf_token_from(html)
    back = client.post(
        "/admin/posts/new",
        data={
            "csrf_token": token,
            "title": "Draft idea",
            "body": "Hi *there*",
            "status": "draft",
            "content_format": "markdown",
            "language": "en",
            "comment_mode": "open",
            "action": "edit",
        },
    )
    assert "Hi *there*</textarea>" in back.get_data(as_text=True)
    assert stored("Draft idea") is None


def test_changing_a_published_posts_slug_leaves_a_redirect(client, editor, ctx):
    post = make_post("Old name", slug="old-name", author=editor)
    old_url = f"/{to_local(post.published_at):%Y/%m/%d}/old-name/"

    editor_form(
        client,
        f"/admin/posts/{post.id}/edit",
        title="New name",
        slug="new-name",
        body="Some words.",
        status="published",
    )

    moved = client.get(old_url)
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/new-name/")
    assert db.session.scalar(select(Redirect.old_path)) == old_url
    assert stored("New name").published_at == post.published_at  # the date did not move


def test_posts_list_filters_searches_and_paginates(client, editor, ctx):
    other = make_user("other")
    politics = make_category("Politics")
    make_post("Budget politics", author=editor, categories=[politics])
    make_post("Rice harvest", author=other)
    make_post("A draft on budgets", author=other, status=PostStatus.DRAFT)
    for n in range(21):
        make_post(f"Filler {n:02d}", author=other, status=PostStatus.DRAFT)

    def listed(query=""):
        return client.get("/admin/posts/" + query).get_data(as_text=True)

    assert "Budget politics" in listed(f"?category={politics.id}")
    assert "Rice harvest" not in listed(f"?category={politics.id}")
    assert "Rice harvest" not in listed(f"?author={editor.id}")
    assert "Budget politics" in listed("?q=budget")
    assert "A draft on budgets" in listed("?q=budget")
    assert "Rice harvest" not in listed("?q=budget")
    assert "Budget politics" not in listed(f"?status={PostStatus.DRAFT}")
    assert "Page 1 of 2 (24 posts)" in listed()
    assert "Page 2 of 2" in listed("?page=2")
    assert client.get("/admin/posts/?page=9").status_code == 404


def test_posts_list_runs_a_constant_number_of_queries(client, editor, count_queries, ctx):
    politics = make_category("Politics")
    for n in range(5):
        make_post(f"Post {n}", author=editor, categories=[politics])
    client.get("/admin/posts/")
    with count_queries() as few:
        client.get("/admin/posts/")
    for n in range(15):
        make_post(f"More {n}", author=make_user(), categories=[politics])
    with count_queries() as many:
        client.get("/admin/posts/")
    assert many.count == few.count


def test_dashboard_counts_posts_by_status(client, editor, ctx):
    make_post("Live one")
    make_post("Live two")
    make_post("Soon", published_at=utcnow() + timedelta(days=1))
    make_post("Idea", status=PostStatus.DRAFT)

    html = client.get("/admin/").get_data(as_text=True)

    assert "<strong>2</strong> Published" in html
    assert "<strong>1</strong> Scheduled" in html
    assert "<strong>1</strong> Drafts" in html
    assert "Idea" in html  # recent activity


def test_published_post_keeps_its_date_when_edited(client, editor, ctx):
    post = make_post(
        "Dated", published_at=utcnow() - timedelta(days=3, seconds=17), status=PostStatus.PUBLISHED
    )
    before = post.published_at
    edit_url = f"/admin/posts/{post.id}/edit"
    html = client.get(edit_url).get_data(as_text=True)
    shown = to_local(before).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{shown}"' in html

    editor_form(
        client, edit_url, title="Dated", body="Changed words.", status="published", publish_at=shown
    )

    assert stored("Dated").published_at == before
