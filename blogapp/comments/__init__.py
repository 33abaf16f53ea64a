"""Reader comments: the public form and thread (``bp``) and moderation at
``/admin/comments`` (``moderation_bp``). Rules live in rules.py and settings.py,
every change in services.py; the section a post page shows, and a comment on its way in,
in section.py;
mail (notify.py, subscriptions.py) goes through blogapp.mail's outbox, and the links
in it open ``mail_bp``'s pages; readers fix their own comment at ``own_edits_bp``."""

from blogapp.comments.mail_views import bp as mail_bp
from blogapp.comments.moderation import bp as moderation_bp
from blogapp.comments.own_edits import bp as own_edits_bp
from blogapp.comments.views import bp

__all__ = ["bp", "mail_bp", "moderation_bp", "own_edits_bp"]
