"""The newsletter through a real SMTP server on loopback (aiosmtpd): double opt-in,
one answer whatever the address, the per-language split, a scheduled post sent once
when its time passes, RFC 8058 one-click unsubscribe, and a bouncing address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from blogapp.extensions import db
from blogapp.models import (
    NewsletterSend,
    NewsletterStatus,
    NewsletterSubscriber,
    OutboxMessage,
    OutboxStatus,
    utcnow,
)
from tests.conftest import on_postgres
from tests.factories import make_post
from tests.helpers import BROWSER_POST
from tests.helpers_mail import (
    Inbox,
    SMTPServer,
    deliver,
    links_in,
    path_of,
    raw_header,
    text_of,
)


class RefusingInbox(Inbox):
    """Refuses the addresses in ``refused`` for good, as a server with no such user."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def inbox(app, clock, ctx):
    handler = RefusingInbox()
    with SMTPServer(handler) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        yield handler


def sign_up(client, email: str, lists: str = "both"):
    response = client.post(
        "/newsletter/subscribe", data={"email": email, "lists": lists}, headers=BROWSER_POST
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response


def subscriber(email: str) -> NewsletterSubscriber | None:
    row = db.session.scalars(
        select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)
    ).first()
    db.session.commit()
    return row


def link(mail, part: str) -> str:
    [url] = [u for u in links_in(mail) if f"/newsletter/{part}/" in u]
    return path_of(url)


def confirmed(client, inbox, email: str, lists: str = "both") -> None:
    sign_up(client, email, lists)
    deliver()
    mail = inbox.to(email)[-1]
    assert client.post(link(mail, "confirm")).status_code == 200
    assert subscriber(email).status == NewsletterStatus.CONFIRMED


def test_double_opt_in(client, inbox, clock, ctx):
    response = sign_up(client, "dara@example.org", "km")
    page = response.get_data(as_text=True)
    assert "Check your inbox" in page
    assert "no tracking pixel and no link rewriting" in page
    assert response.headers["Cache-Control"] == "no-store, private"
    assert subscriber("dara@example.org").status == NewsletterStatus.PENDING
    deliver()
    [mail] = inbox.to("dara@example.org")
    assert "សូមបញ្ជាក់" in mail["Subject"]  # "Confirm …", in the Khmer list's language
    confirm = link(mail, "confirm")
    shown = client.get(confirm)  # a GET only shows the button
    assert shown.status_code == 200 and 'method="post"' in shown.get_data(as_text=True)
    assert subscriber("dara@example.org").status == NewsletterStatus.PENDING
    done = client.post(confirm)
    assert done.status_code == 200 and "ខ្មែរ" in done.get_data(as_text=True)
    row = subscriber("dara@example.org")
    assert (row.status, row.lists) == (NewsletterStatus.CONFIRMED, "km")
    assert row.confirmed_at is not None


def test_one_confirmation_mail_a_day_and_forgotten_after_seven_days(client, inbox, clock, ctx):
    sign_up(client, "sok@example.org")
    sign_up(client, "sok@EXAMPLE.org", "en")
    deliver()
    assert len(inbox.to("sok@example.org")) == 1
    clock.advance(hours=25)
    sign_up(client, "sok@example.org")
    deliver()
    assert len(inbox.to("sok@example.org")) == 2
    clock.advance(days=6, hours=23)
    deliver()
    assert subscriber("sok@example.org") is not None  # the last sign-up is under 7 days old
    clock.advance(hours=2)
    deliver()
    assert subscriber("sok@example.org") is None


def test_the_same_answer_for_a_known_and_an_unknown_address(client, inbox, clock, ctx):
    confirmed(client, inbox, "known@example.org", "en")
    clock.advance(days=2)
    known = sign_up(client, "known@example.org", "km").get_data(as_text=True)
    unknown = sign_up(client, "other@example.org", "km").get_data(as_text=True)
    assert known.replace("known@", "other@") == unknown
    # A stranger's sign-up changes nothing of the subscription; its owner is told how
    # to manage it instead of being asked to confirm again.
    assert subscriber("known@example.org").lists == "en"
    deliver()
    reminder = inbox.to("known@example.org")[-1]
    assert "already subscribed" in text_of(reminder)
    assert link(reminder, "manage")


