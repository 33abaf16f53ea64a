"""The admin screens at ``/admin/``: dashboard, posts, pages, categories, tags,
media and users. Views stay thin; the rules live in services.py."""

from blogapp.admin import (  # noqa: F401  (importing a module registers its views)
    dashboard,
    media_views,
    pages,
    posts,
    taxonomy,
    users,
)
from blogapp.admin.blueprint import bp

__all__ = ["bp"]
