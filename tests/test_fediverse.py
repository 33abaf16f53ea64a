"""The blog as an ActivityPub actor, against a real remote server on 127.0.0.1
whose signatures bovine makes and checks (tests/helpers_fediverse.py): WebFinger,
following, a post's life as the follower's server receives it, replies held in the
moderation queue, signatures refused, and the safe client refusing private
addresses."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import formatdate

import pytest
from sqlalchemy import func, select

from blogapp.comments import services
from blogapp.extensions import db
from blogapp.fediverse import net
from blogapp.mail.worker import deliver_once
from blogapp.models import (
    ROLE_ADMIN,
    ROLE_EDITOR,
    Comment,
    CommentStatus,
    Follower,
    FollowerStatus,
    ModerationEvent,
    OutboxMessage,
    OutboxStatus,
    PostStatus,
    Reaction,
    utcnow,
)
from tests.factories import make_post, make_user
from tests.helpers import csrf_token_from
from tests.helpers_fediverse import IMPERSONATED, Remote, Site, fediverse_site_config
from tests.helpers_mail import Clock, deliver


@pytest.fixture
def app_config():
    return fediverse_site_config()


@pytest.fixture
def site(app, ctx):
    with Site(app, app.config["SITE_PORT"]) as served:
        yield served


@pytest.fixture
def remote():
    with Remote() as server:
        yield server


def send(remote: Remote, url: str, activity, **options) -> tuple[int, dict]:
    """The remote server posts to our inbox; the test holds no transaction meanwhile
    (outside a request SQLite's write lock is taken at BEGIN)."""
    db.session.commit()
    return remote.signed_post(url, activity, **options)


def follow(remote: Remote, site: Site, target: str = "blog") -> tuple[int, dict]:
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.actor}#follows/1",
        "type": "Follow",
        "actor": remote.actor,
        "object": f"{site.url}/fediverse/actors/{target}",
    }
    return send(remote, f"{site.url}/fediverse/actors/{target}/inbox", activity)


def test_webfinger_finds_the_blog_and_authors_with_public_posts(client, app, ctx):
    author = make_user("sokha", display_name="Sokha Chan")
    make_user("nobody")
    make_post(author=author)
    host = app.config["SITE_URL"].split("//")[1]
    answer = client.get(f"/.well-known/webfinger?resource=acct:blog@{host}")
    assert answer.status_code == 200
    assert answer.content_type.startswith("application/jrd+json")
    self_link = next(link for link in answer.json["links"] if link["rel"] == "self")
    assert self_link == {
        "rel": "self",
        "type": "application/activity+json",
        "href": f"{app.config['SITE_URL']}/fediverse/actors/blog",
    }
    person = client.get(f"/.well-known/webfinger?resource=acct:sokha@{host}").json
    assert person["subject"] == f"acct:sokha@{host}"
    for unknown in ("acct:nobody@" + host, "acct:sokha@elsewhere.example", "acct:ghost@" + host):
        assert client.get(f"/.well-known/webfinger?resource={unknown}").status_code == 404
    assert client.get("/.well-known/webfinger").status_code == 400

    actor = client.get("/fediverse/actors/sokha", headers={"Accept": "application/activity+json"})
    assert actor.content_type.startswith("application/activity+json")
    assert actor.json["type"] == "Person" and actor.json["name"] == "Sokha Chan"
    assert "BEGIN PUBLIC KEY" in actor.json["publicKey"]["publicKeyPem"]
    assert "Accept" in actor.headers["Vary"] and "public" in actor.headers["Cache-Control"]
    browser = client.get("/fediverse/actors/sokha", headers={"Accept": "text/html"})
    assert browser.status_code == 302 and browser.headers["Location"].endswith("/author/sokha/")
    blog = client.get("/fediverse/actors/blog", headers={"Accept": "application/activity+json"})
    assert blog.json["type"] == "Service"

    links = client.get("/.well-known/nodeinfo").json["links"]
    info = client.get(links[0]["href"].removeprefix(app.config["SITE_URL"])).json
    assert info["protocols"] == ["activitypub"] and info["usage"]["localPosts"] == 1


def test_off_unless_enabled(client, app, ctx):
    app.config["FEDIVERSE_ENABLED"] = False
    assert client.get("/fediverse/actors/blog").status_code == 404
    assert client.get("/.well-known/webfinger?resource=acct:blog@x").status_code == 404


