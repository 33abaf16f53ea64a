"""The audit log (issue 19): every admin write leaves an entry saying who, what, when
and from where, written by one session hook in the transaction of the write; admins
read it (filtered, paged, as CSV); nothing can change or remove an entry."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DatabaseError

from blogapp import audit
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, ROLE_EDITOR, AuditEntry, Post
from tests.factories import make_category, make_comment, make_page, make_post, make_tag, make_user
from tests.helpers import admin_rules, csrf_token_from, example_url

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"


def entries() -> list[AuditEntry]:
    db.session.expire_all()
    found = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    db.session.commit()
    return found


def token(client, page="/admin/") -> str:
    return csrf_token_from(client.get(page).get_data(as_text=True))


def test_editing_a_post_records_who_what_and_from_where(client, login_as, ctx):
    editor = login_as(make_user("sokha", role=ROLE_EDITOR))
    post = make_post("Water rights", author=editor)
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert entries() == []  # reading records nothing

    response = client.post(
        f"/admin/posts/{post.id}/edit",
        data={
            "csrf_token": csrf_token_from(page),
            "title": "Water rights, revisited",
            "slug": post.slug,
            "body": "Some words.",
            "content_format": "markdown",
            "status": "published",
            "language": "en",
            "comment_mode": "open",
            "action": "save",
        },
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    [entry] = [e for e in entries() if e.table_name == "posts"]
    assert (entry.actor_login, entry.actor_id, entry.address) == ("sokha", editor.id, "203.0.113.9")
    assert entry.action == "update" and entry.row_id == str(post.id)
    assert entry.label == "Water rights, revisited"
    assert "title" in entry.changes.split(", ")
    assert entry.request == f"POST /admin/posts/{post.id}/edit"


def test_a_new_account_is_logged_without_its_password(client, login_as, ctx):
    login_as(make_user("admin", role=ROLE_ADMIN))

    client.post(
        "/admin/users/new",
        data={
            "csrf_token": token(client, "/admin/users/new"),
            "login": "dara",
            "email": "dara@example.org",
            "display_name": "Dara",
            "role": "editor",
            "is_active_account": "y",
            "password": "a long enough password",
        },
    )

    [entry] = [e for e in entries() if e.table_name == "users"]
    assert (entry.action, entry.label, entry.actor_login) == ("insert", "dara", "admin")
    stored = " ".join(str(v) for e in entries() for v in vars(e).values())
    assert "a long enough password" not in stored and "argon2" not in stored


def _world():
    """Something for each route's id 1 to act on."""
    author = make_user("writer", role=ROLE_EDITOR)
    post = make_post("First", author=author)
    make_page("About", "About us.")
    make_category("Politics")
    make_tag("Water")
    make_comment(post, status="pending")


def _audited_rows() -> dict[str, list]:
    """Every row of every audited table, to see whether a request wrote anything."""
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in audit.NOT_AUDITED:
            continue
        rows = db.session.execute(select(table)).all()
        found[table.name] = sorted(
            repr(tuple(row))
            for row in rows
            if not (table.name == "settings" and row[0] == audit.VERSION_KEY)
        )
    db.session.commit()
    return found


def _count() -> int:
    found = db.session.scalar(select(func.count()).select_from(AuditEntry))
    db.session.commit()
    return found


@pytest.mark.parametrize(("endpoint", "method"), admin_rules())
def test_every_admin_route_that_writes_leaves_an_entry(
    app, client, login_as, endpoint, method, ctx
):
    """Walks every admin route, as the permissions test does, POSTing to each one
    that takes a POST: whatever it writes, an entry comes with it."""
    rule = app.url_map._rules_by_endpoint[endpoint][0]
    if "POST" not in rule.methods:
        pytest.skip("reads only")
    _world()
    login_as(make_user("boss", role=ROLE_ADMIN))
    url = example_url(app, endpoint)
    csrf = token(client)
    before, count = _audited_rows(), _count()

    response = client.post(
        url,
        data={"csrf_token": csrf, "action": "approve", "ids": "1", "move_to": "", "confirm": "y"},
    )

    assert response.status_code < 500
    if _audited_rows() != before:
        assert _count() > count, f"{endpoint} wrote without an audit entry"
        assert {e.actor_login for e in entries()[count:]} == {"boss"}


