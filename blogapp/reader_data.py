"""What an erasure of a reader's data tells each feature that keeps some of it.

A leaf module (it imports nothing of the app): ``blogapp.privacy.services`` builds a
``Reader`` and hands it to each feature's eraser, a function ``erase_reader(reader)``
that works in the open transaction and does not commit; ``flask prune`` calls each
feature's ``prune()``. A feature that starts keeping a reader's name, address, IP or
words adds its eraser (and its pruner) to those lists."""

from __future__ import annotations

from dataclasses import dataclass


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