def test_follow_is_accepted_then_undone(app, site, remote, client, ctx):
    status, _ = follow(remote, site)
    assert status == 202
    follower = db.session.scalars(select(Follower)).one()
    assert (follower.status, follower.inbox) == (FollowerStatus.ACCEPTED, f"{remote.base}/inbox")
    # Our key fetch was a signed GET, checked by bovine: it names our blog actor.
    assert remote.key_fetches == [f"{site.url}/fediverse/actors/blog"]
    db.session.commit()
    deliver()
    accepts = remote.activities("Accept")
    assert len(accepts) == 1 and accepts[0]["object"]["id"] == f"{remote.actor}#follows/1"
    assert accepts[0]["actor"] == f"{site.url}/fediverse/actors/blog"

    collection = client.get("/fediverse/actors/blog/followers").json
    assert collection["totalItems"] == 1  # the count only (test_fediverse_abuse)

    undo = {
        "id": f"{remote.actor}#undo/1",
        "type": "Undo",
        "actor": remote.actor,
        "object": {
            "id": f"{remote.actor}#follows/1",
            "type": "Follow",
            "actor": remote.actor,
            "object": f"{site.url}/fediverse/actors/blog",
        },
    }
    assert send(remote, f"{site.url}/fediverse/inbox", undo)[0] == 202
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0


def test_a_follow_can_wait_for_approval(app, site, remote, runner, ctx):
    app.config["FEDIVERSE_APPROVE_FOLLOWERS"] = True
    assert follow(remote, site)[0] == 202
    follower = db.session.scalars(select(Follower)).one()
    assert follower.status == FollowerStatus.PENDING
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    result = runner.invoke(args=["fediverse", "accept", str(follower.id)])
    assert result.exit_code == 0, result.output
    deliver()
    assert len(remote.activities("Accept")) == 1


def test_an_admin_accepts_a_held_follower_on_the_followers_screen(
    app, site, remote, client, login_as, ctx
):
    app.config["FEDIVERSE_APPROVE_FOLLOWERS"] = True
    assert follow(remote, site)[0] == 202
    follower = db.session.scalars(select(Follower)).one()
    db.session.commit()
    login_as(make_user("admin", role=ROLE_ADMIN))  # logs in `client`
    screen = client.get("/admin/followers")
    assert screen.status_code == 200
    page = screen.get_data(as_text=True)
    assert (
        remote.actor in page
        and "Held" in page
        and "private, no-store" in (screen.headers["Cache-Control"])
    )
    token = csrf_token_from(page)
    assert client.post(f"/admin/followers/{follower.id}/accept").status_code == 400  # no CSRF
    answer = client.post(f"/admin/followers/{follower.id}/accept", data={"csrf_token": token})
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Follower, follower.id).status == FollowerStatus.ACCEPTED
    deliver()
    assert len(remote.activities("Accept")) == 1
    # Accepting again changes nothing and says why.
    again = client.post(
        f"/admin/followers/{follower.id}/accept", data={"csrf_token": token}, follow_redirects=True
    )
    assert "No held follower has that number." in again.get_data(as_text=True)
    assert len(remote.activities("Accept")) == 1


def test_the_followers_screen_is_for_admins_of_a_followable_blog(app, client, login_as, ctx):
    login_as(make_user("writer", role=ROLE_EDITOR))
    assert client.get("/admin/followers").status_code == 403
    app.config["FEDIVERSE_ENABLED"] = False
    login_as(make_user("boss", role=ROLE_ADMIN))
    assert client.get("/admin/followers").status_code == 404


