"""``flask fediverse followers`` lists followers; ``flask fediverse accept ID``
accepts one held by ``FEDIVERSE_APPROVE_FOLLOWERS`` (its Accept is queued)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from blogapp.database import write_transaction
from blogapp.extensions import db
from blogapp.fediverse import inbox, remote
from blogapp.models import FOLLOWER_PENDING, Follower

fediverse_command = AppGroup("fediverse", help="The blog's followers in the fediverse.")


@fediverse_command.command("followers")
def followers_command() -> None:
    """List who follows the blog's actors."""
    for follower in db.session.scalars(select(Follower).order_by(Follower.id)):
        click.echo(f"{follower.id}\t{follower.status}\t{follower.target}\t"
                   f"{follower.actor_uri}")  # fmt: skip


@fediverse_command.command("accept")
@click.argument("follower_id", type=int)
def accept_command(follower_id: int) -> None:
    """Accept a held follower."""
    db.session.commit()
    with write_transaction():
        follower = db.session.get(Follower, follower_id)
        if follower is None or follower.status != FOLLOWER_PENDING:
            raise click.ClickException("No held follower has that number.")
        actor = remote.known(follower.actor_uri)
        if actor is None:
            raise click.ClickException("The follower's account is not known any more.")
        inbox.accept(follower, follower.follow_id or follower.actor_uri, actor)
        db.session.commit()
    click.echo(f"Accepted {follower.actor_uri}.")
