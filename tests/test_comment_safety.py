"""Comments for readers who take a risk (issue 33): e-mail optional, the lockdown
switch for a bad day, and previewing a comment without JavaScript."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from blogapp import clock as app_clock
from blogapp.comments import lockdown
from blogapp.comments.settings import CommentSettings, load_settings, save_settings
from blogapp.content_version import CHANGES_AT
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.models import AuditEntry, CommentStatus, ModerationEvent, Setting
from blogapp.site_settings import forget_stored_settings
from tests.factories import make_post, make_user
from tests.helpers import (
    BROWSER_POST,
    csrf_token_from,
    open_form,
    post_comment,
    recognise,
    stored_comments,
    url_of,
)


def page(client, post) -> str:
    response = client.get(url_of(post))
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- e-mail optional ------------------------------------------------------------------


def test_without_the_setting_an_address_is_required(client, ctx):
    post = make_post()
    response = post_comment(client, post, "No address.", email="")
    assert response.status_code == 400
    assert "Please enter your email address." in response.get_data(as_text=True)
    assert stored_comments() == []


def test_email_optional_holds_a_comment_without_one_and_says_what_it_costs(app, client, ctx):
    save_settings(CommentSettings(email_optional=True, auto_approve_known=True))
    post = make_post()
    html = page(client, post)
    assert "Without it your comment always waits for a moderator" in html
    email_field = (
        html.split('name="author_email"')[0].rsplit("<input", 1)[1]
        + html.split('name="author_email"')[1].split(">")[0]
    )
    assert "required" not in email_field

    assert post_comment(client, post, "Anonymous, and safer.", email="").status_code == 302
    [comment] = stored_comments()
    assert (comment.author_email, comment.status) == ("", CommentStatus.PENDING)
    assert post_comment(client, post, "Bad address.", email="not-an-address").status_code == 400


# -- lockdown -------------------------------------------------------------------------


def switch(client, mode: str, until: str = ""):
    form = client.get("/admin/").get_data(as_text=True)
    return client.post(
        "/admin/comments/lockdown",
        headers=BROWSER_POST,
        data={"csrf_token": csrf_token_from(form), "mode": mode, "until": until},
    )


def local(moment) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_lockdown_that_closes_shows_a_notice_and_ends_by_itself(
    app, client, clock, login_as, ctx
):
    post = make_post()
    reader = app.test_client()
    assert 'id="commentform"' in page(reader, post)
    fields = open_form(reader, post)  # a page read before the switch
    editor = login_as(make_user("editor", role="editor"))
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Comments lockdown" in dashboard

    ends = app_clock.now() + timedelta(hours=2)
    assert switch(client, "close", local(ends)).status_code == 302
    # The kept page is drawn again at once: the switch wrote a setting.
    during = page(reader, post)
    assert "Comments are closed on the whole site for a while." in during
    assert 'id="commentform"' not in during
    fields.update(author_name="Dara", author_email="dara@example.org", body="From an old page.")
    refused = reader.post(f"/comments/post/{post.id}", data=fields, headers=BROWSER_POST)
    assert refused.status_code == 403
    assert "closed on the whole site" in refused.get_data(as_text=True)
    # Who pressed the switch, and when: the audit log.
    entries = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.table_name == "settings", AuditEntry.label == lockdown.MODE_KEY
        )
    ).all()
    assert entries and entries[0].actor_login == editor.login

    clock.advance(hours=2, minutes=1)
    after = page(reader, post)  # no job ran: the version carried the end
    assert 'id="commentform"' in after
    assert "for a while" not in after


def test_a_lockdown_that_holds_keeps_the_form_and_holds_even_known_commenters(
    app, client, clock, login_as, ctx
):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    reader = app.test_client()
    recognise(reader, "dara@example.org")
    login_as(make_user("editor", role="editor"))
    switch(client, "hold", local(app_clock.now() + timedelta(hours=1)))
    html = page(reader, post)
    assert "Comments are being held for moderation for a while." in html
    assert 'id="commentform"' in html
    assert post_comment(reader, post, "Known, but held today.").status_code == 302
    assert stored_comments()[-1].status == CommentStatus.PENDING
    summary = db.session.scalar(
        select(ModerationEvent.comment_summary).order_by(ModerationEvent.id.desc()).limit(1)
    )
    assert summary.endswith("[lockdown: every new comment is held]")

    clock.advance(hours=1, minutes=1)
    assert "for a while" not in page(reader, post)
    assert post_comment(reader, post, "Known again.").status_code == 302
    assert stored_comments()[-1].status == CommentStatus.APPROVED


def test_the_switch_refuses_a_time_in_the_past_and_ends_on_demand(app, client, login_as, ctx):
    login_as(make_user("editor", role="editor"))
    past = local(app_clock.now() - timedelta(hours=1))
    follow = client.post(
        "/admin/comments/lockdown",
        headers=BROWSER_POST,
        follow_redirects=True,
        data={
            "csrf_token": csrf_token_from(client.get("/admin/").get_data(as_text=True)),
            "mode": "close",
            "until": past,
        },
    )
    assert "a time in the future" in follow.get_data(as_text=True)
    assert lockdown_in_force(app) is None
    switch(client, "close", "2999-01-01T00:00")
    assert lockdown_in_force(app).closes
    switch(client, "off")
    assert lockdown_in_force(app) is None


def lockdown_in_force(app):
    with app.test_request_context():
        forget_stored_settings()  # the test's app context: its g outlives one request
        return lockdown.current()


def test_the_content_version_knows_the_lockdown_key():
    assert lockdown.UNTIL_KEY in CHANGES_AT


# -- preview --------------------------------------------------------------------------


def test_preview_shows_the_cleaned_comment_refills_the_form_and_stores_nothing(app, client, ctx):
    post = make_post()
    form = open_form(client, post)
    form.update(
        author_name="Dara",
        author_email="dara@example.org",
        body="**Bold** claim <script>alert(1)</script> and https://example.org",
    )
    response = client.post(f"/comments/post/{post.id}/preview", data=form, headers=BROWSER_POST)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    preview = html.split('id="comment-preview"')[1].split('id="respond"')[0]
    # As a stored comment is cleaned: the address made a link, the script made text.
    assert 'href="https://example.org" rel="nofollow ugc noopener"' in preview
    assert "<script>" not in preview and "&lt;script&gt;" in preview
    assert 'value="dara@example.org"' in html and "**Bold** claim" in html  # refilled
    assert stored_comments() == []
    # The refilled form still posts.
    assert (
        client.post(f"/comments/post/{post.id}", data=form, headers=BROWSER_POST).status_code == 302
    )


def test_preview_of_an_empty_comment_says_what_is_missing(app, client, ctx):
    post = make_post()
    form = open_form(client, post)
    form.update(author_name="Dara", author_email="dara@example.org", body="  ")
    response = client.post(f"/comments/post/{post.id}/preview", data=form, headers=BROWSER_POST)
    assert response.status_code == 400
    assert "Please type a comment." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_settings_screen_keeps_the_new_rules(client, login_as, ctx):
    login_as(make_user("boss", role="admin"))
    form = client.get("/admin/comments/settings").get_data(as_text=True)
    client.post(
        "/admin/comments/settings",
        data={
            "csrf_token": csrf_token_from(form),
            "email_optional": "y",
            "reports_to_hide": "5",
            "link_limit": "2",
            "close_after_days": "0",
        },
    )
    db.session.expire_all()
    settings = load_settings()
    assert (settings.email_optional, settings.reports_to_hide) == (True, 5)
    assert db.session.get(Setting, "comments.email_optional").value == "1"
