"""Categories and tags: public pages (views.py), their rules (services.py), and the
admin's Categories and Tags screens (admin.py)."""

from blogapp.categories.views import bp
from blogapp.interface_language import N_

__all__ = ["bp", "init_app"]


def init_app(app) -> None:
    """The Categories and Tags screens join the admin blueprint, with menu entries."""
    from blogapp.categories import admin  # noqa: F401
    from blogapp.registry import AdminScreen, registry

    found = registry(app)
    found.add_admin_screen(
        AdminScreen(
            N_("Categories"),
            "admin.categories",
            lambda e: "categor" in e,
            admin_only=False,
            order=30,
        )
    )
    found.add_admin_screen(
        AdminScreen(
            N_("Tags"),
            "admin.tags",
            lambda e: "tag" in e and e.startswith("admin."),
            admin_only=False,
            order=40,
        )
    )
