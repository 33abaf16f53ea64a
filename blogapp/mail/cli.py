"""``flask deliver``: send what the outbox holds (one pass, for a systemd timer), or
with ``--loop`` keep sending until stopped (for a systemd service). Mail and
fediverse deliveries go side by side, each in its own lane; ``--only`` runs one of
them (two services, say, one per lane)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from blogapp.mail.worker import LANES, deliver_lanes_once, deliver_loop, summary


@click.command("deliver")
@click.option("--loop", is_flag=True, help="Keep sending until SIGTERM or SIGINT.")
@click.option("--only", type=click.Choice(LANES), default=None,
              help="Send only mail, or only fediverse deliveries (default: both, "
                   "side by side).")  # fmt: skip
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Messages claimed at a time (default: MAIL_BATCH_SIZE).",
)
@with_appcontext
def deliver_command(loop: bool, only: str | None, batch: int | None) -> None:
    """Send the mail (and fediverse deliveries) queued in the outbox."""
    config = current_app.config
    if not (config.get("MAIL_SERVER") or config.get("FEDIVERSE_ENABLED")):
        raise click.ClickException("BLOGAPP_MAIL_SERVER is not set: nothing can be sent.")
    if batch:
        current_app.config["MAIL_BATCH_SIZE"] = batch
    lanes = (only,) if only else LANES
    if loop:
        deliver_loop(click.echo, lanes=lanes)
        return
    report = deliver_lanes_once(lanes)
    click.echo(summary(report) if report.claimed else "Nothing to send.")
    for error in report.errors:
        click.echo(f"  {error}", err=True)
