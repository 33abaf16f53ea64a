"""``flask deliver``: send what the outbox holds (one pass, for a systemd timer), or
with ``--loop`` keep sending until stopped (for a systemd service). Mail and
fediverse deliveries go side by side, each in its own lane; ``--only`` runs one of
them (two services, say, one per lane)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from blogapp.mail import signing
from blogapp.mail.worker import deliver_lanes_once, deliver_loop, lanes, summary


@click.command("deliver")
@click.option("--loop", is_flag=True, help="Keep sending until SIGTERM or SIGINT.")
@click.option(
    "--only",
    default=None,
    metavar="LANE",
    help="Send only one lane: mail, fediverse deliveries or telegram (default: "
    "every lane, side by side).",
)
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
    if not (
        config.get("MAIL_SERVER")
        or config.get("FEDIVERSE_ENABLED")
        or config.get("TELEGRAM_BOT_TOKEN")
    ):
        raise click.ClickException("BLOGAPP_MAIL_SERVER is not set: nothing can be sent.")
    if batch:
        current_app.config["MAIL_BATCH_SIZE"] = batch
    # The lanes are what the features registered (blogapp.registry), known only once
    # the app is built: checked here rather than by click.Choice.
    if only is not None and only not in lanes():
        raise click.BadParameter(
            f"{only!r} is not one of {', '.join(lanes())}.", param_hint="'--only'"
        )
    chosen = (only,) if only else None
    if loop:
        deliver_loop(click.echo, only=chosen)
        return
    report = deliver_lanes_once(chosen)
    click.echo(summary(report) if report.claimed else "Nothing to send.")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


@click.group("mail")
def mail_command() -> None:
    """The site's mail: its DKIM key."""


@mail_command.command("dkim-key")
@click.option(
    "--force",
    is_flag=True,
    help="Replace the key that exists (the old record "
    "then no longer matches: publish the new one first, under a new selector).",
)
@with_appcontext
def dkim_key_command(force: bool) -> None:
    """Make the DKIM key that signs outgoing mail, and print the DNS record to publish."""
    domain = signing.sender_domain()
    if not domain:
        raise click.ClickException("BLOGAPP_MAIL_FROM has no domain: set it to an address first.")
    path = signing.key_path()
    if path.exists() and not force:
        pem = path.read_bytes()
        click.echo(f"A key exists already ({path}); its record:")
    else:
        if force:
            path.unlink(missing_ok=True)
        pem = signing.generate_key(path)
        click.echo(f"New key written to {path} (readable by its owner only).")
    click.echo("Publish this TXT record, then run `flask doctor` to check it:")
    click.echo(f'{signing.record_name()}. IN TXT "{signing.record_value(pem)}"')
