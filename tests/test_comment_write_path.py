"""How a reader's comment reaches the database when many arrive at once: it is read,
checked, cleaned and judged without SQLite's write lock, stored in one short write
transaction, and judged again if the post or the comment it answers changed in
between. Real databases and real threads; nothing is mocked."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.content_version import VERSION_KEY
from blogapp.database import write_transaction
from blogapp.extensions import db
from blogapp.models import (
    COMMENTS_CLOSED,
    COMMENTS_MODERATED,
    Comment,
    CommentStatus,
    ModerationEvent,
    Post,
    Setting,
)
from blogapp.sanitize import clean_comment
from tests.conftest import on_postgres
from tests.factories import make_comment, make_post
from tests.helpers import BROWSER_POST, open_form, post_comment, recognise, url_of
from tests.helpers import stored_comments as stored

sqlite_only = pytest.mark.skipif(on_postgres(), reason="SQLite's write lock")


@pytest.fixture
def app_config() -> dict:
    return {"RATELIMIT_ENABLED": False}  # many comments from one address, on purpose


def _marked_up(n: int) -> str:
    """A long comment with every kind of markup the cleaner keeps, drops or links."""
    line = (
        f"Reader {n} <em>quotes</em> <a href='https://example.org/{n}'>a source</a>, "
        f"<script>alert({n})</script> <b>bold</b> www.example.com/{n} <code>x &lt; y</code>\n"
    )
    return "\n".join(f"{line}<blockquote>{i}</blockquote>" for i in range(20))


def test_readers_commenting_at_once_in_one_worker_each_get_their_own_text(app, client, ctx):
    """The cleaner keeps parser state between calls: threads must not share it."""
    post = make_post()
    clients = [app.test_client() for _ in range(4)]  # a browser each: their own cookies
    action = f"/comments/post/{post.id}"  # read here: the threads have no app context
    forms = [open_form(reader, post) for reader in clients]  # (a request ends the test's read)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def commenter(n: int) -> None:
        try:
            for k in range(6):
                body = _marked_up(10 * n + k)
                data = {
                    **forms[n],
                    "author_name": f"Reader {n}",
                    "author_email": f"r{n}@example.org",
                    "author_url": "",
                    "body": body,
                }
                answer = clients[n].post(action, headers=BROWSER_POST, data=data)
                results.append((answer.status_code, body))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=commenter, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(status for status, _ in results) == [302] * 24
    db.session.rollback()  # the test's own snapshot predates the threads' comments
    by_body = {c.body: c.body_html for c in stored()}
    for _, body in results:
        assert by_body[body] == clean_comment(body)


def _database_file(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def send_in_background(client, post_id: int, form: dict, body: str, answers: dict):
    """POST a comment from another thread (as a second reader would); the status
    lands in ``answers[body]``."""
    data = {
        **form,
        "author_name": "Dara",
        "author_email": "dara@example.org",
        "author_url": "",
        "body": body,
    }

    def post_it() -> None:
        answers[body] = client.post(
            f"/comments/post/{post_id}", headers=BROWSER_POST, data=data
        ).status_code

    thread = threading.Thread(target=post_it)
    thread.start()
    return thread


@sqlite_only
def test_a_comment_is_checked_while_another_worker_holds_the_write_lock(app, client, ctx):
    """Only storing waits for the lock: a reader's mistake is answered at once, and a
    good comment is stored as soon as the other writer is done."""
    post = make_post()
    post_id = post.id
    form = open_form(client, post)  # its request ends the test's read transaction
    other_worker = sqlite3.connect(_database_file(app), isolation_level=None)
    other_worker.execute("BEGIN IMMEDIATE")
    answers: dict[str, int] = {}
    try:
        send_in_background(client, post_id, form, "   ", answers).join(5)
        assert answers.get("   ") == 400
        good = send_in_background(client, post_id, form, "Worth waiting for.", answers)
        time.sleep(0.3)
        assert good.is_alive()  # waiting for the write lock, not failing
    finally:
        other_worker.rollback()
        other_worker.close()
    good.join(10)
    assert answers["Worth waiting for."] == 302
    db.session.rollback()
    assert [c.body for c in stored()] == ["Worth waiting for."]


@sqlite_only
def test_writers_take_turns_on_a_file_beside_the_database(app, client, ctx):
    """Another worker's writer has its turn: this one waits for it, not for SQLite."""
    post = make_post()
    post_id = post.id
    form = open_form(client, post)  # its request ends the test's read transaction
    other_worker = os.open(_database_file(app) + "-writers", os.O_RDONLY | os.O_CREAT)
    fcntl.flock(other_worker, fcntl.LOCK_EX)
    answers: dict[str, int] = {}
    try:
        waiting = send_in_background(client, post_id, form, "After you.", answers)
        time.sleep(0.3)
        assert waiting.is_alive()
    finally:
        fcntl.flock(other_worker, fcntl.LOCK_UN)
        os.close(other_worker)
    waiting.join(10)
    assert answers["After you."] == 302


def test_a_write_transaction_begun_with_a_transaction_open_is_refused(app, ctx):
    """It would hold the database while waiting its turn behind a writer who may be
    waiting for the database."""
    make_post()
    db.session.scalar(select(Post.id))  # a transaction is open now
    with pytest.raises(RuntimeError), write_transaction():
        pass
    db.session.rollback()
    with write_transaction():
        db.session.execute(update(Post).values(title="Renamed"))
        db.session.commit()
    assert db.session.scalar(select(Post.title)) == "Renamed"


