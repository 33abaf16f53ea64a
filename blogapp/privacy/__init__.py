"""Readers' privacy: the privacy page, and a commenter's own data:
"Send me my data" and "Delete everything I wrote here", each confirmed by mail."""

from blogapp.interface_language import N_
from blogapp.privacy.views import bp

__all__ = ["bp", "init_app"]


def init_app(app) -> None:
    """Register the admin's privacy settings screen (``blogapp.registry``)."""
    from blogapp.privacy import admin  # noqa: F401  (its views join the admin blueprint)
    from blogapp.registry import AdminScreen, registry

    registry(app).add_admin_screen(
        AdminScreen(
            N_("Privacy"),
            "admin.privacy_settings",
            lambda e: e == "admin.privacy_settings",
            order=140,
        )
    )