def test_a_form_from_another_site_or_with_a_bad_address_is_refused(client, inbox, ctx):
    cross = client.post(
        "/newsletter/subscribe",
        data={"email": "a@example.org", "lists": "en"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    bad = client.post(
        "/newsletter/subscribe",
        data={"email": "not an address", "lists": "fr"},
        headers=BROWSER_POST,
    )
    assert bad.status_code == 400
    assert "valid e-mail address" in bad.get_data(as_text=True)
    assert subscriber("a@example.org") is None


def test_the_form_is_in_the_sidebar_and_after_each_post(client, inbox, ctx):
    post = make_post("Hello")
    page = client.get(f"/{post.published_at:%Y/%m/%d}/{post.slug}/").get_data(as_text=True)
    assert 'id="side-newsletter-email"' in page and 'id="post-newsletter-email"' in page
    assert "csrf_token" not in page.split('class="newsletter-form"')[1]
    assert "No tracking pixel, no link rewriting" in page


def test_each_post_goes_to_the_subscribers_of_its_language(client, inbox, clock, ctx):
    for email, lists in (
        ("en@example.org", "en"),
        ("km@example.org", "km"),
        ("both@example.org", "both"),
    ):
        confirmed(client, inbox, email, lists)
    clock.advance(minutes=1)
    english = make_post(
        "Roads and rain",
        "The rain came early.\n\nThen the roads.",
        excerpt="Rain, then roads.",
        source_line="First published in the Post.",
        published_at=utcnow(),
    )
    khmer = make_post("ផ្លូវ", "ភ្លៀង", language="km", published_at=utcnow())
    deliver()
    subjects = {
        e: sorted(m["Subject"] for m in inbox.to(e) if "/newsletter/confirm/" not in text_of(m))
        for e in ("en@example.org", "km@example.org", "both@example.org")
    }
    assert subjects == {
        "en@example.org": [english.title],
        "km@example.org": [khmer.title],
        "both@example.org": sorted([english.title, khmer.title]),
    }
    [mail] = [m for m in inbox.to("en@example.org") if m["Subject"] == english.title]
    text = text_of(mail)
    assert "Rain, then roads." in text and "First published in the Post." in text
    assert f"/{english.published_at:%Y/%m/%d}/{english.slug}/" in text
    assert link(mail, "manage") and link(mail, "unsubscribe")
    assert (
        mail["List-Unsubscribe"].startswith("<http")
        and "/newsletter/unsubscribe/" in mail["List-Unsubscribe"]
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "<img" not in html and "Roads and rain" in html


def test_a_scheduled_post_is_sent_once_when_its_time_passes(client, inbox, clock, app, ctx):
    confirmed(client, inbox, "dara@example.org", "en")
    post = make_post("Tomorrow", published_at=utcnow() + timedelta(days=1))
    deliver()
    assert [m["Subject"] for m in inbox.to("dara@example.org")][1:] == []
    clock.advance(days=1, minutes=1)
    deliver()
    deliver()
    assert [m["Subject"] for m in inbox.to("dara@example.org")][1:] == ["Tomorrow"]
    post = db.session.get(type(post), post.id)
    post.title, post.published_at = "Tomorrow, corrected", utcnow()  # edited and re-dated
    db.session.commit()
    deliver()
    assert [m["Subject"] for m in inbox.to("dara@example.org")][1:] == ["Tomorrow"]
    assert db.session.scalars(select(NewsletterSend)).all()[0].outbox_id is not None


def test_one_click_unsubscribe(client, inbox, clock, ctx):
    confirmed(client, inbox, "dara@example.org", "en")
    clock.advance(minutes=1)
    make_post("First", published_at=utcnow())
    deliver()
    mail = inbox.to("dara@example.org")[-1]
    # The header as the provider reads it, undecoded: a plain URL.
    [raw] = [r for r, m in zip(inbox.raw, inbox.messages, strict=True) if m is mail]
    url = path_of(raw_header(raw, "List-Unsubscribe").strip("<>"))
    # The mail provider POSTs, without cookies or an Origin of this site.
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "Unsubscribed.\n"
    assert subscriber("dara@example.org").status == NewsletterStatus.UNSUBSCRIBED
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    clock.advance(minutes=1)
    make_post("Second", published_at=utcnow())
    deliver()
    assert inbox.to("dara@example.org")[-1]["Subject"] == "First"
    # An old confirmation link does not undo the unsubscribe.
    client.post(link(inbox.to("dara@example.org")[0], "confirm"))
    assert subscriber("dara@example.org").status == NewsletterStatus.UNSUBSCRIBED


def test_a_hard_refusal_marks_the_address_bouncing(client, inbox, clock, app, ctx):
    confirmed(client, inbox, "gone@example.org", "en")
    confirmed(client, inbox, "here@example.org", "en")
    inbox.refused.add("gone@example.org")
    clock.advance(minutes=1)
    make_post("First", published_at=utcnow())
    db.session.commit()
    from blogapp.mail.worker import deliver_once

    report = deliver_once()
    assert report.failed == 1 and report.sent == 1
    assert subscriber("gone@example.org").status == NewsletterStatus.BOUNCING
    failed = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient == "gone@example.org", OutboxMessage.kind == "newsletter"
        )
    ).one()
    assert failed.status == OutboxStatus.FAILED and "550" in failed.last_error
    db.session.commit()
    clock.advance(minutes=1)
    make_post("Second", published_at=utcnow())
    deliver()
    assert [m["Subject"] for m in inbox.to("here@example.org")][-2:] == ["First", "Second"]
    assert (
        db.session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.recipient == "gone@example.org", OutboxMessage.subject == "Second"
            )
        )
        is None
    )
    db.session.commit()
    # The admin's per-post view: First went to 1 and bounced for 1; Second went to 1.
    from blogapp.newsletter.admin import recent_issues

    assert [(i["title"], i["recipients"], i["counts"]) for i in recent_issues()] == [
        ("Second", 1, {"sent": 1}),
        ("First", 2, {"sent": 1, "bounced": 1}),
    ]