@sqlite_only
def test_an_approved_comment_is_stored_with_the_new_content_version_in_one_write(app, client, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    db.session.execute(update(Post).values(comment_count=1))
    db.session.commit()
    version = db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY))
    form = open_form(client, post)
    statements: list[str] = []

    @event.listens_for(db.engine, "connect")
    def trace(dbapi_connection, record):
        dbapi_connection.set_trace_callback(statements.append)

    db.session.refresh(post)
    db.session.expunge(post)  # its values, for the form's URL once the session is gone
    db.session.remove()
    db.engine.dispose()  # new connections, traced
    try:
        response = post_comment(client, post, "Agreed, again.", fields=form)
    finally:
        event.remove(db.engine, "connect", trace)
    assert response.status_code == 302
    write = statements.index("BEGIN IMMEDIATE")
    assert statements.count("BEGIN IMMEDIATE") == 1
    # Before the write transaction only reads: a deferred BEGIN, SELECTs, and the
    # statements that end a read or set up a new connection (which write nothing).
    reads = ("BEGIN", "SELECT", "COMMIT", "ROLLBACK", "PRAGMA")
    before_write = [s for s in statements[:write] if not s.startswith(reads)]
    assert before_write == [], before_write
    inside = statements[write : statements.index("COMMIT", write)]
    assert [s.split()[0:3] for s in inside if not s.startswith("SELECT")] == [
        ["BEGIN", "IMMEDIATE"],
        ["INSERT", "INTO", "comments"],
        ["UPDATE", "posts", "SET"],
        ["INSERT", "INTO", "moderation_events"],
        ["INSERT", "INTO", "comment_spam_scores"],
        ["UPDATE", "settings", "SET"],
    ]
    db.session.expire_all()
    assert [c.status for c in stored()] == [CommentStatus.APPROVED, CommentStatus.APPROVED]
    assert db.session.get(Post, post.id).comment_count == 2
    assert db.session.scalar(select(Setting.value).where(Setting.key == VERSION_KEY)) != version


# -- the post or the comment answered changes between judging and storing -------------


@pytest.fixture
def meanwhile(ctx):
    """``meanwhile(statement)``: run it as another worker would, right after the next
    comment POST has read and judged (its read transaction ends) and before it stores."""
    pending = []
    own = db.session()  # the test's session commits too: not the request judging

    def other_worker(session) -> None:
        if pending and session is not own:
            with db.engine.begin() as connection:  # a connection of its own
                connection.execute(pending.pop())

    event.listen(Session, "after_commit", other_worker)
    yield pending.append
    event.remove(Session, "after_commit", other_worker)


def test_a_reply_to_a_comment_trashed_meanwhile_is_refused(client, meanwhile, ctx):
    post = make_post()
    parent = make_comment(post)
    form = open_form(client, post, replytocom=parent.id)
    meanwhile(update(Comment).where(Comment.id == parent.id).values(status=CommentStatus.TRASH))
    response = post_comment(client, post, "Quite right.", fields=form)
    assert response.status_code == 400
    assert "is not open for replies on this post" in response.get_data(as_text=True)
    assert [c.id for c in stored()] == [parent.id]


def test_a_comment_on_a_post_closed_meanwhile_is_refused(client, meanwhile, ctx):
    post = make_post()
    meanwhile(update(Post).where(Post.id == post.id).values(comment_mode=COMMENTS_CLOSED))
    response = post_comment(client, post, "Too late?")
    assert response.status_code == 403
    assert stored() == []
    assert db.session.scalar(select(ModerationEvent.id)) is None


def test_a_comment_on_a_post_unpublished_meanwhile_is_not_found(client, meanwhile, ctx):
    post = make_post()
    meanwhile(update(Post).where(Post.id == post.id).values(status="draft"))
    assert post_comment(client, post, "Where did it go?").status_code == 404
    assert stored() == []


def test_a_comment_on_a_post_moderated_meanwhile_is_held(client, meanwhile, ctx):
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    make_comment(post, author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    meanwhile(update(Post).where(Post.id == post.id).values(comment_mode=COMMENTS_MODERATED))
    response = post_comment(client, post, "Known, but the post is moderated now.")
    assert response.status_code == 302
    newest = stored()[-1]
    assert newest.status == CommentStatus.PENDING
    event_summary = db.session.scalar(
        select(ModerationEvent.comment_summary).where(ModerationEvent.comment_id == newest.id)
    )
    assert event_summary.endswith("[post is moderated]")


def test_an_approved_comment_past_the_first_page_is_shown_on_the_next(app, client, ctx):
    app.config["COMMENTS_PER_PAGE"] = 2
    save_settings(CommentSettings(auto_approve_known=True))
    post = make_post()
    for n in range(2):
        make_comment(post, f"Top {n}.", author_name="Dara", author_email="dara@example.org")
    recognise(client, "dara@example.org")
    response = post_comment(client, post, "A third, approved at once.")
    comment = stored()[-1]
    assert comment.status == CommentStatus.APPROVED
    assert response.headers["Location"] == url_of(post, cpage=2) + f"#comment-{comment.id}"
