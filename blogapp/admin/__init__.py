"""The admin at ``/admin/``: the blueprint, its navigation (read from the registry,
``blogapp.registry``), the dashboard, users, the audit log and the mail outbox. A
feature's own screens live in its package (``posts/admin.py``, ``categories/admin.py``,
``media/admin.py``, ``newsletter/admin.py``, ``fediverse/admin.py``,
``privacy/admin.py``, ``revisions/admin.py``) and join this blueprint from its
``init_app``, with their menu entries. Views stay thin; the rules live beside each feature:
``blogapp/posts/services.py`` (posts and pages), ``blogapp/categories/services.py``
(categories and tags), ``blogapp/auth/services.py`` (accounts)."""

from blogapp.admin import (  # noqa: F401  (importing a module registers its views)
    audit_log,
    dashboard,
    outbox,
    remote_content,
    users,
)
from blogapp.admin.blueprint import bp
from blogapp.interface_language import N_

__all__ = ["bp", "init_app"]


def init_app(app) -> None:
    """Register the admin's own menu entries (``blogapp.registry``); features add theirs."""
    from blogapp.registry import AdminScreen, registry

    for screen in (
        AdminScreen(
            N_("Dashboard"),
            "admin.dashboard",
            lambda e: e == "admin.dashboard",
            admin_only=False,
            order=0,
        ),
        AdminScreen(
            N_("Users"), "admin.users", lambda e: "user" in e and e.startswith("admin."), order=100
        ),
        AdminScreen(N_("Outbox"), "admin.outbox", lambda e: "outbox" in e, order=110),
        AdminScreen(N_("Audit log"), "admin.audit_log", lambda e: "audit" in e, order=150),
    ):
        registry(app).add_admin_screen(screen)
