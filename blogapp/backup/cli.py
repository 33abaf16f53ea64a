"""``flask backup``, ``flask restore`` and ``flask upgrade``: the operator's words
for ``blogapp.backup.site`` and ``blogapp.backup.upgrade``. Every failure the operator
can cause (a wrong key, a truncated archive, a database that is not empty) ends in one
sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from blogapp.backup.archive import BackupError


def identities(identity: str) -> list[Any]:
    from blogapp.backup.archive import identities_from, load_identities

    if identity == "-":  # piped in (over ssh from the machine that keeps it)
        return identities_from(sys.stdin.buffer.read(), "standard input")
    return load_identities(Path(identity))


def newest_archive(folder: Path) -> Path:
    from blogapp.backup.archive import BackupError
    from blogapp.backup.prune import archive_time

    archives = sorted(
        (at, path) for path in folder.iterdir() if (at := archive_time(path.name)) is not None
    )
    if not archives:
        raise BackupError(f"No archive (blogapp-….tar.age) in {folder}.")
    return archives[-1][1]


def fail(error: BackupError) -> None:
    click.echo(f"Error: {error}", err=True)
    raise SystemExit(1)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--recipient",
    "-r",
    multiple=True,
    help="An age public key to encrypt to, besides BACKUP_RECIPIENTS (repeatable).",
)
@click.option("--prune", is_flag=True, help="Then delete old archives in PATH by the keep rule.")
@click.option(
    "--verify",
    is_flag=True,
    help="Verify the archive PATH (or the newest in the folder PATH) instead of writing one.",
)
@click.option(
    "--identity",
    "-i",
    help="With --verify: the file holding the private key ('-': standard input).",
)
@with_appcontext
def backup_command(
    path: Path, recipient: tuple[str, ...], prune: bool, verify: bool, identity: str | None
) -> None:
    """Write one encrypted archive of the whole site to PATH (a file, or a folder to
    name it in): the database, every upload and the settings without secrets.
    With --verify, restore the archive PATH into a scratch place and compare."""
    from blogapp.backup.archive import BackupError, recipients_from_setting
    from blogapp.backup.prune import prune_folder
    from blogapp.backup.site import make_backup, verify_backup

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        if verify:
            if not identity:
                raise BackupError("--verify needs --identity, the file with the private key.")
            archive = newest_archive(path) if path.is_dir() else path
            done = verify_backup(app, archive, identities(identity))
            click.echo(
                f"Verified {archive}: {done.tables} tables, {done.rows:,} rows and "
                f"{done.uploads} uploads restored and matching (schema {done.revision})."
            )
            return
        recipients = recipients_from_setting(app.config.get("BACKUP_RECIPIENTS"), recipient)
        target, written = make_backup(app, path, recipients)
        manifest = written.manifest
        rows = sum(t["rows"] for t in manifest["database"]["tables"].values())
        click.echo(
            f"Backed up {rows:,} rows and {manifest['uploads']} uploads to {target} "
            f"({written.size:,} bytes, sha256 {written.sha256[:16]}…)."
        )
        if manifest["secrets_left_out"]:
            click.echo("Left out (secrets): " + ", ".join(manifest["secrets_left_out"]))
        if prune:
            folder = target.parent
            deleted = prune_folder(
                folder,
                app.config["BACKUP_KEEP_DAILY"],
                app.config["BACKUP_KEEP_WEEKLY"],
                app.config["BACKUP_KEEP_MONTHLY"],
            )
            click.echo(f"Pruned {len(deleted)} old archive(s) from {folder}.")
    except BackupError as error:
        fail(error)


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--identity",
    "-i",
    required=True,
    help="The file holding the private key ('-': standard input).",
)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="The instance folder to write the restored config.py in (default: this site's).",
)
@click.option("--database-url", help="The database to restore into (default: this site's).")
@click.option(
    "--uploads",
    type=click.Path(file_okay=False, path_type=Path),
    help="The uploads folder to restore into (default: this site's UPLOAD_FOLDER).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Drop this site's database and uploads and put the archive's in their place "
    "(a rollback). Stop the site first.",
)
@with_appcontext
def restore_command(
    archive: Path,
    identity: str,
    into: Path | None,
    database_url: str | None,
    uploads: Path | None,
    replace: bool,
) -> None:
    """Restore ARCHIVE into an empty database, uploads folder and instance folder."""
    from blogapp.backup.archive import BackupError
    from blogapp.backup.site import restore_backup
    from blogapp.extensions import db

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    uri = database_url or app.config["SQLALCHEMY_DATABASE_URI"]
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri[len(prefix) :]
    db.session.remove()  # no connection of ours holds the database being replaced
    db.engine.dispose()
    try:
        done = restore_backup(
            app,
            archive,
            identities(identity),
            database_uri=uri,
            uploads=uploads or Path(app.config["UPLOAD_FOLDER"]),
            into=into or Path(app.instance_path),
            replace=replace,
        )
    except BackupError as error:
        fail(error)
        return
    click.echo(
        f"Restored {done.tables} tables ({done.rows:,} rows) and {done.uploads} uploads "
        f"from {archive} (schema {done.revision})."
    )
    if done.config is not None:
        click.echo(f"Wrote the settings to {done.config}; give the secrets it lists again.")


@click.command("upgrade")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    help="The migrations folder (default: migrations/ of this checkout).",
)
@click.option(
    "--backup-folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the archive taken first goes (default: BACKUP_FOLDER).",
)
@with_appcontext
def upgrade_command(directory: Path | None, backup_folder: Path | None) -> None:
    """Back up, apply the migrations, check the site; on failure, print the one
    command that rolls back."""
    from blogapp.backup.archive import BackupError
    from blogapp.backup.upgrade import run_upgrade

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        outcome = run_upgrade(app, directory=directory, backup_folder=backup_folder)
    except BackupError as error:
        fail(error)
        return
    for line in outcome.lines:
        click.echo(line)
    if not outcome.ok:
        click.echo(
            "\nThe upgrade failed. To put the site back as it was, stop it and run:\n", err=True
        )
        click.echo(f"  {outcome.rollback}\n", err=True)
        raise SystemExit(1)
