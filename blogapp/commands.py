"""Command-line tools: ``flask --app blogapp <command>``."""

from __future__ import annotations

import click
from flask import Flask

from blogapp.extensions import db


def register_cli(app: Flask) -> None:
    from blogapp.auth.cli import register_auth_commands
    from blogapp.mail.cli import register_mail_commands
    from blogapp.wordpress.cli import register_wordpress_commands

    register_auth_commands(app)
    register_mail_commands(app)
    register_wordpress_commands(app)

    @app.cli.command("demo")
    def demo_command() -> None:
        """Load the demo posts, categories and pages (a second run adds nothing)."""
        from blogapp.demo import load_demo

        added = load_demo()
        summary = ", ".join(f"{n} {what}" for what, n in added.items())
        click.echo(f"Demo content loaded: {summary} added.")

    @app.cli.command("prune")
    def prune_command() -> None:
        """Erase what is kept past its time: commenters' addresses, spent throttle rows."""
        from blogapp import throttle
        from blogapp.comments.retention import erase_old_addresses, retention_days

        erased = erase_old_addresses()
        click.echo(f"Erased the address of {erased} comment(s) older than "
                   f"{retention_days()} day(s).")
        click.echo(f"Deleted {throttle.prune()} spent throttle row(s).")

    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create the schema with migrations (same as `flask db upgrade`)."""
        from flask_migrate import upgrade

        upgrade()
        click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")
