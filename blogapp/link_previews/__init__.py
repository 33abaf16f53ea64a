"""Link cards and video stills, fetched once by the server and stored on our side.

A post's address alone on a line (blogapp.embeds) is fetched after the save commits,
never during it nor during a page view: a session hook (``watch``) queues one outbox
row per address not seen before, in the save's transaction; the worker's handler
(``job``) fetches the page (or a YouTube video's still) through the SSRF-safe client
and the outgoing proxy (``fetch``), stores the card and its picture, and renders again
the posts that show it, so readers' caches learn of it the usual way (a post row
written). ``flask link-previews refetch URL`` asks an address again (``cli``).
Settings: ``LINK_PREVIEW_TIMEOUT``, ``LINK_PREVIEW_STILL_BASE``."""

LANE = "link-previews"  # a lane of its own: a slow site never holds up mail
KIND = "link-preview"  # an outbox row naming one address to fetch

__all__ = ["KIND", "LANE", "init_app"]


def init_app(app) -> None:
    from blogapp.link_previews import cli, job, watch
    from blogapp.registry import OutboxHandler, registry

    registry(app).add_outbox_kind(
        OutboxHandler(KIND, lane=LANE, send=job.send, is_permanent=job.is_permanent)
    )
    watch.watch_posts()
    app.cli.add_command(cli.link_previews_command)
