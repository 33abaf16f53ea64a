"""``flask link-previews refetch URL``: ask an address again (its page changed, or it
was down past the outbox's tries). The posts keep their card, or plain link, until
the new answer is stored; then they are rendered again, as after the first fetch."""

from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext

from blogapp.embeds import preview_key, video_ids, watch_url
from blogapp.extensions import db
from blogapp.link_previews import KIND
from blogapp.mail.outbox import enqueue


@click.group("link-previews")
def link_previews_command() -> None:
    """Link cards and video stills, fetched once and stored (blogapp/link_previews)."""


@link_previews_command.command("refetch")
@click.argument("url")
@with_appcontext
def refetch(url: str) -> None:
    """Fetch URL's card (or a YouTube address's still) again with the next `flask deliver`."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise click.BadParameter("give an http(s) address", param_hint="URL")
    videos = video_ids(url)
    payload = {"video": videos[0]} if videos else {"url": url}
    shown = watch_url(videos[0]) if videos else url
    enqueue(
        key=f"lp.{preview_key(shown)[:40]}.{secrets.token_hex(4)}",
        kind=KIND,
        ref=f"link:{preview_key(shown)[:16]}",
        subject=shown[:300],
        payload={**payload, "again": True},
    )
    db.session.commit()
    click.echo(f"{shown} will be fetched again by the next `flask deliver`.")