def test_the_subscribers_screen_counts_each_list_and_exports_csv(
    client, inbox, clock, login_as, ctx
):
    from blogapp.models import ROLE_ADMIN
    from tests.factories import make_user

    confirmed(client, inbox, "en@example.org", "en")
    confirmed(client, inbox, "both@example.org", "both")
    clock.advance(minutes=1)
    make_post("Sent to two", published_at=utcnow())
    deliver()
    sign_up(client, "=cmd@example.org", "km")  # pending; a formula-looking address
    login_as(make_user("boss", role=ROLE_ADMIN))
    page = client.get("/admin/subscribers").get_data(as_text=True)
    assert "English</span> <strong>2</strong>" in page and "ខ្មែរ</span> <strong>1</strong>" in page
    assert "Last posts sent" in page and "<td>Sent to two</td>" in page
    found = client.get("/admin/subscribers?q=both").get_data(as_text=True)
    assert "both@example.org" in found and "en@example.org" not in found
    assert client.get("/admin/subscribers?status=nonsense").status_code == 404
    export = client.get("/admin/subscribers.csv?status=confirmed")
    assert export.mimetype == "text/csv" and "no-store" in export.headers["Cache-Control"]
    lines = export.get_data(as_text=True).splitlines()
    assert lines[0] == "email,lists,status,created_at,confirmed_at"
    assert sorted(line.split(",")[0] for line in lines[1:]) == [
        "both@example.org",
        "en@example.org",
    ]
    everyone = client.get("/admin/subscribers.csv").get_data(as_text=True)
    assert "'=cmd@example.org" in everyone


def test_a_sending_rate_spreads_the_mails_of_a_post(client, inbox, clock, app, ctx):
    for n in range(3):
        confirmed(client, inbox, f"r{n}@example.org", "en")
    app.config["NEWSLETTER_RATE_PER_MINUTE"] = 2
    clock.advance(minutes=1)
    make_post("Slowly", published_at=utcnow())
    deliver()

    def got() -> int:
        return sum(m["Subject"] == "Slowly" for m in inbox.messages)

    assert got() == 1  # the first at once, then one every 30 seconds
    clock.advance(seconds=31)
    deliver()
    assert got() == 2
    clock.advance(seconds=30)
    deliver()
    assert got() == 3