def test_a_post_published_edited_and_unpublished_reaches_the_follower(app, site, remote, ctx):
    author = make_user("sokha", display_name="Sokha Chan")
    assert follow(remote, site)[0] == 202
    deliver()
    post = make_post(
        "ការបោះឆ្នោត",
        "A **Khmer** op-ed.\n\n![A river](/uploads/river.jpg)",
        author=author,
        language="km",
        excerpt="On the vote.",
        published_at=utcnow(),
    )
    deliver()
    create = remote.activities("Create")
    assert len(create) == 1
    article = create[0]["object"]
    assert create[0]["actor"] == f"{site.url}/fediverse/actors/sokha"
    assert article["type"] == "Article" and article["name"] == "ការបោះឆ្នោត"
    assert "<strong>Khmer</strong>" in article["contentMap"]["km"]
    assert article["summaryMap"] == {"km": "On the vote."}
    assert article["url"] == site.url + url_path(post)
    assert article["attachment"][0]["url"] == f"{site.url}/uploads/river.jpg"
    assert [a["object"] for a in remote.activities("Announce")] == [article["id"]]
    # The outbox lists it.
    outbox = json.loads(site_get(site, "/fediverse/actors/blog/outbox?page=1"))
    assert [item["object"]["id"] for item in outbox["orderedItems"]] == [article["id"]]

    post.body, post.body_html, post.updated_at = "Edited.", "<p>Edited.</p>", utcnow()
    db.session.commit()
    deliver()
    updates = remote.activities("Update")
    assert len(updates) == 1 and updates[0]["object"]["contentMap"] == {"km": "<p>Edited.</p>"}

    post.status = PostStatus.DRAFT
    db.session.commit()
    deliver()
    deletes = remote.activities("Delete")
    assert len(deletes) == 1 and deletes[0]["object"]["id"] == article["id"]
    deliver()  # nothing more to say
    assert len(remote.received) == 5  # Accept, Create, Announce, Update, Delete


