"""What happens for the reader right after their comment is stored, outside its
transaction: the reply notifications they ticked (``subscriptions``) and the right
to fix the comment from this browser for a while (``own_edits``). One call from
``views.create``."""

from __future__ import annotations

from blogapp.comments import own_edits, subscriptions
from blogapp.models import Comment


def comment_stored(comment: Comment, *, notify_replies: bool, notify_post: bool) -> None:
    subscriptions.subscribe(comment, replies=notify_replies, new_comments=notify_post)
    own_edits.remember(comment)
