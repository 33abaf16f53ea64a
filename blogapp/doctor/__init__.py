"""Site health: ``flask doctor`` (for cron and monitoring: exits 1 when a check fails)
and the admin's Site health screen run the same checks (``checks``): the database and
its migrations, the mail worker's heartbeat and the outbox, backups, disk space, the
TLS certificate, the mail domain's SPF, DKIM and DMARC, editors without a second factor,
the secret key and cookie settings, and the dependency audit."""

from blogapp.interface_language import N_


def init_app(app) -> None:
    """Register the Site health screen (admins; ``blogapp.registry``)."""
    from blogapp.doctor import admin  # noqa: F401  (its view joins the admin blueprint)
    from blogapp.registry import AdminScreen, registry

    registry(app).add_admin_screen(
        AdminScreen(
            N_("Site health"), "admin.site_health", lambda e: e == "admin.site_health", order=190
        )
    )
