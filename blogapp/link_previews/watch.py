"""Queueing the fetches in the transaction of the save that shows the addresses.

Like blogapp.telegram.watch: every flush notes the addresses alone on a line of each
post or page whose text was written, and just before the commit one outbox row per
address not stored yet is queued. The row's key names the address, so an address is
queued once, however many posts and saves show it. Nothing is fetched here: the
save's transaction (and SQLite's write lock) never waits for another server."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from blogapp.content import site_host
from blogapp.database import listen_on_session
from blogapp.embeds import link_urls, preview_key, video_ids, watch_url
from blogapp.link_previews import KIND
from blogapp.mail.outbox import enqueue
from blogapp.models import LinkPreview, Page, Post

_NOTED = "blogapp_link_previews"


def wanted(source: str) -> dict[str, dict]:
    """key → payload of each address of ``source`` the server would fetch."""
    found = {preview_key(watch_url(v)): {"video": v} for v in video_ids(source)}
    own = site_host()
    for url in link_urls(source):
        if (urlsplit(url).netloc or "").lower() != own:  # our own pages need no card
            found[preview_key(url)] = {"url": url}
    return found


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    for kind, objects in (("new", session.new), ("dirty", session.dirty)):
        for obj in objects:
            if not isinstance(obj, Post | Page):
                continue
            if kind == "dirty" and not get_history(obj, "body").has_changes():
                continue
            if "http" in (obj.body or ""):
                session.info.setdefault(_NOTED, {}).update(wanted(obj.body))


def _before_commit(session: Session) -> None:
    if not session.info.get(_NOTED):
        return
    session.flush()  # the last flush happens after this hook: note what it writes now
    noted = session.info.pop(_NOTED, {})
    if not noted:
        return
    stored = set(session.scalars(select(LinkPreview.key).where(LinkPreview.key.in_(noted))))
    for key, payload in sorted(noted.items()):
        if key in stored:
            continue
        enqueue(
            key=f"lp.{key[:48]}",
            kind=KIND,
            ref=f"link:{key[:16]}",
            subject=(payload.get("url") or watch_url(payload["video"]))[:300],
            payload=payload,
        )


def _after_rollback(session: Session) -> None:
    session.info.pop(_NOTED, None)


def watch_posts() -> None:
    """Install the session hooks (once per process: ``db.session`` is shared)."""
    listen_on_session(
        {
            "after_flush": _after_flush,
            "before_commit": _before_commit,
            "after_rollback": _after_rollback,
        }
    )
