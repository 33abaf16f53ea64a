"""The comment section of a post page, and a reader's comment on its way in.

``comment_section`` builds what ``comments/_section.html`` shows: the form (answering
a comment when asked), the thread (one rendering kept per post, comment page and
content version for every reader without held comments of their own) and the
comment being answered. ``post_comment`` judges and stores a submitted form, again
when the post changed meanwhile, and says where the reader goes next. The views
(``comments/views.py``, ``posts/views.py``) read the request and render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

from flask import abort, current_app, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from blogapp import clock
from blogapp.comments import followups, keys, lockdown, services
from blogapp.comments.commented_post import CommentedPost
from blogapp.comments.forms import CommentForm, form_token_for, seconds_since_served
from blogapp.comments.grants import Grant, grant, granted
from blogapp.comments.rules import comments_closed
from blogapp.comments.settings import CommentSettings, load_settings
from blogapp.comments.threads import ThreadPage, page_of, thread_page
from blogapp.content_version import SITE, remembered, shows_comments_of, thread_scope
from blogapp.database import again_if_changed
from blogapp.extensions import db
from blogapp.interface_language import current_language, set_item_language, set_page_language
from blogapp.models import Comment, CommentStatus, Post
from blogapp.permalinks import post_url
from blogapp.sanitize import clean_comment, strip_invisible

SESSION_KEY = "pending_comments"
REMEMBERED = 20  # held comments' grants kept in the (cookie) session, newest last
CLOSED_MESSAGE = _l("Comments are closed.")
THREAD_CACHE_BYTES = 1024 * 1024  # rendered threads each worker keeps (pages hold the rest)


def own_pending() -> list[Grant]:
    """This browser's held comments (``grants``: each names its comment's id and time)."""
    return granted(SESSION_KEY)


def remember_pending(comment: Comment) -> None:
    grant(SESSION_KEY, comment, REMEMBERED)


def closed_now(post: CommentedPost, settings: CommentSettings) -> tuple[bool, str]:
    """Whether the post takes no comments now, and the words readers see instead of
    the form: the post's own rule, or a lockdown that closes them everywhere."""
    lock = lockdown.current()
    if lock is not None and lock.closes:
        return True, lock.notice
    return comments_closed(post, settings), str(CLOSED_MESSAGE)


def comment_section(
    post: Post,
    *,
    cpage: int | None = 1,
    replying_to: int | None = None,
    form: CommentForm | None = None,
    preview_html: Markup | None = None,
) -> dict | None:
    """What ``comments/_section.html`` needs for comment page ``cpage`` (None: the
    page asked for is not a number); None when there is no such page.

    ``form`` is a refused or previewed submission to show again (``preview_html``:
    its comment as it would appear); otherwise a fresh form is built, answering
    ``replying_to`` (``?replytocom``) when given."""
    if cpage is None:
        return None
    shows_comments_of(post.id)
    own = own_pending()
    settings = load_settings()
    closed, closed_message = closed_now(post, settings)
    lock = lockdown.current()
    fresh = form is None and not closed
    if fresh:
        form = CommentForm(form_token=form_token_for(post.id), meta={"csrf": False})
        if replying_to is not None:
            form.parent_id.data = str(replying_to)
    if form is not None and settings.email_optional:
        form.allow_no_email()
    form_fields_html = _kept_fields(post, form, settings.email_optional) if fresh else None
    answering = form is not None and form.parent is not None
    thread, thread_html = None, None
    if not own and not answering:
        # Readers with no held comments of their own all see the same list.
        thread_html = remembered(
            "thread",
            (post.id, cpage, closed),
            lambda: _render_thread(post, cpage, closed),
            scope=thread_scope(post.id),
            maxsize=THREAD_CACHE_BYTES,
            sizeof=lambda html: len(html or ""),
        )
        if thread_html is None:
            return None
    else:
        thread = _thread(post, own, cpage)
        if thread is None:
            return None
    reply_to = _reply_target(thread, form.parent) if answering and thread else None
    return {
        "cpage": cpage,
        "thread": thread,
        "thread_html": thread_html,
        "comment_form": None if closed else form,
        "comments_closed": closed,
        "reply_to": reply_to,
        "closed_message": closed_message,
        "lockdown_notice": lock.notice if lock is not None and not closed else "",
        "email_optional": settings.email_optional,
        "preview_html": preview_html,
        "form_fields_html": form_fields_html,
    }


