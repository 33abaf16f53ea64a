"""Reader comments: the public form and thread (``bp``) and moderation at
``/admin/comments`` (``moderation_bp``). Rules live in rules.py and settings.py,
every change in services.py."""

from blogapp.comments.moderation import bp as moderation_bp
from blogapp.comments.views import bp

__all__ = ["bp", "moderation_bp"]
