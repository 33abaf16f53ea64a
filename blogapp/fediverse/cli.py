"""``flask fediverse followers`` lists followers; ``flask fediverse accept ID``
accepts one held by ``FEDIVERSE_APPROVE_FOLLOWERS`` (its Accept is queued)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.fediverse.followers import NotAccepted, accept_held
from blogapp.models import Follower

fediverse_command = AppGroup("fediverse", help="The blog's followers in the fediverse.")


@fediverse_command.command("followers")
def followers_command() -> None:
    """List who follows the blog's actors."""
    for follower in db.session.scalars(select(Follower).order_by(Follower.id)):
        click.echo(f"{follower.id}\t{follower.status}\t{follower.target}\t{follower.actor_uri}")


@fediverse_command.command("accept")
@click.argument("follower_id", type=int)
def accept_command(follower_id: int) -> None:
    """Accept a held follower."""
    try:
        follower = accept_held(follower_id)
    except NotAccepted as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Accepted {follower.actor_uri}.")
