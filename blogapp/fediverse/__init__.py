"""The blog in the fediverse: readers on Mastodon and the like follow it,
see each post in their timeline, and their replies land in the moderation queue.

webfinger/nodeinfo/actors (``actors``), the inbox (``inbox``, ``replies``), HTTP
Signatures (``signatures``, ``keys``, ``remote``), the safe client (``net``),
activities (``activities``), what followers are told (``publishing``) and its
transport through the outbox (``delivery``); URLs in ``views``, commands in ``cli``."""

from blogapp.fediverse.views import bp
from blogapp.interface_language import N_

LANE = "fediverse"  # the outbox lane of deliveries (flask deliver --only fediverse)

__all__ = ["LANE", "bp", "init_app"]


def init_app(app) -> None:
    """Register what the fediverse brings (``blogapp.registry``): deliveries, sent by a
    signed POST in a lane of their own (a slow inbox never holds up mail), the lane's
    step that queues what followers are to hear, and the Followers screen."""
    from flask import current_app

    from blogapp.fediverse import (
        admin,  # noqa: F401  (its views join the admin blueprint)
        delivery,
        publishing,
    )
    from blogapp.registry import AdminScreen, OutboxHandler, registry

    found = registry(app)
    found.add_outbox_kind(
        OutboxHandler(
            publishing.KIND, lane=LANE, send=delivery.send, is_permanent=delivery.is_permanent
        )
    )
    found.add_lane_step(LANE, publishing.queue_due_posts)
    found.add_admin_screen(
        AdminScreen(
            N_("Followers"),
            "admin.followers",
            lambda e: "follower" in e,
            shown=lambda: bool(current_app.config.get("FEDIVERSE_ENABLED")),
            order=120,
        )
    )
