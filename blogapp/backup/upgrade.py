"""``flask upgrade``: back up, migrate, check, and on failure name the one command
that puts the site back.

The archive taken first is encrypted to the operators' keys *and* to a key made for
this upgrade alone, kept beside it (mode 0600) so that the rollback can run on the
server. That key reads nothing the server does not hold already (this archive is
the site as it is now); it is deleted once the upgrade succeeds, after which the
archive is an ordinary one that only the operators' private keys open.

The checks are a basic set: a new app starts, the database's schema is at the
migrations' head, and the home page renders. ``UPGRADE_CHECKS`` is the list to grow
(``flask doctor``'s checks may join it)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from pyrage import x25519

from blogapp import clock
from blogapp.backup.archive import recipients_from_setting

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_app_starts(app: Flask, directory: Path) -> Check:
    from blogapp import create_app
    from blogapp.extensions import db

    try:
        fresh = create_app(dict(app.config))
    except Exception as error:  # noqa: BLE001 - any failure to start is the finding
        return Check("the app starts", False, f"{type(error).__name__}: {error}")
    with fresh.app_context():
        db.engine.dispose()
    return Check("the app starts", True, "")


def check_schema_at_head(app: Flask, directory: Path) -> Check:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from blogapp.extensions import db

    heads = set(ScriptDirectory(str(directory)).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        return Check(
            "the database is at the migrations' head",
            False,
            f"at {', '.join(sorted(current)) or 'no revision'}, head is {', '.join(sorted(heads))}",
        )
    return Check("the database is at the migrations' head", True, ", ".join(sorted(heads)))


def check_home_page(app: Flask, directory: Path) -> Check:
    from blogapp import create_app
    from blogapp.extensions import db

    fresh = create_app(dict(app.config))
    response = fresh.test_client().get("/")
    with fresh.app_context():
        db.engine.dispose()
    if response.status_code != 200:
        return Check("the home page renders", False, f"status {response.status_code}")
    return Check("the home page renders", True, "")


UPGRADE_CHECKS: list[Callable[[Flask, Path], Check]] = [
    check_app_starts,
    check_schema_at_head,
    check_home_page,
]


@dataclass
class Outcome:
    ok: bool
    archive: Path
    rollback: str
    lines: list[str] = field(default_factory=list)


def run_upgrade(app: Flask, directory: Path | None, backup_folder: Path | None) -> Outcome:
    from alembic import command
    from flask_migrate import Migrate

    from blogapp.backup.site import make_backup
    from blogapp.extensions import db

    directory = (directory or PROJECT_ROOT / "migrations").resolve()
    folder = (
        backup_folder
        or Path(app.config.get("BACKUP_FOLDER") or Path(app.instance_path) / "backups")
    ).resolve()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    operators = recipients_from_setting(app.config.get("BACKUP_RECIPIENTS"))
    one_off = x25519.Identity.generate()
    stamp = f"{clock.now(app=app):%Y%m%dT%H%M%SZ}"
    archive = folder / f"blogapp-before-upgrade-{stamp}.tar.age"
    key_file = folder / f"blogapp-before-upgrade-{stamp}.key"
    key_file.touch(mode=0o600)
    key_file.write_text(
        f"# Opens {archive.name} only; deleted when the upgrade succeeds.\n{one_off}\n"
    )
    try:
        make_backup(app, archive, [*operators, one_off.to_public()], record=False)
    except BaseException:
        key_file.unlink(missing_ok=True)
        raise
    rollback = shlex.join(
        [
            "flask",
            "--app",
            "blogapp",
            "restore",
            str(archive),
            "--identity",
            str(key_file),
            "--replace",
        ]
    )
    outcome = Outcome(ok=True, archive=archive, rollback=rollback)
    outcome.lines.append(f"Backed up to {archive}.")

    db.session.remove()  # no transaction of ours in the migrations' way
    found = app.extensions.get("migrate")
    migrate = found.migrate if found else Migrate(app, db, directory=str(directory))
    try:
        command.upgrade(migrate.get_config(str(directory)), "head")
        outcome.lines.append("Migrations applied.")
    except Exception as error:  # noqa: BLE001 - a failed migration is the finding
        outcome.ok = False
        outcome.lines.append(f"FAIL migrations: {type(error).__name__}: {error}")
    finally:
        db.session.remove()
        db.engine.dispose()

    if outcome.ok:
        for check in UPGRADE_CHECKS:
            found = check(app, directory)
            outcome.lines.append(
                f"{'OK  ' if found.ok else 'FAIL'} {found.name}"
                + (f": {found.detail}" if found.detail else "")
            )
            outcome.ok = outcome.ok and found.ok
    if outcome.ok:
        key_file.unlink()
        if operators:
            outcome.lines.append(f"Upgrade done; {archive.name} opens with your keys only.")
        else:
            archive.unlink()
            outcome.lines.append(
                "Upgrade done. No BACKUP_RECIPIENTS are set, so nobody could open the "
                "archive taken first: it is deleted."
            )
    return outcome
