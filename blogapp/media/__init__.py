"""Uploaded images: validation and storage (storage.py) and serving (views.py)."""

from blogapp.interface_language import N_
from blogapp.media.storage import ImageRejected, store_image
from blogapp.media.views import bp

__all__ = ["ImageRejected", "bp", "init_app", "store_image"]


def init_app(app) -> None:
    """The Media screen joins the admin blueprint, with its menu entry."""
    from blogapp.media import admin  # noqa: F401
    from blogapp.registry import AdminScreen, registry

    registry(app).add_admin_screen(
        AdminScreen(
            N_("Media"),
            "admin.media",
            lambda e: "media" in e and e.startswith("admin."),
            admin_only=False,
            order=50,
        )
    )
