"""No grant outlives what it names.

A browser keeps the ids of the comments it sent in its session (to show its held
comments and to let it fix them), mails carry signed links that name a comment or a
subscriber. Two defences, each tested on its own:

- ids are never handed out twice: SQLite's ``AUTOINCREMENT`` on every table whose ids
  leave the database (PostgreSQL's sequences never go back);
- every grant and link also names something only its row has (a comment's creation
  time, a subscriber's address), so a row that somehow got an old id is not the one
  the grant names.

The red team's chains: a reader erases their data (or a moderator deletes their comment
for good) and the next commenter gets the freed id; the first reader's browser and old
mail links must reach nothing of the newcomer's."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, delete, insert, select

from blogapp.comments import services
from blogapp.extensions import db
from blogapp.mail import links
from blogapp.models import Comment, CommentStatus, MailSubscriber, MailSubscription, Setting
from blogapp.privacy.services import ERASURE_KEY
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from, url_of
from tests.helpers_mail import Inbox, SMTPServer, deliver, links_in, path_of, send_comment, text_of

ANN, CHAN = "ann@example.org", "chan@example.org"
ANNS_WORDS, CHANS_WORDS = "Ann thinks the dam is a mistake.", "Chan's own words, held."

# Tables whose ids stay inside the database (no URL, session, token, mail or outbox key
# carries them), or whose rows are never deleted: no AUTOINCREMENT needed.
IDS_KEPT_INSIDE = {
    "moderation_events",
    "media",
    "redirects",
    "throttle_hits",
    "reply_notices",
    "recovery_codes",
    "newsletter_sends",
    "correction_versions",
    "fediverse_remote_actors",
    "fediverse_reactions",
    "audit_log",
}


@pytest.fixture
def inbox(app, clock, ctx):
    handler = Inbox()
    with SMTPServer(handler) as server:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=server.port,
            COMMENT_NOTIFY_EMAILS="sokha@example.org",
        )
        yield handler


@pytest.fixture
def editor(ctx):
    return make_user("sokha", display_name="Sokha Chan", email="sokha@example.org")


def comment_by(address: str) -> Comment | None:
    db.session.expire_all()
    found = db.session.scalars(select(Comment).where(Comment.author_email == address)).first()
    db.session.commit()
    return found


def approve_link(inbox) -> str:
    """The Approve link of the held-comment mail."""
    deliver()
    for line in text_of(inbox.to("sokha@example.org")[-1]).splitlines():
        label, _, url = line.partition(": ")
        if label == "Approve":
            return path_of(url.strip())
    raise AssertionError("no Approve link in the mail")


def erase_by_mail(reader, inbox, address: str) -> None:
    """The reader asks for an erasure on /your-data/ and presses the mail's button."""
    reader.post("/your-data/", data={"email": address, "what": "erase"}, headers=BROWSER_POST)
    deliver()
    [url] = [u for u in links_in(inbox.to(address)[-1]) if "/your-data/confirm/" in u]
    assert reader.post(path_of(url)).status_code == 200


def delete_for_good(client, login_as, comment_id: int) -> None:
    """A moderator trashes the comment, then Delete Permanently, from /admin/comments."""
    login_as(make_user("boss", display_name="Boss", email="boss@example.org"))
    for action in ("trash", "delete"):
        page = client.get("/admin/comments?status=all").get_data(as_text=True)
        client.post(
            f"/admin/comments/{comment_id}/{action}", data={"csrf_token": csrf_token_from(page)}
        )
    assert db.session.get(Comment, comment_id) is None


def assert_ann_reaches_nothing_of_chans(app, ann, post, anns_old_id, approve) -> None:
    chan = comment_by(CHAN)
    assert chan is not None and chan.status == CommentStatus.PENDING
    # Ann's browser: Chan's held comment is not shown as Ann's, nor editable.
    page = ann.get(url_of(post)).get_data(as_text=True)
    assert CHANS_WORDS not in page and "Edit your comment" not in page
    assert ann.get(f"/comments/{chan.id}/edit").status_code == 403
    if chan.id == anns_old_id:
        ann.post(f"/comments/{chan.id}/edit", data={"body": "Rewritten by Ann."})
    assert comment_by(CHAN).body == CHANS_WORDS
    # The unused Approve link from the mail about Ann's comment publishes nothing.
    shown = ann.get(approve).get_data(as_text=True)
    assert CHANS_WORDS not in shown and "This comment no longer exists." in shown
    ann.post(approve)
    assert comment_by(CHAN).status == CommentStatus.PENDING