def site_get(site: Site, path: str) -> bytes:
    import urllib.request

    request = urllib.request.Request(
        site.url + path, headers={"Accept": "application/activity+json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()


def test_a_remote_reply_is_held_approved_and_shown(app, site, remote, client, login_as, ctx):
    admin = make_user("editor", role=ROLE_ADMIN)
    moderator, reader = client, app.test_client()
    login_as(admin)  # logs in `client`
    post = make_post("On roads", "Roads matter.")
    note_id = f"{remote.actor}/statuses/1"
    reply = {
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": remote.actor,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": remote.actor,
            "inReplyTo": f"{site.url}/fediverse/posts/{post.id}",
            "content": "<p>Good point.</p><p>But <script>x()</script>the bridges?</p>",
        },
    }
    assert send(remote, f"{site.url}/fediverse/inbox", reply)[0] == 202
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == CommentStatus.PENDING
    assert (comment.author_name, comment.author_email) == ("Alice Remote", "")
    assert comment.author_url == f"{remote.base}/@alice"
    assert "<script>" not in comment.body_html and "the bridges?" in comment.body_html
    event = db.session.scalars(select(ModerationEvent)).one()
    assert "from the fediverse" in event.comment_summary
    page = reader.get(url_path(post)).get_data(as_text=True)
    assert "Good point." not in page
    # The moderation queue shows it marked, with no address.
    queue = moderator.get("/admin/comments?status=pending").get_data(as_text=True)
    assert "Good point." in queue and "from the fediverse" in queue
    assert "mailto:" not in queue

    services.approve(comment, admin)
    assert "Good point." in reader.get(url_path(post)).get_data(as_text=True)

    # A reply to that reply is threaded under it.
    second = {
        "id": f"{remote.actor}/statuses/2/activity",
        "type": "Create",
        "actor": remote.actor,
        "object": {
            "id": f"{remote.actor}/statuses/2",
            "type": "Note",
            "attributedTo": remote.actor,
            "inReplyTo": note_id,
            "content": "<p>Also the ferries.</p>",
        },
    }
    assert send(remote, f"{site.url}/fediverse/inbox", second)[0] == 202
    threaded = db.session.scalar(select(Comment).where(Comment.remote_id.endswith("/2")))
    assert threaded.parent_id == comment.id and threaded.depth == 1

    # Its author edits it (judged again, back to pending), then deletes it (trash).
    edit = {
        **reply,
        "id": f"{note_id}/update",
        "type": "Update",
        "object": {**reply["object"], "content": "<p>Good point, edited.</p>"},
    }
    assert send(remote, f"{site.url}/fediverse/inbox", edit)[0] == 202
    db.session.refresh(comment)
    assert comment.body == "Good point, edited."
    gone = {
        "id": f"{note_id}/delete",
        "type": "Delete",
        "actor": remote.actor,
        "object": {"id": note_id, "type": "Tombstone"},
    }
    assert send(remote, f"{site.url}/fediverse/inbox", gone)[0] == 202
    db.session.refresh(comment)
    assert comment.status == CommentStatus.TRASH


def url_path(post) -> str:
    from tests.helpers import url_of

    return url_of(post)


def test_likes_and_boosts_are_counted_not_shown(app, site, remote, client, ctx):
    post = make_post("Counted")
    obj = f"{site.url}/fediverse/posts/{post.id}"
    for kind in ("Like", "Announce", "Like"):
        activity = {
            "id": f"{remote.actor}#{kind}",
            "type": kind,
            "actor": remote.actor,
            "object": obj,
        }
        assert send(remote, f"{site.url}/fediverse/inbox", activity)[0] == 202
    kinds = sorted(db.session.scalars(select(Reaction.kind)))
    assert kinds == ["Announce", "Like"]
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    shown = client.get(url_path(post)).get_data(as_text=True)  # as counts under the post
    assert "1 like" in shown and "1 boost" in shown


def test_bad_signatures_are_refused(app, site, remote, ctx):
    post = make_post("Guarded")
    note = {
        "id": f"{remote.actor}/statuses/9/activity",
        "type": "Create",
        "actor": remote.actor,
        "object": {
            "id": f"{remote.actor}/statuses/9",
            "type": "Note",
            "attributedTo": remote.actor,
            "content": "<p>Hi</p>",
            "inReplyTo": f"{site.url}/fediverse/posts/{post.id}",
        },
    }
    inbox = f"{site.url}/fediverse/inbox"
    body = json.dumps(note).encode()
    from tests.helpers_fediverse import post as plain_post

    assert plain_post(inbox, body, {"Content-Type": "application/activity+json"})[0] == 401
    stale = formatdate(utcnow().timestamp() - 3 * 3600, usegmt=True)
    assert send(remote, inbox, note, date=stale)[0] == 401
    tampered = json.dumps({**note, "type": "Delete"}).encode()
    assert send(remote, inbox, note, body_sent=tampered)[0] == 401
    other = Remote()
    assert send(remote, inbox, note, key_pem=other.private_pem)[0] == 401
    other.server.server_close()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    assert send(remote, inbox, note)[0] == 202
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_an_actor_document_from_another_server_is_not_trusted(app, site, remote, ctx):
    """A server cannot vouch for an actor elsewhere: its key would sign as anyone."""
    key = f"{remote.base}/users/impostor#main-key"
    follow = {
        "id": f"{IMPERSONATED}#follow",
        "type": "Follow",
        "actor": IMPERSONATED,
        "object": f"{site.url}/fediverse/actors/blog",
    }
    status, answer = send(remote, f"{site.url}/fediverse/inbox", follow, key_id=key)
    assert status == 401 and "own server" in answer["error"]
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0


def test_a_rotated_key_is_fetched_again(app, site, remote, ctx):
    assert follow(remote, site)[0] == 202
    app.config["FEDIVERSE_KEY_REFETCH_SECONDS"] = 0
    from bovine.crypto import generate_rsa_public_private_key

    remote.public_pem, remote.private_pem = generate_rsa_public_private_key()
    undo = {
        "id": f"{remote.actor}#undo",
        "type": "Undo",
        "actor": remote.actor,
        "object": {"type": "Follow", "object": f"{site.url}/fediverse/actors/blog"},
    }
    assert send(remote, f"{site.url}/fediverse/inbox", undo)[0] == 202
    assert len(remote.key_fetches) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/inbox",
        "http://192.168.1.5/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/x",
        "http://[::ffff:10.0.0.1]/x",
        "http://0.0.0.0/x",
        "file:///etc/passwd",
        "http://user:pw@example.org/",
        "gopher://example.org/",
    ],
)
def test_the_client_refuses_private_addresses(app, url, ctx):
    with pytest.raises(net.RefusedAddress):
        net.get(url)


def test_loopback_is_refused_unless_the_test_setting_allows_it(app, remote, ctx):
    app.config["FEDIVERSE_ALLOW_LOOPBACK"] = False
    with pytest.raises(net.RefusedAddress):
        net.get(remote.actor)
    for url in ("http://localhost:1/", "http://[::1]/x", "http://127.1.2.3/"):
        with pytest.raises(net.RefusedAddress):
            net.get(url)


