"""``flask deliver``: send what the outbox holds (one pass, for a systemd timer), or
with ``--loop`` keep sending until stopped (for a systemd service). Mail and
fediverse deliveries go side by side, each in its own lane; ``--only`` runs one of
them (two services, say, one per lane)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from blogapp.mail.worker import deliver_lanes_once, deliver_loop, lanes, summary


@click.command("deliver")
@click.option("--loop", is_flag=True, help="Keep sending until SIGTERM or SIGINT.")
@click.option("--only", default=None, metavar="LANE",
              help="Send only one lane: mail, fediverse deliveries or telegram (default: "
                   "every lane, side by side).")  # fmt: skip
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
    if not (config.get("MAIL_SERVER") or config.get("FEDIVERSE_ENABLED")
            or config.get("TELEGRAM_BOT_TOKEN")):
        raise click.ClickException("BLOGAPP_MAIL_SERVER is not set: nothing can be sent.")
    if batch:
        current_app.config["MAIL_BATCH_SIZE"] = batch
    # The lanes are what the features registered (blogapp.registry), known only once
    # the app is built: checked here rather than by click.Choice.
    if only is not None and only not in lanes():
        raise click.BadParameter(f"{only!r} is not one of {', '.join(lanes())}.",
                                 param_hint="'--only'")
    chosen = (only,) if only else None
    if loop:
        deliver_loop(click.echo, only=chosen)
        return
    report = deliver_lanes_once(chosen)
    click.echo(summary(report) if report.claimed else "Nothing to send.")
    for error in report.errors:
        click.echo(f"  {error}", err=True)
