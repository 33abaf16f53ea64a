"""The newsletter: readers follow the blog by e-mail, in English, Khmer or
both. Rules in services.py, pages in views.py; posts go out through blogapp.mail's
outbox (sent by ``flask deliver``)."""

from blogapp.interface_language import N_
from blogapp.newsletter.views import bp

__all__ = ["bp", "init_app"]


def init_app(app) -> None:
    """Register what the newsletter brings (``blogapp.registry``): its two kinds of
    mail (an address the server refuses for good is marked bouncing), the mail lane's
    steps (forget sign-ups never confirmed, queue the posts that became public), the
    reader data, and the Subscribers screen."""
    from blogapp.newsletter import (
        admin,  # noqa: F401  (its views join the admin blueprint)
        reader_data,
        services,
    )
    from blogapp.registry import MAIL, AdminScreen, OutboxHandler, ReaderData, registry

    found = registry(app)
    for kind in (services.KIND, services.CONFIRM_KIND):
        found.add_outbox_kind(OutboxHandler(kind, refused=services.mark_bouncing))
    found.add_lane_step(MAIL, services.forget_unconfirmed)
    found.add_lane_step(MAIL, services.queue_due_posts)
    found.add_reader_data(
        ReaderData(
            "newsletter", reader_data.erase, reader_data.export, reader_data.holds, order=100
        )
    )
    found.add_admin_screen(
        AdminScreen(
            N_("Subscribers"),
            "admin.subscribers",
            lambda e: "subscriber" in e and e.startswith("admin."),
            order=130,
        )
    )
