"""Every ``flask --app blogapp <command>``, registered here and nowhere else.

The commands of a feature live next to it (``auth/cli.py``, ``mail/cli.py``,
``wordpress/cli.py``, ``backup/cli.py``); the site-wide ones are below. ``register_commands``
is the one list: the factory calls it, so ``flask --help`` shows what it names. Heavy
imports (Alembic, the importer) wait inside the commands, as web workers build the same
app and never run one. ``flask db …`` comes from Flask-Migrate, which the factory sets
up only under the command line (see ``register_extensions``)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from blogapp.extensions import db


def register_commands(app: Flask) -> None:
    from blogapp.auth.cli import create_admin_command, reset_two_factor_command
    from blogapp.backup.cli import backup_command, restore_command, upgrade_command
    from blogapp.cards.cli import cards_command
    from blogapp.doctor.cli import doctor_command
    from blogapp.fediverse.cli import fediverse_command
    from blogapp.mail.cli import deliver_command, mail_command
    from blogapp.mirrors.cli import mirrors_command
    from blogapp.static_export.cli import export_static_command
    from blogapp.stats.cli import stats_command
    from blogapp.wordpress.cli import export_wxr_command, import_wxr_command

    for command in (
        init_db_command,
        demo_command,
        create_admin_command,
        reset_two_factor_command,
        deliver_command,
        import_wxr_command,
        export_wxr_command,
        backup_command,
        prune_command,
        prune_throttle_command,
        fediverse_command,
        export_static_command,
        cards_command,
        mirrors_command,
        mail_command,
        doctor_command,
        restore_command,
        upgrade_command,
        stats_command,
    ):
        app.cli.add_command(command)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo posts, categories and pages (a second run adds nothing)."""
    from blogapp.demo import load_demo

    added = load_demo()
    summary = ", ".join(f"{n} {what}" for what, n in added.items())
    click.echo(f"Demo content loaded: {summary} added.")


@click.command("prune")
@with_appcontext
def prune_command() -> None:
    """Erase what is kept past its time: every job the features registered
    (``blogapp.registry``): commenters' addresses, sent mail, readers' names in old
    audit labels, spent throttle rows, and so on."""
    from blogapp.registry import registry

    for job in registry().jobs:
        click.echo(job.run())


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the schema with migrations (same as `flask db upgrade`)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("prune-throttle")
@with_appcontext
def prune_throttle_command() -> None:
    """Delete counted logins and comments whose rate-limit window is over."""
    from blogapp import throttle

    click.echo(f"Deleted {throttle.prune()} expired throttle entries.")
