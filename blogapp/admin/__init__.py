"""The admin screens at ``/admin/``: dashboard, posts, pages, categories, tags,
media, users, the mail outbox and the newsletter's subscribers. Views stay thin; the
rules live beside each feature: ``blogapp/posts/services.py`` (posts and pages),
``blogapp/categories/services.py`` (categories and tags), ``blogapp/auth/services.py``
(accounts)."""

from blogapp.admin import (  # noqa: F401  (importing a module registers its views)
    audit_log,
    dashboard,
    editorial,
    followers,
    media_views,
    outbox,
    pages,
    posts,
    privacy_settings,
    remote_content,
    subscribers,
    taxonomy,
    users,
)
from blogapp.admin.blueprint import bp

__all__ = ["bp"]
