"""Whole-site backups that restore, on the database the suite runs on (SQLite, or
PostgreSQL with BLOGAPP_TEST_DATABASE_URL): the restore drill (the demo site with an
upload, comments and subscribers backed up encrypted, wiped, restored with the private
key, every row and every upload byte compared), a wrong key and a truncated archive
refused with nothing touched, a verify run, the keep rule, and ``flask upgrade`` with
a migration that fails halfway, undone by the one command it prints."""

from __future__ import annotations

import io
import shlex
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from PIL import Image
from pyrage import x25519
from sqlalchemy import MetaData, create_engine, inspect, select, text

from blogapp.backup.prune import archive_name, prune_folder, to_keep
from blogapp.backup.status import backup_status
from blogapp.extensions import db
from blogapp.media.storage import store_image
from blogapp.models import MailSubscriber, NewsletterSubscriber, Post
from blogapp.search.schema import is_search_index_object
from tests.conftest import on_postgres
from tests.factories import make_comment

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_COMMENT = "The dam's contractor is the minister's cousin."


class Key:
    def __init__(self, folder: Path, name: str) -> None:
        identity = x25519.Identity.generate()
        self.public = str(identity.to_public())
        self.file = folder / f"{name}.txt"
        self.file.write_text(f"# created: for a test\n# public key: {self.public}\n{identity}\n")


@pytest.fixture
def key(tmp_path):
    return Key(tmp_path, "operator")


@pytest.fixture
def app_config(key, monkeypatch):
    monkeypatch.setenv("BLOGAPP_ONION_PROXY_SECRET", "not-in-the-archive")
    monkeypatch.setenv("BLOGAPP_SITE_NAME", "The Restored Review")
    return {"BACKUP_RECIPIENTS": [key.public]}


@pytest.fixture
def own_instance_folder(app, tmp_path):
    """The status record and the backups' working folders go to this test's instance."""
    app.instance_path = str(tmp_path / "instance")
    Path(app.instance_path).mkdir()


@pytest.fixture
def site(app, runner, ctx, own_instance_folder):
    """The demo site, with an upload, comments (one a reply) and subscribers."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    post = db.session.scalars(select(Post).order_by(Post.id)).first()
    first = make_comment(post, SECRET_COMMENT, author_name="Dara", author_email="dara@example.org")
    make_comment(post, "ខ្ញុំយល់ស្រប។", parent=first, author_name="Sophea")
    db.session.add(MailSubscriber(email="dara@example.org"))
    db.session.add(NewsletterSubscriber(email="vanna@example.org", status="confirmed"))
    png = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 40)).save(png, "PNG")
    png.seek(0)
    store_image(png, "flood.png", alt="The river in flood")
    title = post.title
    db.session.commit()
    return title


@pytest.fixture
def backups(tmp_path, own_instance_folder) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder


def site_state(app) -> dict:
    """Every row of every table (the search index aside, which the database derives),
    the schema revision with it, and every upload's bytes and time."""
    db.session.remove()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    tables = {}
    with engine.connect() as conn:
        metadata = MetaData()
        names = [n for n in inspect(conn).get_table_names() if not is_search_index_object(n)]
        metadata.reflect(conn, only=names)
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if not is_search_index_object(c.name)]
            order = list(table.primary_key.columns) or columns
            tables[table.name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*order))]
    engine.dispose()
    folder = Path(app.config["UPLOAD_FOLDER"])
    uploads = {
        p.relative_to(folder).as_posix(): (p.read_bytes(), int(p.stat().st_mtime))
        for p in folder.rglob("*")
        if p.is_file()
    }
    return {"tables": tables, "uploads": uploads}


def wipe(app) -> None:
    """The server is wiped: no database, no uploads."""
    db.session.remove()
    db.engine.dispose()
    if on_postgres():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()
    else:
        path = Path(db.engine.url.database)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    shutil.rmtree(app.config["UPLOAD_FOLDER"])


@pytest.fixture
def schema_back_afterwards(app):
    """A PostgreSQL test database shared by the suite gets its tables back if a test
    that wiped it failed before restoring."""
    yield
    with app.app_context():
        if not inspect(db.engine).get_table_names():
            db.create_all()
        db.engine.dispose()


