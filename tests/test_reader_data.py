"""A commenter's own data (issue 19), through a real SMTP server: "Send me my data"
and "Delete everything I wrote here" answer the same for any address, mail a link
whose page only shows a button, and its POST exports (JSON) or erases, as the admin
chose, once; the erasure is logged and readers see it at once. And the privacy page."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from blogapp.comments.services import summarize
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, AuditEntry, Comment, MailSubscriber, ModerationEvent, Post
from tests.factories import make_comment, make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from, url_of
from tests.helpers_mail import deliver, links_in, path_of

DARA = "dara@example.org"


@pytest.fixture
def discussed(ctx):
    post = make_post("Water rights")
    first = make_comment(
        post,
        "Dams upstream change everything.",
        author_name="Dara Sok",
        author_email="Dara@Example.org",
    )
    db.session.add(
        ModerationEvent(comment_id=first.id, action="approve", comment_summary=summarize(first))
    )
    make_comment(
        post, "A second thought.", author_name="Dara Sok", author_email=DARA, status="pending"
    )
    make_comment(post, "Someone else entirely.", author_name="Vanna", author_email="v@example.org")
    db.session.add(MailSubscriber(email=DARA))
    db.session.commit()
    return post


def ask(client, email: str, what: str, headers=BROWSER_POST):
    return client.post("/your-data/", data={"email": email, "what": what}, headers=headers)


def confirm_link(inbox, address=DARA) -> str:
    deliver()
    [mail] = inbox.to(address)
    [link] = [url for url in links_in(mail) if "/your-data/confirm/" in url]
    return path_of(link)


def comments() -> list[Comment]:
    db.session.expire_all()
    found = list(db.session.scalars(select(Comment).order_by(Comment.id)))
    db.session.commit()
    return found


def test_known_and_unknown_addresses_get_the_same_answer(client, inbox, clock, discussed, ctx):
    known = ask(client, DARA, "erase")
    unknown = ask(client, "nobody@example.org", "erase")

    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert known.headers["Cache-Control"] == "no-store, private"
    deliver()
    assert len(inbox.messages) == 1 and inbox.to(DARA)


def test_an_export_is_a_json_download_after_the_button(client, inbox, clock, discussed, ctx):
    ask(client, DARA, "export")
    path = confirm_link(inbox)

    page = client.get(path)
    assert page.status_code == 200 and "Download my data" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"

    download = client.post(path)

    assert download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    assert [c["text"] for c in data["comments"]] == [
        "Dams upstream change everything.",
        "A second thought.",
    ]
    assert data["comments"][0]["post"] == "Water rights"
    assert data["reply_notifications_since"] is not None
    assert client.post(path).status_code == 400  # once
    assert len(comments()) == 3  # nothing changed


def test_an_erasure_anonymizes_by_default_and_readers_see_it(client, inbox, clock, discussed, ctx):
    before = client.get(url_of(discussed)).get_data(as_text=True)
    assert "Dara Sok" in before
    ask(client, DARA, "erase")
    path = confirm_link(inbox)
    assert "Yes, do it" in client.get(path).get_data(as_text=True)
    assert "Dara Sok" in client.get(url_of(discussed)).get_data(as_text=True)  # GET: nothing

    done = client.post(path)

    assert done.status_code == 200 and "2 comment(s) anonymized" in done.get_data(as_text=True)
    mine = [c for c in comments() if c.body != "Someone else entirely."]
    assert {(c.author_name, c.author_email, c.author_ip, c.author_url) for c in mine} == {
        ("Anonymous", "", "", "")
    }
    assert [c.author_name for c in comments()].count("Vanna") == 1
    after = client.get(url_of(discussed)).get_data(as_text=True)  # the page cache is on
    assert "Dara Sok" not in after and "Dams upstream change everything." in after
    assert db.session.scalars(select(MailSubscriber)).all() == []
    [event] = db.session.scalars(select(ModerationEvent)).all()
    assert "Dara" not in event.comment_summary and "Dams" not in event.comment_summary
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert entry.action == "erase" and entry.label == "2 comments (anonymize)"
    assert "dara" not in " ".join([entry.label, entry.changes, entry.actor_login]).lower()
    # Not even a plain hash of the address, which anyone could check a guess against.
    assert hashlib.sha256(DARA.encode()).hexdigest()[:12] not in entry.changes
    assert client.post(path).status_code == 400


def test_the_admin_may_choose_deletion(client, inbox, clock, discussed, login_as, ctx):
    login_as(make_user("boss", role=ROLE_ADMIN))
    page = client.get("/admin/privacy").get_data(as_text=True)
    client.post("/admin/privacy", data={"csrf_token": csrf_token_from(page), "erasure": "delete"})
    client.post(
        "/logout",
        data={"csrf_token": csrf_token_from(client.get("/admin/").get_data(as_text=True))},
    )
    ask(client, DARA, "erase")

    client.post(confirm_link(inbox))

    assert [c.body for c in comments()] == ["Someone else entirely."]
    db.session.expire_all()
    assert db.session.get(Post, discussed.id).comment_count == 1
    page = client.get(url_of(discussed)).get_data(as_text=True)
    assert "Dams upstream" not in page and "Someone else entirely." in page


def test_the_link_expires(client, inbox, clock, discussed, ctx):
    ask(client, DARA, "erase")
    path = confirm_link(inbox)
    clock.advance(hours=25)

    assert client.post(path).status_code == 400
    assert len([c for c in comments() if c.author_name == "Dara Sok"]) == 2


def test_asking_is_throttled_and_must_come_from_this_site(client, inbox, clock, discussed, ctx):
    assert (
        ask(client, DARA, "export", headers={"Origin": "https://evil.example"}).status_code == 403
    )
    assert ask(client, "not an address", "export").status_code == 400
    answers = [ask(client, DARA, "export").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_the_privacy_page_says_what_is_kept_and_is_in_the_footer(app, client, ctx):
    app.config["COMMENT_IP_RETENTION_DAYS"] = 7
    make_post("Open")

    home = client.get("/").get_data(as_text=True)
    page = client.get("/privacy/").get_data(as_text=True)

    assert 'href="/privacy/"' in home and 'href="/your-data/"' in home
    assert "kept for 7 days" in page and "never shown" in page
    assert "No page loads anything from another site" in page
    assert "is kept for 7 days, then deleted" in page  # mail: never longer than the IP


def test_the_privacy_page_says_how_long_mail_is_kept(app, client, ctx):
    app.config.update(COMMENT_IP_RETENTION_DAYS=30, MAIL_KEEP_DAYS=3)
    page = client.get("/privacy/").get_data(as_text=True)
    assert "and IP address) is kept for 3 days, then deleted" in page


def test_with_no_retention_the_page_says_no_address_is_stored(app, client, ctx):
    app.config["COMMENT_IP_RETENTION_DAYS"] = 0
    assert "are not stored" in client.get("/privacy/").get_data(as_text=True)
