"""The write paths services take: ``commit_write`` (one short write, committed or
rolled back) and ``read_then_write`` (look without the write lock, then write what
was decided, again when it was outdated), on a real database."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import select, update

from blogapp.database import Changed, commit_write, read_then_write
from blogapp.extensions import db
from blogapp.models import Post
from tests.conftest import on_postgres
from tests.factories import make_post


def _title(post_id: int) -> str:
    title = db.session.scalar(select(Post.title).where(Post.id == post_id))
    db.session.rollback()  # the test's own look: it keeps no snapshot open
    return title


def _rename(post_id: int, title: str) -> int:
    return db.session.execute(update(Post).where(Post.id == post_id).values(title=title)).rowcount


def test_a_write_is_committed_and_its_result_returned(app, ctx):
    post_id = make_post(title="Before").id
    db.session.scalar(select(Post.id))  # a read transaction is open: the write ends it
    assert commit_write(lambda: _rename(post_id, "After")) == 1
    assert _title(post_id) == "After"


def test_a_write_that_fails_is_rolled_back_whole(app, ctx):
    post_id = make_post(title="Before").id

    def half_then_fail() -> None:
        _rename(post_id, "Half")
        raise ValueError("refused")

    with pytest.raises(ValueError):
        commit_write(half_then_fail)
    assert _title(post_id) == "Before"


def test_a_write_inside_another_joins_it(app, ctx):
    """A job run inside the worker's write (a composer) is committed with it, or not."""
    post_id = make_post(title="Before").id

    def outer() -> None:
        commit_write(lambda: _rename(post_id, "Inner"))
        read_then_write(lambda: post_id, lambda found: _rename(found, "Inner again"))
        raise ValueError("the outer write fails after the inner ones")

    with pytest.raises(ValueError):
        commit_write(outer)
    assert _title(post_id) == "Before"


def test_what_is_read_is_what_is_written_from(app, ctx):
    post_id = make_post(title="Draft").id
    renamed = read_then_write(
        lambda: db.session.scalar(select(Post.title).where(Post.id == post_id)),
        lambda title: _rename(post_id, title + ", revised"),
    )
    assert renamed == 1
    assert _title(post_id) == "Draft, revised"


def test_an_outdated_write_reads_and_decides_again(app, ctx):
    """Another worker renamed the post between this one's read and its write: the
    conditional write touches nothing, and the second try starts from the new title."""
    post_id = make_post(title="First").id
    reads: list[str] = []

    def read() -> str:
        title = db.session.scalar(select(Post.title).where(Post.id == post_id))
        reads.append(title)
        if len(reads) == 1:
            other_worker_renames()
        return title

    def other_worker_renames() -> None:
        with db.engine.begin() as connection:
            connection.execute(update(Post).where(Post.id == post_id).values(title="Second"))

    def write(title: str) -> None:
        if not db.session.execute(
            update(Post).where(Post.id == post_id, Post.title == title).values(title=title + "!")
        ).rowcount:
            raise Changed

    read_then_write(read, write)
    assert reads == ["First", "Second"]
    assert _title(post_id) == "Second!"


def test_a_write_outdated_every_time_gives_up_with_nothing_written(app, ctx):
    post_id = make_post(title="Kept").id
    tries: list[int] = []

    def write(_seen: int) -> None:
        tries.append(_rename(post_id, "Lost"))
        raise Changed

    with pytest.raises(Changed):
        read_then_write(lambda: post_id, write)
    assert len(tries) == 3
    assert _title(post_id) == "Kept"


@pytest.mark.skipif(on_postgres(), reason="SQLite's write lock")
def test_the_read_goes_on_while_another_worker_writes_and_the_write_waits(app, ctx):
    post_id = make_post(title="Before").id
    db.session.commit()
    database_file = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other_worker = sqlite3.connect(database_file, isolation_level=None)
    other_worker.execute("BEGIN IMMEDIATE")
    read_done, written = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def service() -> None:
        def read() -> str:
            title = db.session.scalar(select(Post.title).where(Post.id == post_id))
            read_done.set()
            return title

        def write(title: str) -> None:
            _rename(post_id, title + " and after")
            written.set()

        try:
            with app.app_context():
                read_then_write(read, write)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=service)
    thread.start()
    try:
        assert read_done.wait(10)  # not queued behind the other worker's lock
        assert not written.wait(0.3)  # the write waits its turn
    finally:
        other_worker.rollback()
        other_worker.close()
    thread.join(10)
    assert not errors
    assert written.is_set()
    assert _title(post_id) == "Before and after"


def test_a_read_that_finds_nothing_to_do_takes_no_write_lock(app, ctx):
    """Most passes of a periodic job find nothing: they must not queue behind writers."""
    make_post()
    db.session.commit()
    writes: list[object] = []
    other_worker = None
    if not on_postgres():  # a write lock taken here would wait for the other worker's
        database_file = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        other_worker = sqlite3.connect(database_file, isolation_level=None, timeout=0)
        other_worker.execute("BEGIN IMMEDIATE")
    try:
        found = read_then_write(
            lambda: db.session.scalar(select(Post.id).where(Post.title == "No such post")),
            writes.append,
        )
    finally:
        if other_worker is not None:
            other_worker.rollback()
            other_worker.close()
    assert found is None
    assert writes == []
    assert not db.session().in_transaction()