def test_erasure_by_deletion_then_a_new_commenter(app, client, inbox, editor, ctx):
    db.session.add(Setting(key=ERASURE_KEY, value="delete"))
    post = make_post("Water rights")
    ann = app.test_client()
    send_comment(ann, post, ANNS_WORDS, name="Ann", email=ANN)
    anns_old_id = comment_by(ANN).id
    approve = approve_link(inbox)
    assert "Edit your comment" in ann.get(url_of(post)).get_data(as_text=True)

    erase_by_mail(ann, inbox, ANN)
    assert comment_by(ANN) is None
    send_comment(app.test_client(), post, CHANS_WORDS, name="Chan", email=CHAN)

    assert comment_by(CHAN).id != anns_old_id  # ids are never handed out twice
    assert_ann_reaches_nothing_of_chans(app, ann, post, anns_old_id, approve)


def test_delete_permanently_then_a_new_commenter(app, client, inbox, editor, login_as, ctx):
    post = make_post("Water rights")
    ann = app.test_client()
    send_comment(ann, post, ANNS_WORDS, name="Ann", email=ANN)
    anns_old_id = comment_by(ANN).id
    approve = approve_link(inbox)

    delete_for_good(client, login_as, anns_old_id)
    send_comment(app.test_client(), post, CHANS_WORDS, name="Chan", email=CHAN)

    assert comment_by(CHAN).id != anns_old_id
    assert_ann_reaches_nothing_of_chans(app, ann, post, anns_old_id, approve)


def test_a_row_given_an_old_id_is_not_what_the_grants_name(app, client, inbox, editor, ctx):
    """The second defence alone: Chan's comment is stored under Ann's old id (as a
    database restored from a backup, or any future way to an old id, would do)."""
    post = make_post("Water rights")
    ann = app.test_client()
    send_comment(ann, post, ANNS_WORDS, name="Ann", email=ANN)
    anns = comment_by(ANN)
    approve = approve_link(inbox)
    db.session.execute(delete(Comment).where(Comment.id == anns.id))
    db.session.commit()
    send_comment(app.test_client(), post, CHANS_WORDS, name="Chan", email=CHAN)
    chan = comment_by(CHAN)
    columns = {c.name: getattr(chan, c.key) for c in Comment.__table__.columns}
    db.session.execute(delete(Comment).where(Comment.id == chan.id))
    db.session.execute(insert(Comment).values({**columns, "id": anns.id}))
    db.session.commit()

    assert comment_by(CHAN).id == anns.id
    assert_ann_reaches_nothing_of_chans(app, ann, post, anns.id, approve)


# -- reply-notification links ---------------------------------------------------------


def subscribed_and_confirmed(reader, post, inbox, address: str, editor) -> dict[str, str]:
    """The reader ticks "e-mail me replies", is approved, and gets the confirmation mail:
    its confirm, unsubscribe and "your subscriptions" links."""
    send_comment(reader, post, f"Words of {address}.", email=address, replies=True)
    assert services.approve(comment_by(address), editor)
    db.session.commit()
    deliver()
    mail = [m for m in inbox.to(address) if "Confirm" in m["Subject"]][-1]
    found = {}
    for url in links_in(mail):
        for part in ("confirm", "unsubscribe", "subscriptions"):
            if f"/mail/{part}/" in url:
                found[part] = path_of(url)
    found["one-click"] = path_of(mail["List-Unsubscribe"].strip("<>"))
    return found


def chans_subscriptions() -> list[MailSubscription]:
    db.session.expire_all()
    rows = list(
        db.session.scalars(
            select(MailSubscription)
            .join(MailSubscriber)
            .where(MailSubscriber.email == CHAN, MailSubscription.ended_at.is_(None))
        )
    )
    db.session.commit()
    return rows


def assert_anns_links_reach_nothing_of_chans(client, links: dict[str, str]) -> None:
    assert chans_subscriptions()
    listed = client.get(links["subscriptions"]).get_data(as_text=True)
    assert "Water rights" not in listed and CHAN not in listed
    client.post(links["subscriptions"], data={"end": "all"})
    client.post(links["unsubscribe"])
    client.post(links["one-click"], data={"List-Unsubscribe": "One-Click"})
    assert chans_subscriptions(), "an old link ended the next subscriber's notifications"
    confirmed = client.post(links["confirm"]).get_data(as_text=True)
    assert CHAN not in confirmed
    chan = db.session.scalars(select(MailSubscriber).where(MailSubscriber.email == CHAN)).one()
    assert chan.confirmed_at is None, "an old link confirmed someone else's address"


def test_old_subscription_links_after_an_erasure(app, client, inbox, editor, ctx):
    post = make_post("Water rights")
    ann = app.test_client()
    anns_links = subscribed_and_confirmed(ann, post, inbox, ANN, editor)
    anns_old_id = db.session.scalars(select(MailSubscriber.id)).one()
    erase_by_mail(ann, inbox, ANN)
    send_comment(app.test_client(), post, "Chan's thoughts.", email=CHAN, replies=True)
    assert services.approve(comment_by(CHAN), editor)
    db.session.commit()

    chan = db.session.scalars(select(MailSubscriber).where(MailSubscriber.email == CHAN)).one()
    assert chan.id != anns_old_id
    assert_anns_links_reach_nothing_of_chans(ann, anns_links)