def test_the_walk_sees_writes(app, client, login_as, ctx):
    """The walk above is not empty: deleting a post through it writes and logs."""
    _world()
    login_as(make_user("boss", role=ROLE_ADMIN))
    client.post("/admin/posts/1/delete", data={"csrf_token": token(client)})
    [entry] = [e for e in entries() if e.table_name == "posts"]
    assert (entry.action, entry.label) == ("delete", "First")


def test_bulk_statements_are_logged_once(client, login_as, ctx):
    post = make_post("Discussed")
    for _ in range(3):
        make_comment(post, status="pending")
    login_as(make_user("boss", role=ROLE_ADMIN))
    page = client.get("/admin/comments").get_data(as_text=True)

    client.post(
        "/admin/comments/bulk",
        data={"csrf_token": csrf_token_from(page), "action": "approve", "ids": ["1", "2", "3"]},
    )

    logged = [e for e in entries() if e.table_name == "comments"]
    assert logged and all(e.actor_login == "boss" for e in logged)


def test_the_log_is_append_only(app, ctx):
    audit.record("import", table="wxr", label="file.xml", actor_login="cli:test")
    db.session.commit()
    for statement in ("UPDATE audit_log SET actor_login = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert [e.actor_login for e in entries()] == ["cli:test"]
    writes = [
        r
        for r in app.url_map.iter_rules()
        if "audit" in r.rule and r.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert writes == []


def test_the_one_change_allowed_is_a_label_blanked(app, ctx):
    """Labels written before they stopped naming readers can be blanked (erasure,
    prune); nothing else of an entry changes, and no label is rewritten."""
    audit.record("update", table="comments", row_id="7", label="Dara Sok", actor_login="cli:test")
    db.session.commit()
    for statement in (
        "UPDATE audit_log SET label = 'someone else'",
        "UPDATE audit_log SET label = '', actor_login = 'someone else'",
        "UPDATE audit_log SET label = '', row_id = '8'",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()

    assert audit.prune() == 1

    [entry] = entries()
    assert (entry.label, entry.row_id, entry.actor_login) == ("", "7", "cli:test")


def test_admins_filter_page_and_export_the_log(client, login_as, ctx):
    for n in range(60):
        audit.record("update", table="posts", row_id=str(n), label=f"Post {n}", actor_login="sokha")
    audit.record("delete", table="users", row_id="9", label="=cmd()", actor_login="dara")
    db.session.commit()
    login_as(make_user("boss", role=ROLE_ADMIN))

    first = client.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of 2" in first and "=cmd()" in first
    only = client.get("/admin/audit?who=dara").get_data(as_text=True)
    assert "users #9" in only and "Post 5" not in only
    assert client.get("/admin/audit?since=not-a-date").status_code == 400
    assert client.get("/admin/audit?action=rewrite").status_code == 404

    exported = client.get("/admin/audit.csv?table=users")
    assert exported.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][:2] == ["created_at", "actor_login"]
    assert [(r[1], r[7]) for r in rows[1:]] == [("dara", "'=cmd()")]  # never a formula


def test_editors_cannot_read_the_log(client, login_as, ctx):
    login_as(make_user(role=ROLE_EDITOR))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_the_wxr_import_is_one_entry(runner, ctx):
    result = runner.invoke(args=["import-wxr", str(FIXTURES / "full.xml")])
    assert result.exit_code == 0, result.output

    [entry] = entries()
    assert (entry.action, entry.table_name, entry.label) == ("import", "wxr", "full.xml")
    assert entry.actor_login.startswith("cli:") and "posts:" in entry.changes
    assert db.session.scalar(select(func.count()).select_from(Post)) > 0


def test_reading_pages_and_logging_in_record_nothing(client, ctx):
    make_user("sokha", password="correct horse battery")
    make_post("Open")
    client.post(
        "/login",
        data={
            "csrf_token": token(client, "/login"),
            "username": "sokha",
            "password": "correct horse battery",
        },
    )
    client.get("/")
    client.get("/admin/")
    assert entries() == []  # a login is in "where you're logged in", not here
    assert inspect(AuditEntry).local_table.name == "audit_log"