def test_an_editor_sends_a_test_to_themselves(client, inbox, login_as, ctx):
    from tests.factories import make_user

    editor = make_user("writer", email="writer@example.org")
    post = make_post("Draft", "Not yet.", status="draft", author=editor)
    login_as(editor)
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert "Send a test to me" in page
    from tests.helpers import csrf_token_from

    response = client.post(
        f"/admin/posts/{post.id}/newsletter-test", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    deliver()
    [mail] = inbox.to("writer@example.org")
    assert mail["Subject"] == "[Test] Draft" and "Not yet." in text_of(mail)
    assert subscriber("writer@example.org") is None  # a test subscribes nobody


def test_queueing_stopped_midway_resumes_and_queues_each_subscriber_once(
    client, inbox, clock, monkeypatch, ctx
):
    from blogapp.newsletter import services

    for n in range(5):
        confirmed(client, inbox, f"r{n}@example.org", "en")
    clock.advance(minutes=1)
    make_post("In chunks", published_at=utcnow())
    db.session.commit()
    monkeypatch.setattr(services, "CHUNK", 2)
    real, calls = services._insert_chunk, []

    def dies_on_the_second_chunk(post_id, messages):
        calls.append(post_id)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(post_id, messages)

    monkeypatch.setattr(services, "_insert_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        services.queue_due_posts()
    db.session.rollback()
    assert len(db.session.scalars(select(NewsletterSend)).all()) == 2
    db.session.commit()
    monkeypatch.setattr(services, "_insert_chunk", real)
    deliver()
    deliver()
    got = sorted(
        r
        for m, rs in zip(inbox.messages, inbox.recipients, strict=True)
        if m["Subject"] == "In chunks"
        for r in rs
    )
    assert got == [f"r{n}@example.org" for n in range(5)]


@pytest.mark.skipif(on_postgres(), reason="SQLite's write lock")
def test_each_chunk_of_mails_is_composed_without_the_write_lock(
    client, inbox, clock, monkeypatch, ctx
):
    """Only the inserts queue for the write lock: reading a chunk of subscribers and
    writing their mails begins a deferred transaction, even in ``flask deliver``."""
    from blogapp.newsletter import services

    for n in range(5):
        confirmed(client, inbox, f"r{n}@example.org", "en")
    clock.advance(minutes=1)
    make_post("In chunks", published_at=utcnow())
    db.session.commit()
    monkeypatch.setattr(services, "CHUNK", 2)
    statements: list[str] = []

    @event.listens_for(db.engine, "connect")
    def trace(dbapi_connection, record):
        dbapi_connection.set_trace_callback(statements.append)

    db.session.remove()
    db.engine.dispose()  # new connections, traced
    try:
        queued = services.queue_due_posts()
    finally:
        event.remove(db.engine, "connect", trace)
    assert queued == 5
    begun = ""
    chunk_reads = []
    for statement in statements:
        if statement.startswith("BEGIN"):
            begun = statement
        elif statement.startswith("SELECT newsletter_subscribers.id, newsletter_subscribers.email"):
            chunk_reads.append(begun)
    assert chunk_reads == ["BEGIN"] * 4  # three chunks of 2, 2 and 1, then none left


def test_an_admin_imports_a_ghost_or_jetpack_export(client, inbox, login_as, ctx):
    import io

    from blogapp.models import ROLE_ADMIN
    from tests.factories import make_user
    from tests.helpers import csrf_token_from

    sign_up(client, "pending@example.org", "km")
    login_as(make_user("boss", role=ROLE_ADMIN))
    page = client.get("/admin/subscribers").get_data(as_text=True)
    token = csrf_token_from(page)
    ghost = (
        "id,email,name,note,subscribed_to_emails,labels\n"
        "1,Reader@Example.ORG,Reader,,true,\n2,left@example.org,Left,,false,\n"
        "3,not an address,X,,true,\n4,pending@example.org,P,,true,\n"
        "5,Reader@example.org,Again,,true,\n"
    )

    def upload(content: bytes, lists="en"):
        return client.post(
            "/admin/subscribers/import",
            data={"csrf_token": token, "lists": lists, "file": (io.BytesIO(content), "export.csv")},
            follow_redirects=True,
        )

    answer = upload(ghost.encode()).get_data(as_text=True)
    assert "1 subscribers added; 1 were already on the list; 2 rows skipped" in answer
    row = subscriber("Reader@example.org")
    assert (row.status, row.lists) == (NewsletterStatus.CONFIRMED, "en")
    assert subscriber("left@example.org") is None
    assert subscriber("pending@example.org").status == NewsletterStatus.PENDING  # left as it was
    jetpack = b"email_address,date_subscribed\nkm@example.org,2024-01-02\n"
    assert "1 subscribers added" in upload(jetpack, "km").get_data(as_text=True)
    assert subscriber("km@example.org").lists == "km"
    bad = upload(b"name,phone\nA,1\n").get_data(as_text=True)
    assert "No e-mail column" in bad
    assert "not UTF-8" in upload("email\nsok@example.org\n".encode("utf-16")).get_data(as_text=True)
