"""The inbox against what an attacker sends: another server's open redirect used to
speak as its accounts, a reply claiming an id on another server, floods from one
account or one server, key ids that are not web addresses, bodies nested past any
parser's depth, and probes of how host names resolve. Against a real remote server
on 127.0.0.1 whose signatures bovine makes (tests/helpers_fediverse.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import Comment, CommentStatus, Follower, Reaction, RemoteActor
from tests.factories import make_post
from tests.helpers_fediverse import IMPERSONATED, Remote, Site, fediverse_site_config
from tests.helpers_mail import deliver, text_of


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
    """The remote server posts to our inbox; the test holds no transaction meanwhile."""
    db.session.commit()
    return remote.signed_post(url, activity, **options)


def reply(
    remote: Remote,
    site: Site,
    post,
    number: int,
    *,
    actor: str | None = None,
    note_id: str | None = None,
    text: str = "A remote reply.",
) -> dict:
    actor = actor or remote.actor
    note_id = note_id or f"{actor}/statuses/{number}"
    return {
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": actor,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": f"{site.url}/fediverse/posts/{post.id}",
            "content": f"<p>{text}</p>",
        },
    }


def count(model) -> int:
    found = db.session.scalar(select(func.count()).select_from(model))
    db.session.commit()
    return found


def test_a_remote_reply_is_stored_and_mailed_when_moderators_get_mail(
    app, site, remote, inbox, ctx
):
    app.config["COMMENT_NOTIFY_EMAILS"] = "moderator@example.org"
    post = make_post("On bridges")
    status, _ = send(
        remote,
        f"{site.url}/fediverse/inbox",
        reply(remote, site, post, 1, text="What about the ferries?"),
    )
    assert status == 202
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == CommentStatus.PENDING and comment.author_ip == ""
    deliver()
    [mail] = inbox.to("moderator@example.org")
    assert "What about the ferries?" in text_of(mail)


def test_a_key_id_that_is_not_a_web_address_is_refused_plainly(app, site, remote, ctx):
    post = make_post("Guarded")
    for key_id in ("file:///etc/passwd#main-key", "gopher://example.org/k", "no-scheme#k"):
        status, answer = send(
            remote, f"{site.url}/fediverse/inbox", reply(remote, site, post, 1), key_id=key_id
        )
        assert status == 401, key_id
        assert answer["error"] == "the signer's key could not be fetched"
    assert count(Comment) == 0


def test_a_body_nested_past_any_depth_is_a_plain_400(app, site, remote, ctx):
    depth = 20_000
    body = ('{"a":' * depth + "1" + "}" * depth).encode()
    status, _ = send(remote, f"{site.url}/fediverse/inbox", body)
    assert status == 400
    listed = ("[" * depth + "]" * depth).encode()
    assert send(remote, f"{site.url}/fediverse/inbox", listed)[0] == 400


def test_inbox_errors_never_say_how_a_host_resolves(app, site, remote, ctx):
    app.config["FEDIVERSE_ALLOW_LOOPBACK"] = False  # the site's own setting, as deployed
    post = make_post("Probed")
    answers = []
    for key_id in (
        "http://localhost:9/users/x#main-key",
        "http://10.1.2.3/users/x#k",
        "http://no-such-host.invalid/users/x#k",
    ):
        status, answer = send(
            remote, f"{site.url}/fediverse/inbox", reply(remote, site, post, 1), key_id=key_id
        )
        assert status == 401
        answers.append(answer)
    assert answers == [{"error": "the signer's key could not be fetched"}] * 3


def test_a_note_whose_id_is_on_another_server_than_its_signer_is_refused(app, site, remote, ctx):
    post = make_post("Claimed ids")
    elsewhere = "https://real-server.example/statuses/1"
    status, answer = send(
        remote, f"{site.url}/fediverse/inbox", reply(remote, site, post, 1, note_id=elsewhere)
    )
    assert status == 403 and "another server" in answer["error"]
    assert count(Comment) == 0
    # Nor can it be edited in under that id.
    own = reply(remote, site, post, 2)
    assert send(remote, f"{site.url}/fediverse/inbox", own)[0] == 202
    update = {
        **own,
        "id": f"{remote.actor}/statuses/2/update",
        "type": "Update",
        "object": {**own["object"], "id": elsewhere, "content": "<p>Changed.</p>"},
    }
    assert send(remote, f"{site.url}/fediverse/inbox", update)[0] == 403
    assert db.session.scalars(select(Comment.remote_id)).all() == [own["object"]["id"]]


def test_the_public_followers_collection_gives_the_count_only(app, site, remote, client, ctx):
    follow = {
        "id": f"{remote.actor}#follows/1",
        "type": "Follow",
        "actor": remote.actor,
        "object": f"{site.url}/fediverse/actors/blog",
    }
    assert send(remote, f"{site.url}/fediverse/actors/blog/inbox", follow)[0] == 202
    assert count(Follower) == 1
    collection = client.get("/fediverse/actors/blog/followers")
    assert collection.status_code == 200
    assert collection.json["totalItems"] == 1 and collection.json["type"] == "OrderedCollection"
    assert "first" not in collection.json and "orderedItems" not in collection.json
    page = client.get("/fediverse/actors/blog/followers?page=1")
    assert page.status_code == 403
    for answer in (collection, page):
        assert remote.actor not in answer.get_data(as_text=True)


def test_an_open_redirect_elsewhere_does_not_let_anyone_speak_as_its_accounts(
    app, site, remote, ctx
):
    """alice's server has an open redirect. Another server serves a document claiming
    to be alice, with its own key, at a URL that alice's server redirects to: a key id
    on alice's host that ends on the attacker's."""
    post = make_post("On the dam")
    real = reply(remote, site, post, 1, text="alice's real reply.")
    assert send(remote, f"{site.url}/fediverse/inbox", real)[0] == 202
    with Remote() as attacker:
        key_id = f"{remote.base}/redirect-to?url={attacker.base}/users/impostor#main-key"
        attacker.impostor_of, attacker.impostor_key_id = remote.actor, key_id
        as_alice = dict(key_id=key_id, key_pem=attacker.private_pem)
        forged = reply(remote, site, post, 2, text="A forged reply under alice's name.")
        status, answer = send(remote, f"{site.url}/fediverse/inbox", forged, **as_alice)
        assert status == 401
        trash = {
            "id": f"{remote.actor}/statuses/1/delete",
            "type": "Delete",
            "actor": remote.actor,
            "object": real["object"]["id"],
        }
        assert send(remote, f"{site.url}/fediverse/inbox", trash, **as_alice)[0] == 401
    comment = db.session.scalars(select(Comment)).one()
    assert comment.status == CommentStatus.PENDING and "real reply" in comment.body
    alice = db.session.scalars(select(RemoteActor)).one()
    assert (alice.key_id, alice.public_key_pem) == (remote.key_id, remote.public_pem)


def like(remote: Remote, site: Site, post, number: int, actor: str) -> dict:
    return {
        "id": f"{actor}#likes/{number}",
        "type": "Like",
        "actor": actor,
        "object": f"{site.url}/fediverse/posts/{post.id}",
    }


def test_one_account_cannot_flood_the_inbox(app, site, remote, ctx):
    app.config["FEDIVERSE_INBOX_ACTOR_RATE_LIMIT"] = "3 per minute"
    post = make_post("Liked")
    inbox = f"{site.url}/fediverse/inbox"
    statuses = [send(remote, inbox, reply(remote, site, post, n))[0] for n in range(1, 6)]
    assert statuses == [202, 202, 202, 429, 429]
    assert count(Comment) == 3
    bob = dict(key_id=remote.second_key_id)
    assert send(remote, inbox, like(remote, site, post, 1, remote.second_actor), **bob)[0] == 202


def test_one_server_cannot_flood_the_inbox(app, site, remote, ctx):
    app.config.update(
        FEDIVERSE_INBOX_ACTOR_RATE_LIMIT="10 per minute",
        FEDIVERSE_INBOX_HOST_RATE_LIMIT="4 per minute",
    )
    post = make_post("Liked")
    inbox = f"{site.url}/fediverse/inbox"
    bob = dict(key_id=remote.second_key_id)
    statuses = [send(remote, inbox, like(remote, site, post, n, remote.actor))[0] for n in range(3)]
    statuses += [
        send(remote, inbox, like(remote, site, post, n, remote.second_actor), **bob)[0]
        for n in range(3)
    ]
    assert statuses == [202, 202, 202, 202, 429, 429]
    assert count(Reaction) == 2  # alice's likes are one reaction; bob's one got in


def test_an_actor_cannot_update_itself_into_a_key_elsewhere(app, site, remote, ctx):
    """Its key id on another server would shadow that server's account's real key."""
    post = make_post("Keys")
    assert (
        send(remote, f"{site.url}/fediverse/inbox", like(remote, site, post, 1, remote.actor))[0]
        == 202
    )
    document = remote.actor_document()
    document["publicKey"]["id"] = "https://victim.example/users/bob#main-key"
    update = {
        "id": f"{remote.actor}#update/1",
        "type": "Update",
        "actor": remote.actor,
        "object": document,
    }
    status, answer = send(remote, f"{site.url}/fediverse/inbox", update)
    assert status == 403 and "own server" in answer["error"]
    document["publicKey"]["id"], document["publicKey"]["owner"] = remote.key_id, IMPERSONATED
    assert send(remote, f"{site.url}/fediverse/inbox", update)[0] == 403
    alice = db.session.scalars(select(RemoteActor)).one()
    assert alice.key_id == remote.key_id
    document["publicKey"] = remote.key_id  # a bare link to its key: no 500
    assert send(remote, f"{site.url}/fediverse/inbox", update)[0] == 202
