"""``flask mirrors``: show or change the list of the site's other addresses."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from blogapp.mirrors.addresses import check_address, mirror_addresses, store_mirrors


@click.group("mirrors")
def mirrors_command() -> None:
    """The site's other addresses (the /mirrors/ page, footers, mails and feeds)."""


@mirrors_command.command("show")
@with_appcontext
def show() -> None:
    """Print every address readers are told about, the onion first."""
    for address in mirror_addresses():
        click.echo(address)


@mirrors_command.command("set")
@click.argument("addresses", nargs=-1, required=True)
@with_appcontext
def set_addresses(addresses: tuple[str, ...]) -> None:
    """Replace the list (stored in the database: every page, feed and mail shows it at once)."""
    listed = [a.strip().rstrip("/") for a in addresses if a.strip()]
    for address in listed:
        problem = check_address(address)
        if problem:
            raise click.BadParameter(problem, param_hint="ADDRESSES")
    store_mirrors(listed)
    click.echo(f"{len(listed)} addresses stored.")


@mirrors_command.command("reset")
@with_appcontext
def reset() -> None:
    """Forget the stored list: MIRRORS from the configuration applies again."""
    store_mirrors(None)
    click.echo("The stored list is gone; MIRRORS from the configuration applies.")
