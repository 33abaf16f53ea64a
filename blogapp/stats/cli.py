"""``flask stats ingest LOGFILE``: count what nginx logged since the last run."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("stats")
def stats_command() -> None:
    """Reading counts (blogapp.stats)."""


@stats_command.command("ingest")
@click.argument("logfile", type=click.Path(dir_okay=False))
@with_appcontext
def ingest_command(logfile: str) -> None:
    """Count the post views LOGFILE (nginx's blogapp_stats format) holds past the last
    run; after a rotation, the rest of LOGFILE.1 first."""
    from blogapp.stats.ingest import LogError, ingest

    try:
        report = ingest(logfile)
    except LogError as error:
        raise click.ClickException(str(error)) from error
    click.echo(report.summary())
