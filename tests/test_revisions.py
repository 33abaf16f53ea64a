"""The editor's desk: every save keeps a revision, any two compare as a diff, any one
can be restored, autosaves keep the writer's text without touching what readers see,
and a save based on an old version is refused rather than overwrite a colleague."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blogapp.content_version import VERSION_KEY
from blogapp.extensions import db
from blogapp.models import (
    REVISION_AUTOSAVE,
    REVISION_IMPORT,
    REVISION_RESTORE,
    REVISION_SAVE,
    Page,
    Post,
    PostStatus,
    PreviewKey,
    Revision,
    Setting,
)
from tests.factories import make_page, make_post, make_user
from tests.helpers import csrf_token_from, hidden_value

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
POST_FIELDS = {
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


@pytest.fixture
def editor(login_as, ctx):
    return login_as(make_user("writer", display_name="Sok Writer"))


def logged_in(app, user):
    """A second browser: its own client and session."""
    client = app.test_client()
    if not user.session_token:
        user.session_token = secrets.token_hex(16)
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def open_editor(client, url: str) -> dict:
    """GET the editor as a browser would: the CSRF token and the version it shows."""
    page = client.get(url).get_data(as_text=True)
    return {"csrf_token": csrf_token_from(page), "based_on": hidden_value(page, "based_on")}


def save(client, url: str, opened: dict | None = None, **fields):
    data = {**POST_FIELDS, **(opened or open_editor(client, url)), **fields}
    return client.post(url, data=data)


def revisions_of(post: Post) -> list[Revision]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Revision).where(Revision.post_id == post.id).order_by(Revision.id)
        )
    )


def version() -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))


def stored(post_id: int) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post_id)


def test_every_save_keeps_a_revision_that_the_editor_lists(client, editor, ctx):
    assert (
        save(client, "/admin/posts/new", title="Rule of law", body="First words.").status_code
        == 302
    )
    post = db.session.scalar(select(Post).where(Post.title == "Rule of law"))
    url = f"/admin/posts/{post.id}/edit"
    save(client, url, title="Rule of law", body="Second words.", excerpt="Short.")

    revisions = revisions_of(post)
    assert [(r.kind, r.body, r.author_name) for r in revisions] == [
        (REVISION_SAVE, "First words.", "Sok Writer"),
        (REVISION_SAVE, "Second words.", "Sok Writer"),
    ]
    assert revisions[1].excerpt == "Short." and revisions[1].status == PostStatus.DRAFT
    page = client.get(url).get_data(as_text=True)
    assert 'id="revisions"' in page and page.count('name="a"') == 2
    assert hidden_value(page, "based_on") == str(revisions[1].id)


def test_two_revisions_compare_as_a_readable_diff(client, editor, ctx):
    save(client, "/admin/posts/new", title="Budget", body="Line one.\nThe budget grew.\nEnd.")
    post = db.session.scalar(select(Post).where(Post.title == "Budget"))
    save(
        client,
        f"/admin/posts/{post.id}/edit",
        title="Budget day",
        body="Line one.\nThe budget shrank.\nEnd.",
    )
    first, second = revisions_of(post)

    page = client.get(f"/admin/posts/{post.id}/revisions/compare?a={second.id}&b={first.id}")

    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert "<del>grew</del><ins>shrank</ins>" in text
    assert "Budget<ins> day</ins>" in text
    assert "Line one." in text


def test_a_diff_escapes_what_the_writer_typed(client, editor, ctx):
    save(client, "/admin/posts/new", title="Tags", body="<b>bold</b>")
    post = db.session.scalar(select(Post).where(Post.title == "Tags"))
    save(client, f"/admin/posts/{post.id}/edit", title="Tags", body="<script>x()</script>")
    first, second = revisions_of(post)
    text = client.get(f"/admin/posts/{post.id}/revisions/compare?a={first.id}&b={second.id}")
    shown = text.get_data(as_text=True)
    assert "<script" not in shown and "<b>" not in shown
    assert "&lt;<del>b</del><ins>script</ins>&gt;" in shown


def test_a_restore_brings_back_the_old_text_as_a_new_revision(app, client, editor, ctx):
    save(
        client,
        "/admin/posts/new",
        title="Elections",
        body="The original argument.",
        status="published",
    )
    post = db.session.scalar(select(Post).where(Post.title == "Elections"))
    url = f"/admin/posts/{post.id}/edit"
    save(client, url, title="Elections (revised)", body="A weaker argument.", status="published")
    first, second = revisions_of(post)
    before = version()
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    response = client.post(
        f"/admin/posts/{post.id}/revisions/{first.id}/restore", data={"csrf_token": token}
    )

    assert response.status_code == 302
    post = stored(post.id)
    assert (post.title, post.body, post.status) == (
        "Elections",
        "The original argument.",
        "published",
    )
    assert "The original argument." in post.body_html
    history = revisions_of(post)
    assert [r.id for r in history[:2]] == [first.id, second.id]  # history is never rewritten
    assert history[2].kind == REVISION_RESTORE and history[2].restored_from_id == first.id
    assert version() != before  # readers see the restored text
    assert "The original argument." in app.test_client().get(
        f"/?p={post.id}", follow_redirects=True
    ).get_data(as_text=True)


def test_a_page_keeps_revisions_and_restores_too(client, editor, ctx):
    page = make_page("About us", "We write op-eds.")
    url = f"/admin/pages/{page.id}/edit"
    data = {
        "title": "About us",
        "slug": "about-us",
        "body": "We write long op-eds.",
        "content_format": "markdown",
        "language": "en",
        "status": "published",
        "menu_order": "0",
        "action": "save",
    }
    assert client.post(url, data={**data, **open_editor(client, url)}).status_code == 302
    client.post(url, data={**data, **open_editor(client, url), "body": "Third."})
    rows = list(
        db.session.scalars(
            select(Revision).where(Revision.page_id == page.id).order_by(Revision.id)
        )
    )
    assert [r.body for r in rows] == ["We write long op-eds.", "Third."]

    client.post(
        f"/admin/pages/{page.id}/revisions/{rows[0].id}/restore", data=open_editor(client, url)
    )

    db.session.expire_all()
    assert db.session.get(Page, page.id).body == "We write long op-eds."


@pytest.mark.parametrize("app_config", [{"REVISIONS_KEPT": 3}])
def test_the_revision_cap_keeps_the_newest_saves_and_autosaves_never_crowd_them_out(
    app, client, editor, ctx
):
    post = make_post("Capped", "v0", status=PostStatus.DRAFT)
    url = f"/admin/posts/{post.id}/edit"
    colleague = logged_in(app, make_user("colleague"))
    for n in range(1, 6):
        save(client, url, title="Capped", body=f"v{n}")
        colleague.post(
            f"/admin/posts/{post.id}/autosave",
            data={
                "csrf_token": open_editor(colleague, url)["csrf_token"],
                "title": "Capped",
                "body": f"colleague's draft {n}",
            },
        )

    kept = revisions_of(post)
    assert [(r.kind, r.body) for r in kept if r.kind == REVISION_SAVE] == [
        (REVISION_SAVE, "v3"),
        (REVISION_SAVE, "v4"),
        (REVISION_SAVE, "v5"),
    ]
    assert [r.body for r in kept if r.kind == REVISION_AUTOSAVE] == ["colleague's draft 5"]


def autosave(client, post: Post, **fields):
    token = open_editor(client, f"/admin/posts/{post.id}/edit")["csrf_token"]
    return client.post(
        f"/admin/posts/{post.id}/autosave",
        data={"csrf_token": token, "title": post.title, **fields},
    )


def test_an_autosave_keeps_one_per_writer_and_leaves_readers_and_their_caches_alone(
    app, client, editor, ctx
):
    post = make_post("Published piece", "What readers read.")
    reader = app.test_client()
    permalink = reader.get(f"/?p={post.id}").headers["Location"]
    assert "What readers read." in reader.get(permalink).get_data(as_text=True)
    before = version()

    first = autosave(client, post, body="Half a new paragraph")
    second = autosave(client, post, body="Half a new paragraph, and more")

    assert first.status_code == second.status_code == 200
    assert second.get_json()["saved"] is True
    rows = revisions_of(post)
    assert [(r.kind, r.body) for r in rows] == [
        (REVISION_AUTOSAVE, "Half a new paragraph, and more")
    ]
    assert stored(post.id).body == "What readers read."
    assert version() == before  # an autosave is no reason to rebuild any page
    assert "What readers read." in reader.get(permalink).get_data(as_text=True)

    # A real save of the published post does change what readers see.
    save(
        client,
        f"/admin/posts/{post.id}/edit",
        title="Published piece",
        body="What readers read now.",
        status="published",
    )
    assert version() != before
    assert [r.kind for r in revisions_of(post)] == [REVISION_SAVE]  # the save superseded it


def test_the_autosave_endpoint_refuses_a_request_without_the_csrf_token(client, editor, ctx):
    post = make_post("Guarded", "Body.", status=PostStatus.DRAFT)

    response = client.post(f"/admin/posts/{post.id}/autosave", data={"body": "Forged text"})

    assert response.status_code == 400
    assert revisions_of(post) == []
    response = client.post(
        f"/admin/posts/{post.id}/autosave",
        data={"body": "Forged text", "csrf_token": "not-the-token"},
    )
    assert response.status_code == 400 and revisions_of(post) == []


def test_opening_a_post_with_a_newer_autosave_offers_to_restore_it(client, editor, ctx):
    post = make_post("Evening draft", "Saved text.", status=PostStatus.DRAFT)
    url = f"/admin/posts/{post.id}/edit"
    save(client, url, title="Evening draft", body="Saved text.")
    autosave(client, post, body="Saved text, and an evening of work.")
    offered = revisions_of(post)[-1]

    page = client.get(url).get_data(as_text=True)
    assert 'id="autosave-offer"' in page and f"?autosave={offered.id}" in page

    restored = client.get(f"{url}?autosave={offered.id}").get_data(as_text=True)
    assert re.search(
        r"<textarea[^>]*name=\"body\"[^>]*>\s*Saved text, and an evening of work\.", restored
    )
    assert 'id="autosave-offer"' not in restored
    assert stored(post.id).body == "Saved text."  # nothing saved until Save

    save(client, url, title="Evening draft", body="Saved text, and an evening of work.")
    assert 'id="autosave-offer"' not in client.get(url).get_data(as_text=True)
    assert stored(post.id).body == "Saved text, and an evening of work."


def test_an_autosave_older_than_the_last_save_is_not_offered(app, client, editor, ctx):
    post = make_post("Shared desk", "Text.", status=PostStatus.DRAFT)
    url = f"/admin/posts/{post.id}/edit"
    colleague = logged_in(app, make_user("colleague"))
    autosave(colleague, post, body="Colleague's unsaved words")
    save(client, url, title="Shared desk", body="Saved later by the writer.")

    assert 'id="autosave-offer"' not in client.get(url).get_data(as_text=True)


def test_a_save_based_on_an_old_version_is_refused_and_shows_the_other_editors_changes(
    app, client, editor, ctx
):
    post = make_post("Two editors", "Para one.\nPara two.", status=PostStatus.DRAFT)
    url = f"/admin/posts/{post.id}/edit"
    save(client, url, title="Two editors", body="Para one.\nPara two.")
    colleague = logged_in(app, make_user("dara", display_name="Dara"))
    mine = open_editor(client, url)  # both open the same version
    theirs = open_editor(colleague, url)
    assert mine["based_on"] == theirs["based_on"]

    assert (
        save(
            colleague,
            url,
            theirs,
            title="Two editors",
            body="Para one.\nPara two, corrected by Dara.",
        ).status_code
        == 302
    )
    response = save(client, url, mine, title="Two editors", body="Para one, sharpened.\nPara two.")

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Not saved: Dara saved this post while you were editing" in page
    assert "<ins>, corrected by Dara</ins>" in page  # their change, as a diff
    assert re.search(r"name=\"body\"[^>]*>\s*Para one, sharpened\.\nPara two\.</textarea>", page)
    assert stored(post.id).body == "Para one.\nPara two, corrected by Dara."  # theirs kept
    latest = revisions_of(post)[-1]
    assert hidden_value(page, "based_on") == str(latest.id)

    # Having seen their changes, the writer merges and saves: now it goes through.
    merged = "Para one, sharpened.\nPara two, corrected by Dara."
    again = save(
        client,
        url,
        {"csrf_token": mine["csrf_token"], "based_on": str(latest.id)},
        title="Two editors",
        body=merged,
    )
    assert again.status_code == 302
    assert stored(post.id).body == merged


def test_a_post_saved_before_revisions_existed_still_catches_a_stale_save(app, client, editor, ctx):
    post = make_post("Old post", "Old text.", status=PostStatus.DRAFT)  # no revision yet
    url = f"/admin/posts/{post.id}/edit"
    colleague = logged_in(app, make_user("colleague"))
    mine, theirs = open_editor(client, url), open_editor(colleague, url)
    assert mine["based_on"] == "0"
    save(colleague, url, theirs, title="Old post", body="Their text.")

    response = save(client, url, mine, title="Old post", body="My text.")

    assert response.status_code == 409
    assert "<del>Their</del><ins>My</ins>" in response.get_data(as_text=True)
    assert stored(post.id).body == "Their text."


def test_a_page_save_based_on_an_old_version_is_refused(app, client, editor, ctx):
    page = make_page("Contact", "Write to us.")
    url = f"/admin/pages/{page.id}/edit"
    colleague = logged_in(app, make_user("colleague"))
    data = {
        "title": "Contact",
        "slug": "contact",
        "content_format": "markdown",
        "language": "en",
        "status": "published",
        "menu_order": "0",
        "action": "save",
    }
    mine, theirs = open_editor(client, url), open_editor(colleague, url)
    colleague.post(url, data={**data, **theirs, "body": "Write to the desk."})

    response = client.post(url, data={**data, **mine, "body": "Call us."})

    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Page, page.id).body == "Write to the desk."


def test_a_wordpress_import_stores_one_revision_per_post_and_page(runner, ctx):
    result = runner.invoke(args=["import-wxr", str(FIXTURES / "full.xml")])

    assert result.exit_code == 0, result.output
    posts = db.session.scalar(select(func.count()).select_from(Post))
    pages = db.session.scalar(select(func.count()).select_from(Page))
    per_post = db.session.execute(
        select(Revision.post_id, func.count())
        .where(Revision.post_id.is_not(None))
        .group_by(Revision.post_id)
    ).all()
    assert len(per_post) == posts and {n for _, n in per_post} == {1}
    assert (
        db.session.scalar(
            select(func.count()).select_from(Revision).where(Revision.page_id.is_not(None))
        )
        == pages
    )
    courts = db.session.scalar(select(Post).where(Post.wp_id == 107))
    revision = db.session.scalar(select(Revision).where(Revision.post_id == courts.id))
    assert revision.kind == REVISION_IMPORT
    assert (revision.title, revision.body) == (courts.title, courts.body)

    # Importing the same file again adds nothing, revisions included.
    runner.invoke(args=["import-wxr", str(FIXTURES / "full.xml")])
    assert db.session.scalar(select(func.count()).select_from(Revision)) == posts + pages


def test_the_first_autosave_of_a_new_post_stores_it_as_a_draft(app, client, editor, ctx):
    token = open_editor(client, "/admin/posts/new")["csrf_token"]
    nothing = client.post("/admin/posts/autosave", data={"csrf_token": token, "title": " "})
    assert nothing.get_json() == {"saved": False}
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0

    answer = client.post(
        "/admin/posts/autosave",
        data={
            "csrf_token": token,
            "title": "",
            "body": "An idea at midnight",
            "status": "published",
        },
    ).get_json()

    post = db.session.scalar(select(Post))
    assert (post.body, post.status, post.author_id) == (
        "An idea at midnight",
        PostStatus.DRAFT,
        editor.id,
    )
    assert answer["edit_url"] == f"/admin/posts/{post.id}/edit"
    assert answer["based_on"] == str(revisions_of(post)[0].id)
    # The editor now saves the post it created, based on that version.
    response = save(
        client,
        answer["edit_url"],
        {"csrf_token": token, "based_on": answer["based_on"]},
        title="Midnight",
        body="An idea at midnight, finished.",
    )
    assert response.status_code == 302
    assert stored(post.id).title == "Midnight"
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_deleting_a_post_deletes_its_revisions_and_preview_key(client, editor, ctx):
    save(client, "/admin/posts/new", title="Short-lived", body="Gone soon.")
    post = db.session.scalar(select(Post).where(Post.title == "Short-lived"))
    url = f"/admin/posts/{post.id}/edit"
    client.post(f"/admin/posts/{post.id}/share-preview", data=open_editor(client, url))
    assert revisions_of(post)

    client.post(f"/admin/posts/{post.id}/delete", data=open_editor(client, url))

    assert db.session.scalar(select(func.count()).select_from(Revision)) == 0
    assert db.session.scalar(select(func.count()).select_from(PreviewKey)) == 0


def test_revisions_of_anything_but_posts_and_pages_are_404(client, editor, ctx):
    make_post("A post", "Text.")
    assert client.get("/admin/users/1/revisions/compare?a=1").status_code == 404
