"""``flask cards draw`` and ``flask cards prune``: see blogapp/cards/services.py."""

from __future__ import annotations

import os
import time

import click
from flask.cli import AppGroup

cards_command = AppGroup("cards", help="Share cards: the pictures social sites show.")


@cards_command.command("draw")
@click.option(
    "--jobs",
    type=int,
    default=os.cpu_count() or 1,
    show_default=True,
    help="Processes drawing at once.",
)
def draw_command(jobs: int) -> None:
    """Draw the cards that are missing or out of date (all of them after a change of
    the site's name); a second run draws nothing."""
    from blogapp.cards.services import draw_missing

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        click.echo(f"  {done:,} of {total:,} …")

    drawn = draw_missing(jobs=max(1, jobs), progress=progress)
    click.echo(f"Drew {drawn:,} card(s) in {time.perf_counter() - started:.1f}s.")


@cards_command.command("prune")
def prune_command() -> None:
    """Delete card files that no post and not the site uses any more."""
    from blogapp.cards.services import prune_cards

    click.echo(f"Deleted {prune_cards():,} card(s) no longer used.")