def _kept_fields(post: Post, form: CommentForm, email_optional: bool) -> Markup:
    """A fresh form's visible fields, rendered once per worker for each language and
    setting: empty and without errors, they are the same on every post page (the
    hidden ones, which name the post, are rendered on each)."""
    # In the post's language, as its page is rendered (and its thread: both set it).
    set_page_language(post.language)
    config = current_app.config
    return remembered(
        "comment_form_fields",
        (
            current_language(),
            email_optional,
            bool(config["MAIL_SERVER"]),
            config["COMMENT_MAX_LENGTH"],
        ),
        lambda: Markup(
            render_template("comments/_form_fields.html", form=form, email_optional=email_optional)
        ),
        scope=SITE,
        maxsize=8,
    )


def _thread(post: Post, own: list[Grant], cpage: int) -> ThreadPage | None:
    config = current_app.config
    return thread_page(
        post.id,
        own,
        cpage,
        per_page=config["COMMENTS_PER_PAGE"],
        max_depth=config["COMMENTS_THREAD_DEPTH"],
    )


def _render_thread(post: Post, cpage: int, closed: bool) -> Markup | None:
    thread = _thread(post, [], cpage)
    if thread is None:
        return None
    # Rendered without render_template's context processors and signals (the list reads
    # no request, session, account or config_site), in the post's language as they set it.
    set_item_language(post)
    template = current_app.jinja_env.get_template("comments/_thread.html")
    return Markup(template.render(post=post, thread=thread, comment_form=not closed))


def _reply_target(thread: ThreadPage, parent_id: int | None):
    """The approved comment on this page that the form answers, for "Reply to …"."""
    if parent_id is None or parent_id not in thread.visible_ids:
        return None
    stack = list(thread.nodes)
    while stack:
        node = stack.pop()
        if node.comment.id == parent_id:
            return node.comment if node.comment.status == CommentStatus.APPROVED else None
        stack.extend(node.replies)
    return None


@overload
def load_public_post(post_id: int, *, for_page: Literal[True]) -> Post: ...
@overload
def load_public_post(post_id: int) -> CommentedPost: ...


def load_public_post(post_id: int, *, for_page: bool = False) -> Post | CommentedPost:
    """The post being commented on; ``for_page`` also loads what its page shows.

    A successful POST only redirects: it reads a row of the few columns that judging,
    storing and redirecting use (a ``CommentedPost``), not a Post, whose loading
    costs more than the rest of the query."""
    if for_page:
        return db.one_or_404(
            select(Post)
            .where(Post.id == post_id, Post.public())
            .options(
                joinedload(Post.author),
                selectinload(Post.bylines),
                selectinload(Post.categories),
                selectinload(Post.tags),
            )
        )
    post = db.session.execute(_POST_A_COMMENT_NEEDS, {"post": post_id, "now": clock.now()}).first()
    if post is None:
        abort(404)
    return post


_POST_A_COMMENT_NEEDS = select(
    Post.id,
    Post.slug,
    Post.title,
    Post.status,
    Post.comment_mode,
    Post.published_at,
    Post.comment_count,
).where(Post.id == bindparam("post"), Post.public(bindparam("now", type_=Post.published_at.type)))


# A comment judged on a post or parent that changed before it was stored is judged
# again; a few tries, as it takes an admin's change within milliseconds each time.
ATTEMPTS = 3