def back_up(runner, backups: Path) -> Path:
    result = runner.invoke(args=["backup", str(backups)])
    assert result.exit_code == 0, result.output
    (archive,) = backups.glob("blogapp-*.tar.age")
    return archive


def test_the_restore_drill_brings_back_every_row_and_every_upload_byte(
    app, runner, site, key, backups, tmp_path, schema_back_afterwards
):
    before = site_state(app)
    assert before["uploads"] and before["tables"]["comments"]
    assert before["tables"]["mail_subscribers"] and before["tables"]["newsletter_subscribers"]
    archive = back_up(runner, backups)

    sealed = archive.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1")
    for plain in (SECRET_COMMENT.encode(), b"dara@example.org", b"SQLite format", b"PGDMP"):
        assert plain not in sealed

    wipe(app)
    into = tmp_path / "new-instance"
    result = runner.invoke(
        args=["restore", str(archive), "--identity", str(key.file), "--into", str(into)]
    )
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output

    assert site_state(app) == before
    config = (into / "config.py").read_text()
    assert "SITE_NAME = 'The Restored Review'" in config and "ONION_PROXY_SECRET" in config
    assert "not-in-the-archive" not in config  # named as a secret to give again, not its value
    home = app.test_client().get("/")
    assert home.status_code == 200 and site in home.get_data(as_text=True)


def test_a_restore_refuses_a_site_that_is_not_empty(app, runner, site, key, backups, tmp_path):
    archive = back_up(runner, backups)
    result = runner.invoke(
        args=["restore", str(archive), "--identity", str(key.file), "--into", str(tmp_path / "i")]
    )
    assert result.exit_code == 1
    assert "is not empty" in result.output and "--replace" in result.output


def test_a_wrong_key_or_a_truncated_archive_is_refused_and_touches_nothing(
    app, runner, site, backups, tmp_path
):
    archive = back_up(runner, backups)
    before = site_state(app)
    stranger = Key(tmp_path, "stranger")
    wrong = runner.invoke(
        args=["restore", str(archive), "--identity", str(stranger.file), "--replace"]
    )
    assert wrong.exit_code == 1
    assert "None of the given keys can open" in wrong.output
    assert "Traceback" not in wrong.output

    cut = backups / "cut.tar.age"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    key_file = tmp_path / "operator.txt"
    truncated = runner.invoke(args=["restore", str(cut), "--identity", str(key_file), "--replace"])
    assert truncated.exit_code == 1
    assert "truncated or damaged" in truncated.output

    assert site_state(app) == before
    staging = Path(app.config["UPLOAD_FOLDER"]).parent.glob(".backup-*")
    assert list(staging) == []  # the staging folder is gone


def test_verify_restores_into_a_scratch_place_and_records_the_result(
    app, runner, site, key, backups, tmp_path
):
    archive = back_up(runner, backups)
    assert backup_status(app).verified is False
    result = runner.invoke(args=["backup", "--verify", str(backups), "--identity", str(key.file)])
    assert result.exit_code == 0, result.output
    assert f"Verified {archive}" in result.output
    status = backup_status(app)
    assert status.verified and status.last_verify_ok
    assert status.last_backup_archive == str(archive)

    altered = bytearray(archive.read_bytes())
    altered[len(altered) // 2] ^= 1
    archive.write_bytes(bytes(altered))
    result = runner.invoke(args=["backup", "--verify", str(archive), "--identity", str(key.file)])
    assert result.exit_code == 1 and "damaged" in result.output
    assert backup_status(app).last_verify_ok is False


def test_a_backup_without_a_public_key_is_refused(app, runner, backups):
    app.config["BACKUP_RECIPIENTS"] = []
    result = runner.invoke(args=["backup", str(backups)])
    assert result.exit_code == 1 and "No public key" in result.output
    assert list(backups.iterdir()) == []


def test_the_keep_rule_keeps_days_then_weeks_then_months():
    start = datetime(2026, 1, 1, 3, 15, tzinfo=UTC)
    nightly = [start + timedelta(days=n) for n in range(120)]
    kept = to_keep(nightly, daily=7, weekly=4, monthly=3)
    newest = nightly[-1]
    assert set(nightly[-7:]) <= kept  # the last seven nights
    weeks = {t.isocalendar()[:2] for t in kept}
    assert len(weeks) >= 4
    assert {(t.year, t.month) for t in kept} >= {(2026, 2), (2026, 3), (2026, 4)}
    assert len(kept) <= 7 + 4 + 3 and newest in kept
    assert to_keep([], 7, 4, 3) == set()
    assert archive_name(start) == "blogapp-20260101T031500Z.tar.age"


def test_pruning_a_folder_deletes_only_archives_no_rule_keeps(tmp_path):
    start = datetime(2026, 3, 1, 3, 15, tzinfo=UTC)
    for n in range(10):
        (tmp_path / archive_name(start + timedelta(days=n))).write_bytes(b"age")
    (tmp_path / "blogapp-before-upgrade-20260301T101500Z.tar.age").write_bytes(b"age")
    (tmp_path / "notes.txt").write_text("mine")
    deleted = prune_folder(tmp_path, daily=3, weekly=0, monthly=0)
    assert len(deleted) == 7
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        "blogapp-20260308T031500Z.tar.age",
        "blogapp-20260309T031500Z.tar.age",
        "blogapp-20260310T031500Z.tar.age",
        "blogapp-before-upgrade-20260301T101500Z.tar.age",
        "notes.txt",
    ]


