"""Identity that cannot be typed in (issue 33): only a comment sent from a browser
that confirmed its address through a mailed link counts as "known". Through a real
SMTP server, as readers and a moderator would."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from blogapp.comments import keys, services
from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.extensions import db
from blogapp.models import Comment, CommenterKey, CommentStatus
from blogapp.privacy.services import erase
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from, open_form, recognise, url_of
from tests.helpers_mail import Inbox, SMTPServer, deliver, links_in, path_of

A = "sokha@example.org"


@pytest.fixture
def inbox(app, clock, ctx):
    handler = Inbox()
    with SMTPServer(handler) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        yield handler


@pytest.fixture
def moderator(ctx):
    return make_user("mod", display_name="Moderator", email="mod@example.org")


def send(client, post, body, *, name="Sokha", email=A, remember=False):
    form = open_form(client, post)
    form.update(author_name=name, author_email=email, body=body)
    if remember:
        form["remember_browser"] = "y"
    response = client.post(f"/comments/post/{post.id}", data=form, headers=BROWSER_POST)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    comment = db.session.scalars(select(Comment).order_by(Comment.id.desc()).limit(1)).one()
    db.session.commit()
    return comment


def confirm_from_mail(client, inbox) -> object:
    """The reader opens the mailed link (a page), then presses its button (a POST)."""
    deliver()
    [mail] = inbox.to(A)
    inbox.messages.clear(), inbox.recipients.clear()
    [link] = [path_of(u) for u in links_in(mail) if "/mail/confirm/" in u]
    looked = client.get(link)
    assert looked.status_code == 200
    assert keys.COOKIE not in str(looked.headers)  # the GET gives no key
    return client.post(link)


def test_the_impersonation_chain_fails(app, inbox, moderator, clock, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    reader_a, reader_b = app.test_client(), app.test_client()

    # A asks to be recognised; held first, mailed a link once a moderator approves.
    first = send(reader_a, post, "My first comment.", remember=True)
    assert first.status == CommentStatus.PENDING
    deliver()
    assert inbox.to(A) == []  # nothing mailed for a held comment
    assert services.approve(db.session.get(Comment, first.id), moderator)
    pressed = confirm_from_mail(reader_a, inbox)
    assert pressed.status_code == 200
    cookie = pressed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/comments/post/" in cookie
    key = reader_a.get_cookie(keys.COOKIE, path=keys.COOKIE_PATH).value
    # Only its hash is stored.
    assert db.session.scalar(select(CommenterKey.key_hash)) == keys.key_hash(key) != key

    # The browser sends the key with the comment form's POST only: pages stay the same
    # bytes for everyone.
    assert keys.COOKIE not in reader_a.get(url_of(post)).request.cookies
    assert keys.COOKIE not in reader_a.get("/").request.cookies

    # A is known on this browser: approved at once.
    known = send(reader_a, post, "Back again.")
    assert (known.status, known.known_browser) == (CommentStatus.APPROVED, True)

    # B types A's name and address from another browser: held, and not "known".
    forged = send(reader_b, post, "I am Sokha, honestly.")
    assert (forged.status, forged.known_browser) == (CommentStatus.PENDING, False)

    # A clears their cookies: held until they confirm again through a mailed link.
    reader_a.delete_cookie(keys.COOKIE, path=keys.COOKIE_PATH)
    again = send(reader_a, post, "New laptop.", remember=True)
    assert again.status == CommentStatus.PENDING
    clock.advance(hours=25)  # one confirmation mail per address a day
    assert services.approve(db.session.get(Comment, again.id), moderator)
    assert confirm_from_mail(reader_a, inbox).status_code == 200
    assert send(reader_a, post, "Recognised again.").status == CommentStatus.APPROVED


def test_a_key_counts_only_for_its_own_address(app, client, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    recognise(client, A)
    assert send(client, post, "Another name.", email="other@example.org").status == (
        CommentStatus.PENDING
    )
    assert send(client, post, "Mine.").status == CommentStatus.APPROVED


def test_the_moderation_queue_says_confirmed_and_known(
    app, client, inbox, moderator, login_as, ctx
):
    post = make_post()
    first = send(client, post, "Ask me.", remember=True)
    services.approve(db.session.get(Comment, first.id), moderator)
    confirm_from_mail(client, inbox)
    send(client, post, "From my browser.")  # held: auto-approve is off
    send(app.test_client(), post, "Same address, elsewhere.")
    login_as(moderator)
    queue = client.get("/admin/comments?status=pending").get_data(as_text=True)
    assert queue.count("confirmed address") == 2
    assert queue.count("known on this browser") == 1
    # The public page names neither.
    page = app.test_client().get("/").get_data(as_text=True)
    assert "known on this browser" not in page and "confirmed address" not in page


def test_erasing_the_reader_forgets_their_browsers(app, client, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    recognise(client, A)
    erase(A)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CommenterKey)) == 0
    assert send(client, post, "Still me?").status == CommentStatus.PENDING


def manage_link_from(page) -> str:
    """The "your subscriptions" link on the page a pressed confirmation link answers."""
    [link] = re.findall(r'href="([^"]*/mail/subscriptions/[^"]+)"', page.get_data(as_text=True))
    return path_of(link)


def keys_of(address: str) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(CommenterKey).where(CommenterKey.email == address)
    )


def test_a_commenter_key_expires_after_the_days_set(app, client, clock, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    app.config["COMMENTER_KEY_DAYS"] = 30
    post = make_post()
    recognise(client, A)

    clock.advance(days=29, hours=23)
    assert send(client, post, "Still recognised.").status == CommentStatus.APPROVED
    clock.advance(hours=2)
    late = send(client, post, "A month and a bit later.")
    assert (late.status, late.known_browser) == (CommentStatus.PENDING, False)


def test_the_cookie_lasts_as_long_as_the_key_and_flask_prune_deletes_expired_keys(
    app, client, inbox, moderator, clock, runner, ctx
):
    app.config["COMMENTER_KEY_DAYS"] = 30
    post = make_post()
    first = send(client, post, "Recognise me.", remember=True)
    services.approve(db.session.get(Comment, first.id), moderator)
    pressed = confirm_from_mail(client, inbox)
    assert f"Max-Age={30 * 24 * 3600}" in pressed.headers["Set-Cookie"]
    recognise(app.test_client(), "other@example.org")

    clock.advance(days=20)
    recognise(app.test_client(), A)  # a second browser, confirmed later
    clock.advance(days=11)
    result = runner.invoke(args=["prune"])
    assert "Deleted 2 commenter key(s) older than 30 day(s)." in result.output
    assert keys_of(A) == 1 and keys_of("other@example.org") == 0


def test_a_reader_forgets_their_browsers_from_their_subscriptions_page(
    app, client, inbox, moderator, ctx
):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    first = send(client, post, "Recognise me.", remember=True)
    services.approve(db.session.get(Comment, first.id), moderator)
    manage = manage_link_from(confirm_from_mail(client, inbox))
    laptop = app.test_client()
    recognise(laptop, A)
    recognise(app.test_client(), "someone-else@example.org")
    assert send(laptop, post, "From my laptop.").status == CommentStatus.APPROVED

    page = client.get(manage)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 browsers recognise you" in text
    assert "Forget my browsers" in text
    assert keys_of(A) == 2  # the page only shows

    # Without the form's CSRF token (a page elsewhere posting to the link): nothing.
    [forget_path] = re.findall(r'<form method="post" action="([^"]+)">\s*<input[^>]*csrf', text)
    forged = app.test_client().post(forget_path, headers=BROWSER_POST)
    assert forged.status_code == 400
    assert keys_of(A) == 2

    pressed = client.post(forget_path, data={"csrf_token": csrf_token_from(text)})
    assert pressed.status_code == 200
    assert "No browser recognises you now" in pressed.get_data(as_text=True)
    # This browser's cookie goes too; the other address's keys stay.
    assert f"{keys.COOKIE}=;" in pressed.headers["Set-Cookie"]
    assert "Path=/comments/post/" in pressed.headers["Set-Cookie"]
    assert keys_of(A) == 0 and keys_of("someone-else@example.org") == 1

    held = send(laptop, post, "Still me, on the laptop.")
    assert (held.status, held.known_browser) == (CommentStatus.PENDING, False)
    after = client.get(manage).get_data(as_text=True)
    assert "Forget my browsers" not in after
