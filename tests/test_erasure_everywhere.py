"""A reader's erasure and ``flask prune`` reach every table that can hold their name,
address, IP or words: the comments and their moderation log, the subscriptions, the
outbox (the held-comment mail to moderators, the digest that quoted them to another
reader, the mails to them) and the audit log's labels. The test walks every text
column of every table of the real database afterwards, so a table added later that
keeps reader data fails it until its feature's eraser reaches it."""

from __future__ import annotations

import pytest
from sqlalchemy import Text, cast, column, inspect, select, table
from sqlalchemy.types import JSON, NullType, String

from blogapp import audit
from blogapp.comments import services
from blogapp.extensions import db
from blogapp.mail import retention as mail_retention
from blogapp.models import (
    ROLE_EDITOR,
    AuditEntry,
    Comment,
    CommentStatus,
    MailSubscriber,
    OutboxMessage,
    OutboxStatus,
    Post,
    User,
)
from blogapp.privacy.services import ANONYMIZE, DELETE, save_erasure_mode
from blogapp.search.schema import FTS_TABLE
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from
from tests.helpers_mail import deliver, links_in, path_of, send_comment

NAME, EMAIL, IP = "Chanthou Meas", "Chanthou.Meas@example.org", "203.0.113.77"
WORDS = "the sluice gates at Kbal Chhay"
MODERATOR = "mod@example.org"


@pytest.fixture
def app_config():
    return {"COMMENT_NOTIFY_EMAILS": MODERATOR}


def _texty(kind) -> bool:
    return isinstance(kind, String | JSON | NullType)


