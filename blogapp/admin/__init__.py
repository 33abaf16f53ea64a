"""The admin screens at ``/admin/``: dashboard, posts, pages, categories, tags,
media, users and the mail outbox. Views stay thin; the rules live in services.py."""

from blogapp.admin import (  # noqa: F401  (importing a module registers its views)
    dashboard,
    media_views,
    outbox,
    pages,
    posts,
    taxonomy,
    users,
)
from blogapp.admin.blueprint import bp

__all__ = ["bp"]
