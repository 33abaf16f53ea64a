"""Categories (nested) and tags, and pages, managed from the admin screens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Category, Page, Post, Tag
from tests.factories import make_category, make_page, make_post, make_tag, make_user
from tests.helpers import csrf_token_from


@pytest.fixture
def editor(login_as, ctx):
    return login_as(make_user())


def post_form(client, url, page_url=None, **data):
    token = csrf_token_from(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def categories_of(post_id: int) -> list[str]:
    db.session.expire_all()
    post = db.session.scalar(
        select(Post).where(Post.id == post_id).options(db.selectinload(Post.categories))
    )
    return [c.name for c in post.categories]


def test_create_rename_and_reparent_categories(client, editor, ctx):
    response = post_form(
        client, "/admin/categories/", name="Politics", slug="", parent_id="0", description=""
    )
    assert response.status_code == 302
    politics = db.session.scalar(select(Category).where(Category.slug == "politics"))
    post_form(
        client,
        "/admin/categories/",
        name="Asia",
        slug="",
        parent_id=str(politics.id),
        description="",
    )
    asia = db.session.scalar(select(Category).where(Category.slug == "asia"))
    assert asia.parent_id == politics.id

    response = post_form(
        client,
        f"/admin/categories/{asia.id}/edit",
        name="South-East Asia",
        slug="sea",
        parent_id="0",
        description="Region",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (asia.name, asia.slug, asia.parent_id) == ("South-East Asia", "sea", None)
    make_post("Rice", categories=[asia])
    assert client.get("/category/sea/").status_code == 200


def test_a_category_cannot_move_inside_itself(client, editor, ctx):
    top = make_category("Top")
    middle = make_category("Middle", parent=top)
    bottom = make_category("Bottom", parent=middle)

    page = client.get(f"/admin/categories/{top.id}/edit").get_data(as_text=True)
    assert f'value="{bottom.id}"' not in page  # not even offered
    response = post_form(
        client,
        f"/admin/categories/{top.id}/edit",
        name="Top",
        slug="top",
        parent_id=str(bottom.id),
        description="",
    )

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Category, top.id).parent_id is None


def test_deleting_a_category_with_posts_asks_where_they_go(client, editor, ctx):
    politics = make_category("Politics")
    economy = make_category("Economy")
    opinion = make_category("Opinion")
    child = make_category("Cambodia", parent=politics)
    both = make_post("Both", categories=[politics, opinion])
    only = make_post("Only", categories=[politics])

    page = client.get(f"/admin/categories/{politics.id}/delete").get_data(as_text=True)
    assert "2 posts are in this category" in page
    assert "Move its posts to" in page
    missing = post_form(client, f"/admin/categories/{politics.id}/delete")
    assert missing.status_code == 400
    assert "Choose the category its posts move to." in missing.get_data(as_text=True)

    politics_id = politics.id  # its row goes: keep the id, not the object
    response = post_form(client, f"/admin/categories/{politics_id}/delete", move_to=str(economy.id))

    assert response.status_code == 302
    assert db.session.get(Category, politics_id) is None
    assert categories_of(both.id) == ["Economy", "Opinion"]
    assert categories_of(only.id) == ["Economy"]
    assert db.session.get(Category, child.id).parent_id is None
    assert client.get("/category/politics/").status_code == 404


def test_tags_create_rename_delete(client, editor, ctx):
    post_form(client, "/admin/tags/", name="Rule of law", slug="")
    tag = db.session.scalar(select(Tag))
    assert tag.slug == "rule-of-law"
    post = make_post("Tagged", tags=[tag, make_tag("Courts")])

    post_form(client, f"/admin/tags/{tag.id}/edit", name="Rule of Law", slug="law")
    db.session.expire_all()
    assert (tag.name, tag.slug) == ("Rule of Law", "law")
    assert client.get("/tag/law/").status_code == 200

    tag_id = tag.id  # its row goes: keep the id, not the object
    post_form(client, f"/admin/tags/{tag_id}/delete", "/admin/tags/")
    assert db.session.get(Tag, tag_id) is None
    db.session.expire_all()
    kept = db.session.scalar(
        select(Post).where(Post.id == post.id).options(db.selectinload(Post.tags))
    )
    assert [t.name for t in kept.tags] == ["Courts"]


def test_pages_are_written_published_and_moved(client, editor, ctx):
    response = post_form(
        client,
        "/admin/pages/new",
        title="About",
        slug="",
        body="We *write*.",
        content_format="markdown",
        language="en",
        status="published",
        menu_order="0",
        action="save",
    )
    assert response.status_code == 302
    assert "<em>write</em>" in client.get("/about/").get_data(as_text=True)
    page = db.session.scalar(select(Page))

    post_form(
        client,
        f"/admin/pages/{page.id}/edit",
        title="About us",
        slug="about-us",
        body="We *write*.",
        content_format="markdown",
        language="en",
        status="published",
        menu_order="0",
        action="save",
    )

    moved = client.get("/about/")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/about-us/")


def test_a_page_cannot_take_an_address_the_site_uses(client, editor, ctx):
    make_page("Existing", "Words.")

    response = post_form(
        client,
        "/admin/pages/new",
        title="Admin",
        slug="admin",
        body="x",
        content_format="markdown",
        language="en",
        status="draft",
        menu_order="0",
        action="save",
    )

    assert "an address the site itself uses" in response.get_data(as_text=True)
    assert db.session.scalar(select(Page.title).where(Page.slug == "admin")) is None
