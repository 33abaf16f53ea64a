from blogapp.interface_language import N_
from blogapp.permalinks import post_url
from blogapp.posts.views import bp

__all__ = ["bp", "init_app", "post_url"]


def init_app(app) -> None:
    """The Posts and Pages screens with the editor's desk (corrections, translations)
    join the admin blueprint, with their menu entries; the revisions' restore and
    first autosave save through the posts' rules (``blogapp.revisions.admin.Savers``)."""
    from blogapp.posts import admin, admin_pages, editorial, services  # noqa: F401
    from blogapp.registry import AdminScreen, registry
    from blogapp.revisions.admin import Savers, use_savers

    use_savers(app, Savers(restore=services.restore, new_draft=services.save_new_draft))
    found = registry(app)
    found.add_admin_screen(
        AdminScreen(
            N_("Posts"),
            "admin.posts",
            lambda e: "post" in e and e.startswith("admin."),
            admin_only=False,
            order=10,
        )
    )
    found.add_admin_screen(
        AdminScreen(
            N_("Pages"),
            "admin.pages",
            lambda e: "page" in e and e.startswith("admin."),
            admin_only=False,
            order=20,
        )
    )