def test_a_subscriber_given_an_old_id_is_not_what_old_links_name(app, client, inbox, editor, ctx):
    post = make_post("Water rights")
    ann = app.test_client()
    anns_links = subscribed_and_confirmed(ann, post, inbox, ANN, editor)
    anns_old_id = db.session.scalars(select(MailSubscriber.id)).one()
    erase_by_mail(ann, inbox, ANN)
    send_comment(app.test_client(), post, "Chan's thoughts.", email=CHAN, replies=True)
    assert services.approve(comment_by(CHAN), editor)
    db.session.commit()
    # Chan's subscriber row moved to Ann's old id (the subscriptions follow it).
    chan = db.session.scalars(select(MailSubscriber).where(MailSubscriber.email == CHAN)).one()
    columns = {c.name: getattr(chan, c.key) for c in MailSubscriber.__table__.columns}
    subscriptions = [
        {c.name: getattr(s, c.key) for c in MailSubscription.__table__.columns}
        for s in chans_subscriptions()
    ]
    db.session.execute(delete(MailSubscription))
    db.session.execute(delete(MailSubscriber))
    db.session.execute(insert(MailSubscriber).values({**columns, "id": anns_old_id}))
    for row in subscriptions:
        db.session.execute(insert(MailSubscription).values({**row, "subscriber_id": anns_old_id}))
    db.session.commit()

    assert_anns_links_reach_nothing_of_chans(ann, anns_links)


# -- links mailed before links named their row ------------------------------------------


def move_to_id(model, row, new_id: int) -> None:
    """Store ``row`` again under ``new_id`` (a row given an old id)."""
    columns = {c.name: getattr(row, c.key) for c in model.__table__.columns}
    db.session.execute(delete(model).where(model.id == row.id))
    db.session.execute(insert(model).values({**columns, "id": new_id}))
    db.session.commit()


def test_older_links_still_work_for_their_own_row_only(app, client, inbox, editor, clock, ctx):
    """Links in mails sent before links named their row's time or address (a moderation
    link, an unsubscribe link) keep working for the row they were made for, and reach
    no row younger than themselves."""
    post = make_post("Water rights")
    send_comment(app.test_client(), post, ANNS_WORDS, name="Ann", email=ANN, replies=True)
    anns = comment_by(ANN)
    with app.test_request_context():
        old_approve = "/mail/moderate/" + links.make(
            "moderate", {"c": anns.id, "u": editor.id, "a": "approve"}, single_use=True
        )
        subscriber = db.session.scalars(select(MailSubscriber)).one()
        old_unsubscribe = "/mail/unsubscribe/" + links.make(
            "unsubscribe", {"s": subscriber.id, "ids": []}
        )
    assert ANNS_WORDS in client.get(old_approve).get_data(as_text=True)
    assert "Unsubscribe" in client.get(old_unsubscribe).get_data(as_text=True)

    clock.advance(seconds=2)
    anns_id, subscriber_id = anns.id, subscriber.id
    db.session.execute(delete(Comment))
    db.session.execute(delete(MailSubscriber))
    db.session.commit()
    send_comment(app.test_client(), post, CHANS_WORDS, name="Chan", email=CHAN, replies=True)
    move_to_id(Comment, comment_by(CHAN), anns_id)
    chans = db.session.scalars(select(MailSubscriber)).one()
    move_to_id(MailSubscriber, chans, subscriber_id)  # (its subscription went with it)
    db.session.add(
        MailSubscription(
            subscriber_id=subscriber_id, post_id=post.id, comment_id=anns_id, scope="replies"
        )
    )
    db.session.commit()

    shown = client.get(old_approve).get_data(as_text=True)
    assert CHANS_WORDS not in shown and "This comment no longer exists." in shown
    client.post(old_approve)
    assert comment_by(CHAN).status == CommentStatus.PENDING
    refused = client.post(old_unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code == 400
    assert [s.ended_at for s in chans_subscriptions()] == [None]


# -- the schema -----------------------------------------------------------------------


def test_every_id_that_leaves_the_database_is_never_reused(ctx):
    with_ids = {
        table.name
        for table in db.metadata.sorted_tables
        if [c.name for c in table.primary_key.columns] == ["id"]
        and isinstance(table.c.id.type, Integer)
    }
    never_reused = {
        t.name for t in db.metadata.sorted_tables if t.dialect_options["sqlite"]["autoincrement"]
    }
    assert IDS_KEPT_INSIDE <= with_ids, "a table listed here has no integer id"
    assert with_ids - IDS_KEPT_INSIDE == never_reused, (
        "decide for each new table: AUTOINCREMENT (its ids leave the database) or IDS_KEPT_INSIDE"
    )
    assert {
        "comments",
        "users",
        "posts",
        "mail_subscribers",
        "mail_subscriptions",
        "newsletter_subscribers",
        "outbox",
    } <= never_reused
