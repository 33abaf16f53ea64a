"""The reader's side: the comment section of a post page and the form's POST."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
)
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blogapp.comments import followups, services
from blogapp.comments.forms import CommentForm, form_token_for, seconds_since_served
from blogapp.comments.rules import comments_closed
from blogapp.comments.settings import load_settings
from blogapp.comments.threads import ThreadPage, page_of, thread_page
from blogapp.database import read_transactions
from blogapp.errors import render_error
from blogapp.extensions import db, limiter
from blogapp.http_cache import VERSION_KEY
from blogapp.models import COMMENT_APPROVED, Post
from blogapp.page_cache import PageCache
from blogapp.posts import post_url
from blogapp.site_settings import stored_settings

bp = Blueprint("comments", __name__)


SESSION_KEY = "pending_comments"
REMEMBERED = 20  # held comment ids kept in the (cookie) session, newest last
CLOSED_MESSAGE = "Comments are closed."
THREADS_KEY = "blogapp.comment_threads"


@bp.record_once
def _keep_rendered_threads(state) -> None:
    size = int(state.app.config["PAGE_CACHE_BYTES"])
    if size > 0:
        state.app.extensions[THREADS_KEY] = PageCache(size)


def own_pending_ids() -> list[int]:
    ids = session.get(SESSION_KEY, [])
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_pending(comment_id: int) -> None:
    session[SESSION_KEY] = (own_pending_ids() + [comment_id])[-REMEMBERED:]


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def comment_section(post: Post, form: CommentForm | None = None,
                    cpage: int | None = None) -> dict | None:
    """What ``comments/_section.html`` needs; None when ``?cpage`` is not a page.

    ``cpage`` defaults to the query string's (1 when absent)."""
    config = current_app.config
    if cpage is None:
        cpage = 1 if "cpage" not in request.args else _int_arg("cpage")
        if cpage is None:
            return None
    own = own_pending_ids()
    closed = comments_closed(post, load_settings())
    if form is None and not closed:
        form = CommentForm(form_token=form_token_for(post.id))
        wanted = _int_arg("replytocom")
        if wanted is not None:
            form.parent_id.data = str(wanted)
    answering = form is not None and form.parent is not None
    thread, thread_html = None, None
    threads = current_app.extensions.get(THREADS_KEY)
    # Readers with no pending comments of their own all see the same list: keep it
    # rendered per content version (every change to approved comments makes a new one).
    key = None
    if threads is not None and not own and not answering:
        key = f"{post.id}:{cpage}:{int(closed)}:{stored_settings().get(VERSION_KEY, '')}"
        stored = threads.get(key)
        if stored is not None:
            thread_html = Markup(stored[0].decode())
    if thread_html is None:
        thread = thread_page(
            post.id, own, cpage,
            per_page=config["COMMENTS_PER_PAGE"], max_depth=config["COMMENTS_THREAD_DEPTH"],
        )  # fmt: skip
        if thread is None:
            return None
        if key is not None:
            html = render_template(
                "comments/_thread.html", post=post, thread=thread, comment_form=not closed
            )
            threads.put(key, html.encode(), "text/html")
            thread_html = Markup(html)
    reply_to = _reply_target(thread, form.parent) if answering and thread else None
    return {
        "cpage": cpage, "thread": thread, "thread_html": thread_html,
        "comment_form": None if closed else form, "comments_closed": closed,
        "reply_to": reply_to, "closed_message": CLOSED_MESSAGE,
    }  # fmt: skip


def _reply_target(thread: ThreadPage, parent_id: int | None):
    """The approved comment on this page that the form answers, for "Reply to …"."""
    if parent_id is None or parent_id not in thread.visible_ids:
        return None
    stack = list(thread.nodes)
    while stack:
        node = stack.pop()
        if node.comment.id == parent_id:
            return node.comment if node.comment.status == COMMENT_APPROVED else None
        stack.extend(node.replies)
    return None


def load_public_post(post_id: int, *, for_page: bool = False) -> Post:
    """The post being commented on; ``for_page`` also loads what its page shows.

    A successful POST only redirects, so it skips the author and terms."""
    stmt = select(Post).where(Post.id == post_id, Post.public())
    if for_page:
        stmt = stmt.options(
            joinedload(Post.author), selectinload(Post.categories), selectinload(Post.tags)
        )
    post = db.session.scalar(stmt)
    if post is None:
        abort(404)
    return post


def _comment_rate_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


# A comment judged on a post or parent that changed before it was stored is judged
# again; a few tries, as it takes an admin's change within milliseconds each time.
ATTEMPTS = 3


@bp.post("/comments/post/<int:post_id>")
@limiter.limit(_comment_rate_limit)
def create(post_id: int):
    # Reading, validating, cleaning and judging take no write lock: other workers'
    # comments are stored meanwhile. Only services.submit's short insert writes.
    with read_transactions():
        for _ in range(ATTEMPTS - 1):
            try:
                return _create(post_id)
            except services.Outdated:
                pass
        return _create(post_id)


def _create(post_id: int):
    post = load_public_post(post_id)
    settings = load_settings()
    if comments_closed(post, settings):
        return render_error(403, CLOSED_MESSAGE)
    form = CommentForm()
    if form.validate_on_submit():
        submission = services.Submission(
            author_name=form.author_name.data, author_email=form.author_email.data,
            author_url=form.author_url.data or "", body=form.body.data,
            parent_id=form.parent, author_ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
            honeypot_filled=bool((form.homepage.data or "").strip()),
            seconds_since_served=seconds_since_served(form.form_token.data or "", post.id),
        )  # fmt: skip
        # Storing ends this transaction and with it what was read of the post: take
        # what the redirect needs now, so it reads the post again only for long threads.
        permalink, approved = post_url(post), post.comment_count
        try:
            comment, verdict = services.submit(post, submission, settings)
        except services.SubmissionError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            # issue 15: reply notifications ticked, and the right to edit (own transaction).
            followups.comment_stored(comment, notify_replies=form.notify_replies.data,
                                     notify_post=form.notify_post.data)
            if comment.status == COMMENT_APPROVED:
                approved += 1
            else:
                remember_pending(comment.id)
            page = _page_showing(post_id, approved, comment.id)
            location = post_url(post, cpage=page) if page > 1 else permalink
            return redirect(f"{location}#comment-{comment.id}")
    # Shown again on the comment page holding the comment being answered, if any.
    post = load_public_post(post.id, for_page=True)
    cpage = _page_showing(post.id, post.comment_count, form.parent) if form.parent else 1
    section = comment_section(post, form, cpage=cpage)
    return render_template("posts/detail.html", post=post, **section), 400


def _page_showing(post_id: int, approved: int, comment_id: int) -> int:
    """The comment page of ``comment_id``; ``approved`` is the post's comment count."""
    config = current_app.config
    own = own_pending_ids()
    if approved + len(own) <= config["COMMENTS_PER_PAGE"]:
        return 1  # everything fits on the first page: no need to read the thread
    return page_of(
        post_id, comment_id, own, per_page=config["COMMENTS_PER_PAGE"],
        max_depth=config["COMMENTS_THREAD_DEPTH"],
    )  # fmt: skip
