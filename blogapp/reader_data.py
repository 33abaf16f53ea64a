"""What an erasure of a reader's data tells each feature that keeps some of it, and
how long a reader's IP address is kept.

A leaf module (it imports nothing of the app but the models): ``blogapp.privacy.services`` builds a
``Reader`` and hands it to each feature's eraser, which works in the open transaction
and does not commit; ``flask prune`` runs each feature's jobs. A feature that starts
keeping a reader's name, address, IP or words registers its eraser (and its prune
job) with ``blogapp.registry``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from blogapp.models import ErasureMode

# What an erasure does to a reader's comments (the admin's choice, privacy.erasure).
ANONYMIZE, DELETE = ErasureMode.ANONYMIZE, ErasureMode.DELETE


def ip_retention_days() -> int:
    """``COMMENT_IP_RETENTION_DAYS``: how long a commenter's IP address is kept, and no
    mail about them is kept longer (``blogapp.comments.retention``)."""
    return max(0, int(current_app.config["COMMENT_IP_RETENTION_DAYS"]))


@dataclass(frozen=True)
class Reader:
    """Whose data goes: the address they commented and subscribed with (stripped,
    lower case), and the ids of their comments, found before any eraser runs (an
    eraser may delete the comments, and others find their rows through them)."""

    email: str
    comment_ids: tuple[int, ...]
    mode: str  # "anonymize" keeps the words under "Anonymous"; "delete" removes them

    @property
    def comment_refs(self) -> list[str]:
        """The outbox's ``ref`` of a mail about each comment."""
        return [f"comment:{comment_id}" for comment_id in self.comment_ids]