@dataclass(frozen=True)
class Posted:
    """What became of a submitted comment form: ``closed`` (403), ``location`` to
    redirect to (stored), or else the ``post`` page with ``section`` (400, the form's
    errors shown)."""

    closed: bool = False
    closed_message: str = ""
    location: str = ""
    post: Post | None = None
    section: dict | None = None


def post_comment(post_id: int, form: CommentForm, *, author_ip: str, user_agent: str) -> Posted:
    """Judge and store a reader's comment, judging it again if the post or parent
    changed meanwhile (``services.Outdated``)."""
    return again_if_changed(
        lambda: _post_comment(post_id, form, author_ip, user_agent), attempts=ATTEMPTS
    )


def preview_comment(post_id: int, form: CommentForm) -> Posted:
    """The post page with the reader's comment as it would appear (the same cleaning
    as a stored one's) above their form, filled in again. Nothing is stored."""
    post = load_public_post(post_id, for_page=True)
    settings = load_settings()
    closed, message = closed_now(post, settings)
    if closed:
        return Posted(closed=True, closed_message=message)
    if settings.email_optional:
        form.allow_no_email()
    preview = None
    if form.validate():
        preview = Markup(clean_comment(strip_invisible(form.body.data or "").strip()))
    cpage = _page_showing(post.id, post.comment_count, form.parent) if form.parent else 1
    return Posted(
        post=post, section=comment_section(post, cpage=cpage, form=form, preview_html=preview)
    )


def _post_comment(post_id: int, form: CommentForm, author_ip: str, user_agent: str) -> Posted:
    post = load_public_post(post_id)
    settings = load_settings()
    closed, message = closed_now(post, settings)
    if closed:
        return Posted(closed=True, closed_message=message)
    if settings.email_optional:
        form.allow_no_email()
    lock = lockdown.current()
    if form.validate_on_submit():
        submission = services.Submission(
            author_name=form.author_name.data,
            author_email=form.author_email.data,
            author_url=form.author_url.data or "",
            body=form.body.data,
            parent_id=form.parent,
            author_ip=author_ip,
            user_agent=user_agent,
            honeypot_filled=bool((form.homepage.data or "").strip()),
            seconds_since_served=seconds_since_served(form.form_token.data or "", post.id),
            commenter_key=keys.presented_key(),
            wants_key=bool(form.remember_browser.data),
            lockdown_hold=lock is not None,
        )
        # Storing ends this transaction and with it what was read of the post: take
        # what the redirect needs now, so it reads the post again only for long threads.
        permalink, approved = post_url(post), post.comment_count
        try:
            comment, verdict = services.submit(post, submission, settings)
        except services.SubmissionError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            # Reply notifications ticked, and the right to edit (own transaction).
            followups.comment_stored(
                comment, notify_replies=form.notify_replies.data, notify_post=form.notify_post.data
            )
            if comment.status == CommentStatus.APPROVED:
                approved += 1
            else:
                remember_pending(comment)
            page = _page_showing(post_id, approved, comment.id)
            location = post_url(post, cpage=page) if page > 1 else permalink
            return Posted(location=f"{location}#comment-{comment.id}")
    # Shown again on the comment page holding the comment being answered, if any.
    post = load_public_post(post.id, for_page=True)
    cpage = _page_showing(post.id, post.comment_count, form.parent) if form.parent else 1
    return Posted(post=post, section=comment_section(post, cpage=cpage, form=form))


def _page_showing(post_id: int, approved: int, comment_id: int) -> int:
    """The comment page of ``comment_id``; ``approved`` is the post's comment count."""
    config = current_app.config
    own = own_pending()
    if approved + len(own) <= config["COMMENTS_PER_PAGE"]:
        return 1  # everything fits on the first page: no need to read the thread
    return page_of(
        post_id,
        comment_id,
        own,
        per_page=config["COMMENTS_PER_PAGE"],
        max_depth=config["COMMENTS_THREAD_DEPTH"],
    )
