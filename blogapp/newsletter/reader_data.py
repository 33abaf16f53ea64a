"""What the newsletter keeps about a reader: their subscription (address, lists,
status). Registered as the newsletter's reader data (``blogapp.newsletter.init_app``)."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from blogapp.extensions import db
from blogapp.models import NewsletterSubscriber
from blogapp.reader_data import Reader


def _theirs(address: str):
    return func.lower(NewsletterSubscriber.email) == address


def holds(address: str) -> bool:
    return (
        db.session.scalar(select(NewsletterSubscriber.id).where(_theirs(address)).limit(1))
        is not None
    )


def export(reader: Reader) -> dict:
    subscriber = db.session.scalar(select(NewsletterSubscriber).where(_theirs(reader.email)))
    return {
        "newsletter": None
        if subscriber is None
        else {
            "lists": subscriber.lists,
            "status": subscriber.status,
            "since": subscriber.created_at.isoformat(),
        },
    }


def erase(reader: Reader) -> None:
    db.session.execute(
        delete(NewsletterSubscriber)
        .where(_theirs(reader.email))
        .execution_options(synchronize_session=False)
    )