def every_text_value() -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every text-like column of every table the
    database has (reflected, not taken from the models)."""
    found = []
    inspector = inspect(db.session.connection())
    for name in inspector.get_table_names():
        if name.startswith(f"{FTS_TABLE}_"):
            continue  # SQLite's own index pages over posts (writers' words, stored as blobs)
        names = [c["name"] for c in inspector.get_columns(name) if _texty(c["type"])]
        if not names:
            continue
        columns = [column(n) for n in names]
        rows = db.session.execute(
            select(*(cast(c, Text) for c in columns)).select_from(table(name, *columns))
        )
        for row in rows:
            found.extend((name, n, v) for n, v in zip(names, row, strict=True) if v)
    db.session.commit()
    return found


def holding(needles) -> set[tuple[str, str]]:
    """The (table, column) pairs where any of ``needles`` is found, in any case."""
    lowered = [n.lower() for n in needles]
    return {(t, c) for t, c, v in every_text_value() if any(n in v.lower() for n in lowered)}


def last_comment() -> Comment:
    comment = db.session.scalars(select(Comment).order_by(Comment.id.desc()).limit(1)).one()
    db.session.commit()
    return comment


def link_in(inbox, address: str, part: str) -> str:
    deliver()
    urls = [u for mail in inbox.to(address) for u in links_in(mail) if part in u]
    return path_of(urls[-1])


def a_discussion(app, client, inbox, login_as):
    """Vanna comments and asks to hear about replies; the reader replies (held: the
    moderators get a mail with name, address, IP and words), a moderator corrects the
    reply on the admin screen and approves it, so Vanna gets a digest quoting it and
    the reader a confirmation mail; everything is delivered."""
    moderator = make_user("mod", display_name="Moderator Sok", email=MODERATOR, role=ROLE_EDITOR)
    post = make_post("Dams and fisheries")
    vanna = app.test_client()
    send_comment(
        vanna, post, "Who decides the flows?", name="Vanna", email="v@example.org", replies=True
    )
    first = last_comment()
    assert services.approve(first, moderator)
    vanna.post(link_in(inbox, "v@example.org", "/mail/confirm/"))

    reader = app.test_client()
    reader.environ_base["REMOTE_ADDR"] = IP
    send_comment(
        reader,
        post,
        f"Nobody asked the villages about {WORDS}.",
        name=NAME,
        email=EMAIL,
        parent=first,
        replies=True,
    )
    reply = last_comment()
    assert reply.status == CommentStatus.PENDING and reply.author_ip == IP
    deliver()  # the held-comment mail

    desk = client
    login_as(moderator)
    url = f"/admin/comments/{reply.id}/edit"
    form = {
        "csrf_token": csrf_token_from(desk.get(url).get_data(as_text=True)),
        "author_name": NAME,
        "author_email": EMAIL,
        "author_url": "",
        "body": f"Nobody asked the villages about {WORDS}!",
    }
    assert desk.post(url, data=form).status_code == 302
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "comments"))
    assert (entry.row_id, entry.label) == (str(reply.id), "")  # named by its id alone
    # What older versions wrote: the reader's name and address as labels.
    subscriber = db.session.scalars(
        select(MailSubscriber.id).where(MailSubscriber.email == EMAIL.lower())
    ).one()
    audit.record("update", table="comments", row_id=str(reply.id), label=NAME)
    audit.record("delete", table="mail_subscribers", row_id=str(subscriber), label=EMAIL)
    db.session.commit()
    assert services.approve(db.session.get(Comment, reply.id), moderator)
    deliver()  # Vanna's digest and the reader's confirmation mail
    assert any(WORDS in m.get_body().get_content() for m in inbox.to("v@example.org"))
    # A second comment a moderator trashes and deletes for good: the moderation log
    # keeps its line ("#3 by Chanthou Meas on post #1: …"), with no comment to find it by.
    send_comment(reader, post, f"Second thoughts on {WORDS}.", name=NAME, email=EMAIL)
    second = last_comment()
    deliver()  # its held-comment mail
    assert services.trash(second, moderator)
    assert services.delete_permanently(db.session.get(Comment, second.id), moderator)
    db.session.commit()
    return reader


@pytest.mark.parametrize("mode", [ANONYMIZE, DELETE])
def test_an_erasure_and_a_prune_leave_nothing_of_the_reader(
    app, client, inbox, clock, runner, login_as, mode, ctx
):
    save_erasure_mode(mode)
    db.session.commit()
    reader = a_discussion(app, client, inbox, login_as)
    personal = (NAME, EMAIL, IP)
    before = holding(personal + (WORDS,))
    # The walk sees them where they are: it can fail.
    assert {"comments", "outbox", "audit_log", "moderation_events", "mail_subscribers"} <= {
        t for t, _ in before
    }

    reader.post("/your-data/", data={"email": EMAIL.lower(), "what": "erase"}, headers=BROWSER_POST)
    done = reader.post(link_in(inbox, EMAIL.lower(), "/your-data/confirm/"))
    assert done.status_code == 200
    clock.advance(days=31)
    assert runner.invoke(args=["prune"]).exit_code == 0

    assert holding(personal) == set()
    kept = {("comments", "body"), ("comments", "body_html")} if mode == ANONYMIZE else set()
    assert holding((WORDS,)) == kept


def test_prune_deletes_finished_mail_after_its_days_and_keeps_what_waits(
    app, client, inbox, clock, runner, login_as, ctx
):
    """Sent mail goes after MAIL_KEEP_DAYS (7); a reply already told is not told again
    once the digest that told it is gone; mail still waiting is kept."""
    reader = a_discussion(app, client, inbox, login_as)
    sent = len(inbox.messages)
    clock.advance(days=6)
    assert "Deleted 0 sent" in runner.invoke(args=["prune"]).output

    clock.advance(days=2)
    app.config["MAIL_SERVER"] = "127.0.0.1"  # a mail queued now waits: nothing delivers it
    reader.post(
        "/your-data/", data={"email": EMAIL.lower(), "what": "export"}, headers=BROWSER_POST
    )
    result = runner.invoke(args=["prune"])

    assert result.exit_code == 0, result.output
    assert f"Deleted {sent} sent, failed or cancelled mail(s) older than 7 day(s)." in result.output
    assert holding((IP,)) == {("comments", "author_ip")}  # its 30 days are not over
    [waiting] = db.session.scalars(select(OutboxMessage)).all()
    assert waiting.kind == "reader-export" and waiting.status == OutboxStatus.QUEUED
    db.session.commit()
    # Another reply approved: Vanna's next digest carries it alone, not the old one again.
    vannas = db.session.scalars(
        select(Comment).where(Comment.author_email == "v@example.org")
    ).one()
    send_comment(
        reader,
        db.session.get(Post, vannas.post_id),
        "One more thing.",
        name=NAME,
        email=EMAIL,
        parent=vannas,
    )
    assert services.approve(last_comment(), db.session.scalars(select(User)).one())
    deliver()
    [digest] = [m for m in inbox.to("v@example.org")][-1:]
    assert "One more thing." in digest.get_body().get_content()
    assert WORDS not in digest.get_body().get_content()


def test_the_outbox_never_keeps_mail_longer_than_comments_keep_an_address(app, ctx):
    app.config.update(MAIL_KEEP_DAYS=7, COMMENT_IP_RETENTION_DAYS=3)
    assert mail_retention.keep_days() == 3
    app.config.update(COMMENT_IP_RETENTION_DAYS=0)  # no address is stored at all
    assert mail_retention.keep_days() == 7
