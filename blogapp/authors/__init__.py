"""Author profiles and bylines: writers without accounts, pen names,
several bylines per post in order, and the Authors admin screens. The public author
pages stay at ``posts.author`` and ``feeds.author`` (WordPress's ``/author/slug/``);
the words of a byline come from ``services``."""

from __future__ import annotations

from flask import Flask, url_for
from markupsafe import Markup

from blogapp.interface_language import N_

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """The Authors screen, and the byline helpers every post template uses."""
    from blogapp.authors import (
        admin,  # noqa: F401  (its views join the admin blueprint)
        services,
    )
    from blogapp.interface_language import current_language
    from blogapp.registry import AdminScreen, registry

    def byline_links(post) -> Markup:
        """ "<a>A</a> and <a>B</a>", in the page's language."""
        language = current_language()
        return services.join_names(
            [
                Markup('<a href="{}">{}</a>').format(
                    url_for("posts.author", slug=profile.slug), profile.name_in(language)
                )
                for profile in post.bylines
            ]
        )

    app.add_template_global(byline_links, "byline_links")
    registry(app).add_admin_screen(
        AdminScreen(
            N_("Authors"),
            "admin.authors",
            lambda e: e.startswith("admin.author"),
            admin_only=False,
            order=45,
        )
    )
