"""What the blog holds about a commenter, found by the address they gave, and how it
is exported or erased.

Every feature that keeps some of it registers its reader data
(``blogapp.registry.ReaderData``): whether it holds anything from an address, its part
of the export, and its eraser. The comments' eraser removes or anonymizes the
reader's comments, as the admin chose (``privacy.erasure``: "anonymize" keeps the
words under "Anonymous", without name, address, website, IP or browser; "delete"
removes them, replies stay), and ends their reply notifications; the newsletter's
ends their subscription; the outbox's and the audit log's find their rows through the
comments, so they run first. This module knows none of those features. An erasure is
one audit entry, which names no address. Both are writes of reader-visible rows made
through the session, so the content version moves with them
(``blogapp.content_version``)."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from blogapp import audit
from blogapp.extensions import db
from blogapp.interface_language import other_than_site_language
from blogapp.mail import links
from blogapp.mail.outbox import enqueue, site_url
from blogapp.models import AuditAction, Comment, ErasureMode, OutboxKind, Setting
from blogapp.reader_data import ANONYMIZE, DELETE, Reader
from blogapp.registry import registry
from blogapp.site_settings import stored_settings

PURPOSE = "reader-data"
ERASURE_KEY = "privacy.erasure"
ERASURE_MODES = tuple(ErasureMode)
EXPORT, ERASE = "export", "erase"


def erasure_mode() -> str:
    mode = stored_settings().get(ERASURE_KEY)
    return mode if mode in ERASURE_MODES else ANONYMIZE


def save_erasure_mode(mode: str) -> None:
    db.session.merge(Setting(key=ERASURE_KEY, value=mode))


def holds_anything(email: str) -> bool:
    address = email.strip().lower()
    return any(data.holds(address) for data in registry().reader_data if data.holds)


def send_confirmation(email: str, what: str) -> None:
    """Queue the mail whose link confirms ``what`` (export or erase), when the blog
    holds anything from ``email``; nothing otherwise. In the open transaction."""
    if not holds_anything(email):
        return
    token = links.make(PURPOSE, {"e": email.strip(), "w": what}, single_use=True)
    nonce = links.read(PURPOSE, token)["n"]
    # In the language of the page that asked (its form sends ?lang=), as is the page it opens.
    url = site_url("privacy.confirm", token=token, lang=other_than_site_language())
    hours = int(current_app.config["READER_DATA_LINK_HOURS"])
    address = email.strip()
    if what == ERASE:
        subject = _("Confirm: delete everything you wrote")
        if erasure_mode() == DELETE:
            asked = _(
                "Someone (we hope you) asked to delete everything you wrote here, for "
                "the address %(email)s.",
                email=address,
            )
        else:
            asked = _(
                "Someone (we hope you) asked to remove your name, address and website "
                "from everything you wrote here, for the address %(email)s.",
                email=address,
            )
    else:
        subject = _("Your data from this site")
        asked = _(
            "Someone (we hope you) asked to download everything you wrote here, for "
            "the address %(email)s.",
            email=address,
        )
    enqueue(
        key=f"reader-data.{what}.{nonce}",
        kind=OutboxKind(f"reader-{what}"),
        recipient=address,
        subject=subject,
        ref="reader-data",
        text=asked
        + "\n\n"
        + _("Confirm on this page (the link works once, for %(hours)s hours):", hours=hours)
        + f"\n{url}\n\n"
        + _("If you did not ask, ignore this mail: nothing changes.")
        + "\n",
    )


def _reader(email: str) -> Reader:
    address = email.strip().lower()
    mine = func.lower(Comment.author_email) == address
    return Reader(
        email=address,
        mode=erasure_mode(),
        comment_ids=tuple(db.session.scalars(select(Comment.id).where(mine))),
    )


def export(email: str) -> dict:
    """Everything stored from ``email``, as plain data for JSON: each feature's part."""
    reader = _reader(email)
    data: dict = {"site": current_app.config["SITE_URL"], "address": email.strip()}
    for each in registry().reader_data:
        if each.export:
            data.update(each.export(reader))
    return data


def erase(email: str) -> int:
    """Run every feature's eraser for ``email``, in the open transaction, with its audit
    entry; how many comments were removed or anonymized. Does not commit."""
    reader = _reader(email)
    for data in registry().erasers():
        data.erase(reader)
    count, mode, address = len(reader.comment_ids), reader.mode, reader.email
    # Which reader it was stays unknown to the log: a short keyed hash only tells two
    # erasures of one address apart. Keyed: a plain hash of an address can be checked
    # against any address one suspects.
    digest = hmac.new(
        str(current_app.config["SECRET_KEY"]).encode(), address.encode(), hashlib.sha256
    ).hexdigest()[:12]
    audit.record(
        AuditAction.ERASE,
        table="comments",
        label=f"{count} comments ({mode})",
        changes=f"a reader's own request, confirmed by mail; address hash {digest}",
        actor_login="reader (by mail)",
    )
    return count
