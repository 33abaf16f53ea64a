"""The fediverse's URLs: WebFinger and NodeInfo under /.well-known/, the actors,
their collections and posts as ``application/activity+json`` (a browser asking for
HTML is sent to the matching page), and the inboxes.

The documents are the same for everyone, so they say ``public`` with a short
shared-cache lifetime and ``Vary: Accept`` (this blueprint sets its own headers:
``page_cache.SELF_CACHED_BLUEPRINTS``). The inboxes take POSTs from other servers:
exempt from CSRF, which protects browsers' forms, and verified by HTTP Signature
instead; anything unsigned or badly signed is refused with 401."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, redirect, request
from sqlalchemy import func, select

from blogapp.database import read_transactions
from blogapp.extensions import csrf, db
from blogapp.fediverse import actors, inbox, remote, signatures
from blogapp.fediverse.activities import article, wrap
from blogapp.fediverse.actors import AS_JSON, BLOG
from blogapp.fediverse.publishing import PUBLISHED, enabled
from blogapp.mail.outbox import absolute
from blogapp.models import FederatedPost, Follower, FollowerStatus, Post
from blogapp.page_cache import shared_cache_control
from blogapp.permalinks import post_url

bp = Blueprint("fediverse", __name__)
PAGE_SIZE = 20
BUSY_RETRY_SECONDS = 60  # a sender told the inbox is busy fetching keys


@bp.before_request
def only_when_enabled():
    if not enabled():
        abort(404)


def _json(
    document: dict, mimetype: str = AS_JSON, status: int = 200, cache: bool = True
) -> Response:
    response = Response(
        json.dumps(document, ensure_ascii=False),
        status=status,
        content_type=f"{mimetype}; charset=utf-8",
    )
    response.headers["Cache-Control"] = shared_cache_control(current_app) if cache else "no-store"
    response.vary.add("Accept")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def wants_html() -> bool:
    best = request.accept_mimetypes.best_match(
        ["text/html", AS_JSON, "application/ld+json", "application/json"]
    )
    return best == "text/html"


def _see(location: str) -> Response:
    response = redirect(location, 302)
    response.headers["Cache-Control"] = shared_cache_control(current_app)
    response.vary.add("Accept")
    return response


@bp.get("/.well-known/webfinger")
def webfinger():
    resource = request.args.get("resource", "")
    if not resource:
        abort(400)
    document = actors.webfinger(resource)
    if document is None:
        abort(404)
    return _json(document, "application/jrd+json")


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links():
    href = actors.url("fediverse.nodeinfo")
    return _json(
        {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": href}]},
        "application/json",
    )


@bp.get("/nodeinfo/2.1")
def nodeinfo():
    return _json(actors.nodeinfo(), "application/json")


@bp.get("/fediverse/actors/<name>")
def actor(name: str):
    document = actors.actor_document(name)
    if document is None:
        abort(404)
    if wants_html():
        return _see(document["url"])
    return _json(document)


def _page_number() -> int | None:
    page = request.args.get("page")
    if page is None:
        return None
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        abort(404)
    return int(page)


def _collection(name: str, total: int, items_for) -> Response:
    base = actors.url(request.endpoint, name=name)
    page = _page_number()
    if page is None:
        return _json(
            {
                "@context": actors.AP_CONTEXT[0],
                "id": base,
                "type": "OrderedCollection",
                "totalItems": total,
                "first": f"{base}?page=1",
            }
        )
    items = items_for((page - 1) * PAGE_SIZE)
    document = {
        "@context": actors.AP_CONTEXT[0],
        "id": f"{base}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": base,
        "totalItems": total,
        "orderedItems": items,
    }
    if page * PAGE_SIZE < total:
        document["next"] = f"{base}?page={page + 1}"
    if page > 1:
        document["prev"] = f"{base}?page={page - 1}"
    return _json(document)


@bp.get("/fediverse/actors/<name>/followers")
def followers(name: str):
    """The count only, as Mastodon's "hide followers": the list would be a list of
    the blog's readers. Its pages are refused (403), as Mastodon refuses them."""
    if not actors.exists(name):
        abort(404)
    if request.args.get("page") is not None:
        abort(403)
    total = db.session.scalar(
        select(func.count())
        .select_from(Follower)
        .where(Follower.target == name, Follower.status == FollowerStatus.ACCEPTED)
    )
    return _json(
        {
            "@context": actors.AP_CONTEXT[0],
            "type": "OrderedCollection",
            "id": actors.url(request.endpoint, name=name),
            "totalItems": total,
        }
    )


@bp.get("/fediverse/actors/<name>/outbox")
def outbox(name: str):
    if not actors.exists(name):
        abort(404)
    where = [FederatedPost.state == PUBLISHED, Post.public()]
    if name != BLOG:
        where.append(FederatedPost.author_login == name)
    query = select(Post).join(FederatedPost, FederatedPost.post_id == Post.id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))

    def items(offset: int) -> list[dict]:
        posts = db.session.scalars(
            query.order_by(Post.published_at.desc(), Post.id.desc()).offset(offset).limit(PAGE_SIZE)
        )
        found = []
        for post in posts:
            told = db.session.get(FederatedPost, post.id)
            obj = article(post, told.author_login or BLOG)
            found.append(wrap("Create", told.author_login or BLOG, obj, f"{obj['id']}#create"))
        return found

    return _collection(name, total, items)


@bp.get("/fediverse/posts/<int:post_id>")
def post_object(post_id: int):
    post = db.get_or_404(Post, post_id)
    told = db.session.get(FederatedPost, post_id)
    if not post.is_public:
        abort(404)
    if wants_html():
        return _see(absolute(lambda: post_url(post)))
    author = told.author_login if told else BLOG
    return _json({"@context": actors.AP_CONTEXT[0], **article(post, author)})


@bp.post("/fediverse/inbox")
@csrf.exempt
def shared_inbox():
    return _receive()


@bp.post("/fediverse/actors/<name>/inbox")
@csrf.exempt
def inbox_of(name: str):
    if not actors.exists(name):
        abort(404)
    return _receive()


def _receive() -> Response:
    # Reads begin deferred: the key may be fetched from the other server meanwhile,
    # and SQLite's write lock is taken only by each short commit_write().
    with read_transactions():
        return _handle_post()


def _handle_post() -> Response:
    length = request.content_length
    if length is None:
        abort(411)
    if length > int(current_app.config["FEDIVERSE_INBOX_MAX_BYTES"]):
        abort(413)
    body = request.get_data(cache=True)
    path = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    try:
        signer = inbox.authenticate("POST", path, request.headers, body)
    except signatures.SignatureError as error:
        return _json({"error": str(error)}, "application/json", 401, cache=False)
    except remote.Busy as error:  # at once: the thread goes back to readers
        response = _json({"error": str(error)}, "application/json", 503, cache=False)
        response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):  # nested past the parser's depth: not an activity
        abort(400)
    if not isinstance(activity, dict):
        abort(400)
    verdict = inbox.count_activity(signer)
    if not verdict.allowed:
        response = _json(
            {"error": "too many activities from this account or server; try again later"},
            "application/json",
            429,
            cache=False,
        )
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        inbox.handle(activity, signer)
    except signatures.SignatureError as error:
        return _json({"error": str(error)}, "application/json", 401, cache=False)
    except (inbox.Forbidden, remote.NotTrusted) as error:
        return _json({"error": str(error)}, "application/json", 403, cache=False)
    return _json({}, "application/json", 202, cache=False)
