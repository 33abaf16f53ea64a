"""The blog's own actors: ``blog`` (a Service, the whole blog) and each author with
published posts (a Person, by login), their URIs, and the documents that describe
them: the actor, WebFinger's answer and NodeInfo."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlalchemy import func, or_, select

from blogapp.extensions import db
from blogapp.fediverse.keys import key_pair
from blogapp.mail.outbox import absolute
from blogapp.models import AuthorProfile, FederatedPost, Post, User, post_bylines

BLOG = "blog"
AP_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_JSON = "application/activity+json"


def host() -> str:
    """The host in ``acct:NAME@HOST``: SITE_URL's."""
    return urlsplit(current_app.config["SITE_URL"]).netloc


def url(endpoint: str, **values) -> str:
    return absolute(lambda: url_for(endpoint, **values))


def actor_uri(name: str) -> str:
    return url("fediverse.actor", name=name)


def key_id(name: str) -> str:
    return actor_uri(name) + "#main-key"


def shared_inbox() -> str:
    return url("fediverse.shared_inbox")


def author(name: str) -> User | None:
    """The author behind ``name``: an active user with a public post, or one whose
    posts followers were told about (a Delete of the last one must still verify)."""
    if name == BLOG:
        return None
    # A public post under the account's own profile: a pen name's posts make no actor.
    public = (
        select(Post.id)
        .join(post_bylines, post_bylines.c.post_id == Post.id)
        .join(AuthorProfile, AuthorProfile.id == post_bylines.c.author_id)
        .where(
            AuthorProfile.user_id == User.id, AuthorProfile.is_pen_name.is_(False), Post.public()
        )
        .exists()
    )
    told = select(FederatedPost.post_id).where(FederatedPost.author_login == name).exists()
    return db.session.scalar(
        select(User).where(User.login == name, User.is_active_account.is_(True), or_(public, told))
    )


def exists(name: str) -> bool:
    return name == BLOG or author(name) is not None


def actor_document(name: str) -> dict | None:
    config = current_app.config
    if name == BLOG:
        kind, title, summary = "Service", config["SITE_NAME"], config["SITE_DESCRIPTION"]
        profile = url("posts.index")
    else:
        user = author(name)
        if user is None:
            return None
        kind, title = "Person", user.public_name
        summary = f"Op-eds by {user.public_name} on {config['SITE_NAME']}."
        profile = url("posts.author", slug=user.login)  # moves to the account's own profile
    uri = actor_uri(name)
    return {
        "@context": AP_CONTEXT,
        "id": uri,
        "type": kind,
        "preferredUsername": name,
        "name": title,
        "summary": f"<p>{_escape(summary)}</p>",
        "url": profile,
        "inbox": url("fediverse.inbox_of", name=name),
        "outbox": url("fediverse.outbox", name=name),
        "followers": url("fediverse.followers", name=name),
        "manuallyApprovesFollowers": bool(config["FEDIVERSE_APPROVE_FOLLOWERS"]),
        "discoverable": True,
        "endpoints": {"sharedInbox": shared_inbox()},
        "icon": {
            "type": "Image",
            "mediaType": "image/svg+xml",
            "url": absolute(lambda: url_for("static", filename="favicon.svg")),
        },
        "publicKey": {"id": key_id(name), "owner": uri, "publicKeyPem": key_pair()[1]},
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webfinger(resource: str) -> dict | None:
    """The JRD for ``acct:NAME@HOST`` (or the actor's own URI), else None."""
    name = None
    if resource.startswith("acct:"):
        user, _, domain = resource[5:].rpartition("@")
        if domain.lower() == host().lower():
            name = user
    elif resource.startswith(current_app.config["SITE_URL"] + "/"):
        tail = resource.rstrip("/").rsplit("/", 1)[-1]
        if resource == actor_uri(tail):
            name = tail
    if not name or not exists(name):
        return None
    document = actor_document(name)
    return {
        "subject": f"acct:{name}@{host()}",
        "aliases": [document["id"], document["url"]],
        "links": [
            {"rel": "self", "type": AS_JSON, "href": document["id"]},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": document["url"],
            },
        ],
    }


def nodeinfo() -> dict:
    posts = db.session.scalar(select(func.count()).select_from(Post).where(Post.public()))
    authors = db.session.scalar(
        select(func.count(func.distinct(Post.author_id))).where(Post.public())
    )
    return {
        "version": "2.1",
        "software": {"name": "blogapp", "version": "0.1.0"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {"users": {"total": authors + 1}, "localPosts": posts},
        "metadata": {"nodeName": current_app.config["SITE_NAME"]},
    }