# --- flask upgrade ------------------------------------------------------------------------

FAILING_MIGRATION = '''"""a migration that fails halfway, after committing part of its work"""
from alembic import op
from sqlalchemy import text

revision = "fa11ed000001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    bind.execute(text("DELETE FROM comments"))
    bind.execute(text("CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY)"))
    bind.commit()
    raise RuntimeError("this migration fails halfway")


def downgrade():
    pass
'''


@pytest.fixture
def failing_migrations(tmp_path) -> Path:
    """This checkout's migrations and one more on top that fails after committing half."""
    folder = tmp_path / "migrations"
    shutil.copytree(
        PROJECT_ROOT / "migrations", folder, ignore=shutil.ignore_patterns("__pycache__")
    )
    head = ScriptDirectory(str(folder)).get_current_head()
    (folder / "versions" / "fa11ed000001_fails_halfway.py").write_text(
        FAILING_MIGRATION.format(head=head)
    )
    return folder


def stamp_at_head(app) -> str:
    from alembic import command
    from flask_migrate import Migrate

    db.session.remove()
    found = app.extensions.get("migrate")
    migrate = found.migrate if found else Migrate(app, db)
    config = migrate.get_config(str(PROJECT_ROOT / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    command.stamp(config, head)
    return head


def test_a_failed_upgrade_is_undone_by_the_one_command_it_prints(
    app, runner, site, failing_migrations, tmp_path, schema_back_afterwards
):
    head = stamp_at_head(app)
    before = site_state(app)
    assert before["tables"]["alembic_version"] == [(head,)]

    result = runner.invoke(
        args=[
            "upgrade",
            "--directory",
            str(failing_migrations),
            "--backup-folder",
            str(tmp_path / "before-upgrade"),
        ]
    )
    assert result.exit_code == 1
    assert "this migration fails halfway" in result.output
    damaged = site_state(app)
    assert damaged != before  # half the migration stayed: comments gone, a table more

    commands = [
        line.strip()
        for line in result.output.splitlines()
        if line.strip().startswith("flask --app blogapp restore")
    ]
    assert len(commands) == 1
    args = shlex.split(commands[0])[3:]  # after "flask --app blogapp"
    rollback = runner.invoke(args=args)
    assert rollback.exit_code == 0, rollback.output
    assert site_state(app) == before


def test_an_upgrade_with_nothing_to_do_checks_the_site_and_keeps_no_extra_key(
    app, runner, site, tmp_path
):
    stamp_at_head(app)
    folder = tmp_path / "before-upgrade"
    result = runner.invoke(args=["upgrade", "--backup-folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert "OK   the database is at the migrations' head" in result.output
    assert "OK   the home page renders" in result.output
    assert [p.suffix for p in folder.iterdir()] == [".age"]  # the one-off key is gone
    assert backup_status(app).last_backup_at is None  # a rollback point, not the site's backup
