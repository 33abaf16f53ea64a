"""A feature plugs in by registering what it brings (``blogapp.registry``), with no edit
outside its own package: a throwaway "guestbook" package, written to a temporary
folder on ``sys.path`` and named only in ``EXTRA_FEATURES``, registers a kind of mail
(composed when sent), a prune job, its reader data and an admin screen. The worker
sends its mail over real SMTP, ``flask prune`` runs its job, a reader's export and
erasure reach its rows, and its screen is in the admin menu and answers."""

from __future__ import annotations

import sys
import textwrap

import pytest
from sqlalchemy import select

from blogapp import create_app
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, ROLE_EDITOR, OutboxMessage, OutboxStatus
from blogapp.privacy import services as privacy
from blogapp.registry import registry
from tests.factories import make_user
from tests.helpers_mail import deliver, text_of

FEATURE = "guestbook_feature"

INIT = '''
"""A guestbook: readers leave a line and get a thank-you mail. Its entries are
settings rows ``guestbook.<n>`` holding ``address|words|old-or-new``."""

from flask import current_app
from sqlalchemy import delete, func, select

from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from blogapp.models import Setting
from blogapp.registry import AdminScreen, OutboxHandler, ReaderData, registry

KIND = "guestbook-thanks"


def entries():
    rows = db.session.scalars(select(Setting).where(Setting.key.like("guestbook.%")))
    return [(row, *row.value.split("|")) for row in rows]


def sign(address, words, *, old=False):
    n = db.session.scalar(select(func.count()).select_from(Setting)
                          .where(Setting.key.like("guestbook.%")))
    age = "old" if old else "new"
    db.session.add(Setting(key=f"guestbook.{n}", value=f"{address}|{words}|{age}"))
    enqueue(key=f"guestbook.{n}", kind=KIND, recipient=address, subject="Thank you",
            payload={"words": words})


def compose(row):
    row.body_text = f"Thank you for writing: {row.payload['words']}"
    return True


def prune():
    old = [row.key for row, _a, _w, age in entries() if age == "old"]
    db.session.execute(delete(Setting).where(Setting.key.in_(old)))
    db.session.commit()
    return f"Deleted {len(old)} old guestbook entries."


def holds(address):
    return any(a.lower() == address for _row, a, _w, _age in entries())


def export(reader):
    return {"guestbook": [w for _row, a, w, _age in entries() if a.lower() == reader.email]}


def erase(reader):
    for row, a, _w, _age in entries():
        if a.lower() == reader.email:
            db.session.delete(row)


def init_app(app):
    from guestbook_feature.admin import bp

    found = registry(app)
    found.add_outbox_kind(OutboxHandler(KIND, compose=compose))
    found.add_job("guestbook", prune)
    found.add_reader_data(ReaderData("guestbook", erase, export, holds))
    found.add_admin_blueprint(app, bp)
    found.add_admin_screen(AdminScreen("Guestbook", "guestbook_admin.entries",
                                       lambda e: e.startswith("guestbook_admin."), order=145))
'''

ADMIN = """
from flask import Blueprint

from blogapp.auth.permissions import admin_required

bp = Blueprint("guestbook_admin", __name__, url_prefix="/admin/guestbook")


@bp.get("/")
@admin_required
def entries():
    from guestbook_feature import entries as all_entries

    return f"<p>{len(all_entries())} guestbook entries</p>"
"""


@pytest.fixture
def feature(tmp_path, monkeypatch):
    package = tmp_path / "plugins" / FEATURE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(INIT))
    (package / "admin.py").write_text(textwrap.dedent(ADMIN))
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    yield __import__(FEATURE)
    for name in [n for n in sys.modules if n == FEATURE or n.startswith(f"{FEATURE}.")]:
        del sys.modules[name]


@pytest.fixture
def app_config(feature):
    return {"EXTRA_FEATURES": (FEATURE,)}


def test_its_mail_is_composed_and_sent_by_the_worker(feature, app, ctx, inbox):
    feature.sign("Sopheap@example.org", "Keep writing.")
    db.session.commit()
    deliver()
    [message] = inbox.to("Sopheap@example.org")
    assert message["Subject"] == "Thank you"
    assert "Thank you for writing: Keep writing." in text_of(message)
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == feature.KIND))
    assert row.status == OutboxStatus.SENT


def test_its_job_runs_in_flask_prune(feature, app, ctx, runner):
    feature.sign("a@example.org", "old words", old=True)
    feature.sign("b@example.org", "new words")
    db.session.commit()
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 old guestbook entries." in result.output
    assert "spent throttle row(s)" in result.output  # the others still run
    assert [w for _row, _a, w, _age in feature.entries()] == ["new words"]


def test_its_reader_data_is_exported_and_erased(feature, app, ctx):
    feature.sign("Dara@Example.org", "From Battambang.")
    feature.sign("other@example.org", "From Kampot.")
    db.session.commit()
    assert privacy.holds_anything("dara@example.org")
    assert privacy.export("dara@example.org")["guestbook"] == ["From Battambang."]
    privacy.erase("dara@example.org")
    db.session.commit()
    assert [a for _row, a, _w, _age in feature.entries()] == ["other@example.org"]
    assert not privacy.holds_anything("dara@example.org")


def test_its_screen_is_in_the_admin_menu_and_answers(feature, app, ctx, client, login_as):
    feature.sign("a@example.org", "Hello.")
    db.session.commit()
    login_as(make_user(role=ROLE_ADMIN))
    menu = client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/guestbook/">Guestbook</a>' in menu
    # After Privacy (order 140) and before the Audit log (150).
    assert menu.index(">Privacy<") < menu.index(">Guestbook<") < menu.index(">Audit log<")
    page = client.get("/admin/guestbook/")
    assert page.status_code == 200
    assert "1 guestbook entries" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_an_editor_sees_no_admin_only_entry(feature, app, ctx, client, login_as):
    login_as(make_user(role=ROLE_EDITOR))
    menu = client.get("/admin/").get_data(as_text=True)
    assert ">Guestbook<" not in menu and ">Posts<" in menu
    assert client.get("/admin/guestbook/").status_code == 403


def test_a_feature_registers_in_its_own_app_only(feature, app, database_url, tmp_path):
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    assert feature.KIND in registry(app).kinds
    assert feature.KIND not in registry(other).kinds
    assert "guestbook" not in [job.name for job in registry(other).jobs]