def test_redirects_and_sizes_are_capped(app, remote, ctx):
    assert net.get(f"{remote.base}/redirect/2").status == 200  # two hops, then alice
    with pytest.raises(net.FetchError, match="too many redirects"):
        net.get(f"{remote.base}/redirect/4")
    with pytest.raises(net.RefusedAddress):  # each hop is checked again
        net.get(f"{remote.base}/redirect-to?url=http://169.254.169.254/latest/meta-data")
    app.config["FEDIVERSE_MAX_RESPONSE_BYTES"] = 100
    with pytest.raises(net.FetchError, match="more than 100 bytes"):
        net.get(remote.actor)


def test_a_slow_server_times_out(app, remote, ctx):
    app.config["FEDIVERSE_TIMEOUT"] = 0.2
    remote.inbox_delay = 1.0
    with pytest.raises(net.FetchError, match="timed out"):
        net.request("POST", f"{remote.base}/inbox", {}, b"{}")


def test_a_scheduled_post_goes_out_when_its_time_comes(app, site, remote, ctx):
    clock = Clock()
    app.config["CLOCK"] = clock
    assert follow(remote, site)[0] == 202
    make_post("The archive", published_at=utcnow() - timedelta(days=30))  # never sent
    make_post("Tomorrow's op-ed", published_at=utcnow() + timedelta(minutes=2))
    deliver()
    assert [a["type"] for a in remote.activities()] == ["Accept"]
    # bovine checks the Date against its own clock: a few minutes is all the test moves.
    clock.advance(minutes=3)
    deliver()
    assert [a["object"]["name"] for a in remote.activities("Create")] == ["Tomorrow's op-ed"]


def test_an_inbox_that_is_gone_is_given_up(app, site, remote, ctx):
    assert follow(remote, site)[0] == 202
    remote.inbox_status = 410
    make_post("Into the void", published_at=utcnow())
    db.session.commit()
    report = deliver_once()
    assert report.failed == 2 and report.retrying == 0  # the Accept and the Create
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0
    assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.FAILED}


def test_an_unreachable_inbox_is_retried_with_backoff(app, site, remote, ctx):
    assert follow(remote, site)[0] == 202
    remote.inbox_status = 503
    db.session.commit()
    report = deliver_once()
    assert report.retrying == 1
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.QUEUED and "503" in row.last_error
    assert row.next_attempt_at > utcnow()


def test_bad_input_to_the_inbox_gets_a_plain_refusal(app, site, remote, ctx):
    inbox = f"{site.url}/fediverse/inbox"
    app.config["FEDIVERSE_INBOX_MAX_BYTES"] = 1000
    assert send(remote, inbox, {"type": "Note", "content": "x" * 2000})[0] == 413
    assert send(remote, inbox, b"not json")[0] == 400
    assert send(remote, inbox, b"[1, 2]")[0] == 400
    post = make_post("Odd shapes")
    odd = {
        "id": f"{remote.actor}/statuses/7/activity",
        "type": "Create",
        "actor": remote.actor,
        "object": {
            "id": f"{remote.actor}/statuses/7",
            "type": "Note",
            "attributedTo": remote.actor,
            "content": ["not", "a", "string"],
            "inReplyTo": f"{site.url}/fediverse/posts/{post.id}",
        },
    }
    assert send(remote, inbox, odd)[0] == 202
    for strange in (
        {"type": "Follow", "actor": remote.actor, "object": 5},
        {"type": "Undo", "actor": remote.actor, "object": None},
        {"type": "Like", "actor": remote.actor, "object": {"id": 3}},
        {"type": "Delete", "actor": remote.actor},
    ):
        assert send(remote, inbox, strange)[0] == 202
    assert send(remote, inbox, {"type": "Follow", "actor": "https://x.example/u"})[0] == 401
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_deleted_account_stops_following(app, site, remote, ctx):
    assert follow(remote, site)[0] == 202
    gone = {
        "id": f"{remote.actor}#delete",
        "type": "Delete",
        "actor": remote.actor,
        "object": remote.actor,
    }
    assert send(remote, f"{site.url}/fediverse/inbox", gone)[0] == 202
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 0
