"""A Telegram channel that posts itself: each post published goes to the channel as
its share card with title, excerpt and link; an edit or a correction edits the
message, and unpublishing deletes it.

The Bot API client (``api``, through the safe client), what the channel shows and the
outbox handler that makes it so (``channel``), and the session hook that queues the
work in the transaction of the change (``watch``). Settings: ``TELEGRAM_BOT_TOKEN``,
``TELEGRAM_CHANNEL`` or ``TELEGRAM_CHANNELS``, ``TELEGRAM_API_URL``."""

LANE = "telegram"  # the outbox lane of channel posts (flask deliver --only telegram)
KIND = "telegram"  # an outbox row naming a post whose channel message may change

__all__ = ["KIND", "LANE", "init_app"]


def init_app(app) -> None:
    """Register the channel's outbox kind, in a lane of its own (a slow or throttled
    Bot API never holds up mail), and install the hook that queues it."""
    from blogapp.registry import OutboxHandler, registry
    from blogapp.telegram import api, channel, watch

    registry(app).add_outbox_kind(
        OutboxHandler(
            KIND,
            lane=LANE,
            send=channel.send,
            is_permanent=api.is_permanent,
            compose=channel.compose,
        )
    )
    watch.watch_posts()
